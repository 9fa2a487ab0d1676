"""`protect` and `unprotect` killed with SIGKILL at random moments: the next run finds the folder
either as it was or fully converted, never half, and nothing in it is lost."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.core import protect_folder, protection
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.sessions import SessionStore

pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses kill -9")
PASSPHRASE = "crash passphrase 42"
CONVERT = """
import sys
from pathlib import Path
from devicecheck.core import protect_folder, protection
root, direction = Path(sys.argv[1]), sys.argv[2]
print("ready", flush=True)
if direction == "protect":
    protect_folder.protect(root, sys.argv[3], protection.KdfParameters(n=2**12))
else:
    protection.unlock(root, sys.argv[3])
    protect_folder.unprotect(root)
print("finished", flush=True)
"""


@pytest.fixture(autouse=True)
def _locked() -> Iterator[None]:
    protection.forget_keys()
    yield
    protection.forget_keys()


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A folder with enough in it that converting takes a while: 300 entries, 12 photos of
    256 KiB, 40 sessions. Returns it and what it holds, read in plaintext."""
    root = tmp_path_factory.mktemp("original") / "home"
    data_dir = DataDir(root)
    log = EvidenceLog(data_dir)
    for number in range(300):
        log.add_note(f"note number {number}")
    files = tmp_path_factory.mktemp("photos")
    for number in range(12):
        photo = files / f"photo-{number}.jpg"
        photo.write_bytes(os.urandom(256 * 1024))
        log.attach(photo)
    store = SessionStore(data_dir)
    for number in range(40):
        session = store.create(mode="self")
        session.record_answer(f"item-{number}", "yes", note=f"answer {number}")
        store.save(session)
    log.close()
    return root, _contents(data_dir)


def _contents(data_dir: DataDir) -> dict:
    log = EvidenceLog(data_dir)
    report = log.verify()
    assert report.ok, report
    sessions = sorted(
        (s.id, s.to_dict()["answers"]) for s in SessionStore(data_dir).list().sessions
    )
    return {"log": log.complete_lines(), "attachments": report.attachments, "sessions": sessions}


def _start(root: Path, direction: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [sys.executable, "-c", CONVERT, str(root), direction, PASSPHRASE],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "ready"
    return process


def _duration(source: Path, scratch: Path, direction: str) -> float:
    """How long one whole conversion takes here, so the kills spread over all of it."""
    shutil.copytree(source, scratch)
    process = _start(scratch, direction)
    started = time.monotonic()
    process.communicate()
    elapsed = time.monotonic() - started
    shutil.rmtree(scratch)
    protection.forget_keys()
    return elapsed


def _killed_at_random(root: Path, direction: str, delay: float) -> bool:
    """Run the conversion in a real process, SIGKILL it after `delay`; True if it finished."""
    process = _start(root, direction)
    time.sleep(delay)
    os.kill(process.pid, signal.SIGKILL)
    output, _ = process.communicate()
    return "finished" in output


@pytest.mark.parametrize("direction", ["protect", "unprotect"])
def test_a_conversion_killed_at_any_moment_loses_nothing(
    original: tuple[Path, dict], tmp_path: Path, direction: str
) -> None:
    source, expected = original
    if direction == "unprotect":
        protected_source = tmp_path / "protected-source"
        shutil.copytree(source, protected_source)
        protect_folder.protect(protected_source, PASSPHRASE, protection.KdfParameters(n=2**12))
        protection.forget_keys()
        source = protected_source
    rng = random.Random(11 if direction == "protect" else 12)
    whole = _duration(source, tmp_path / "timing", direction)
    outcomes = set()
    for attempt in range(16):
        root = tmp_path / f"try-{attempt}"
        shutil.copytree(source, root)
        finished = _killed_at_random(root, direction, rng.uniform(0.0, whole * 1.05))
        protect_folder.recover(root)  # what the next command does first
        protection.forget_keys()
        assert not list(root.rglob("*.dcnew")), "staged files left after recovery"
        assert not (root / protection.JOURNAL_NAME).exists()
        protected = protection.is_protected(root)
        outcomes.add((protected, finished))
        if protected:
            protection.unlock(root, PASSPHRASE)
            everything = b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())
            assert b"note number 1" not in everything and b"answer 1" not in everything
        assert _contents(DataDir(root)) == expected, (attempt, protected, finished)
        protection.forget_keys()
        shutil.rmtree(root)
    print(f"{direction}: outcomes (protected, finished) seen: {sorted(outcomes)}")
