"""Real writers killed with SIGKILL, and two real writers at once: nothing returned is ever lost."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog

pytestmark = pytest.mark.skipif(os.name != "posix", reason="uses kill -9 and fork-free POSIX pipes")

# Appends in a loop, printing "seq id" once each append has returned. Every 10th entry is large
# (128 KiB) so that some kills land in the middle of a write; a torn tail left by an earlier
# kill is repaired, as the person would with `devicecheck log repair`.
WRITER = """
import os
import sys
from pathlib import Path
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.errors import DeviceCheckError

log = EvidenceLog(DataDir(Path(sys.argv[1])))
tag, count = sys.argv[2], int(sys.argv[3])
log.keys()  # a protected folder is unlocked (and cryptography loaded) before the clock starts
print("ready", flush=True)
if sys.stdin.readline().strip() != "go":
    sys.exit(1)
number = 0
while count < 0 or number < count:
    number += 1
    text = f"{tag} {number} " + ("x" * 131072 if number % 10 == 0 else "")
    try:
        entry = log.add_note(text, author=tag)
    except DeviceCheckError:
        result = log.repair()
        print(f"repaired {result.size}", flush=True)
        continue
    # One os.write per line: print() may write the pieces separately (PYTHONUNBUFFERED), and a
    # kill between them would leave half a line.
    os.write(1, f"{entry.seq} {entry.id}\\n".encode())
"""


def _spawn_writer(data_dir: Path, tag: str, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), tag, str(count)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )


def _start_writer(data_dir: Path, tag: str, count: int) -> subprocess.Popen[str]:
    writer = _spawn_writer(data_dir, tag, count)
    assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
    return writer


@pytest.fixture(params=["plain", "protected"])
def log_kind(request: pytest.FixtureRequest, data_dir: Path, tmp_path: Path, monkeypatch) -> str:
    """Both kinds of log: an ordinary one, and one in a protected folder (the writers get the
    passphrase the way scripts do, from DEVICECHECK_PASSPHRASE_FILE)."""
    if request.param == "protected":
        from devicecheck.core import protect_folder, protection

        passphrase = tmp_path / "passphrase.txt"
        passphrase.write_text("crash test passphrase\n")
        protect_folder.protect(data_dir, "crash test passphrase", protection.KdfParameters(n=2**12))
        monkeypatch.setenv(protection.PASSPHRASE_FILE_VARIABLE, str(passphrase))
    yield request.param
    if request.param == "protected":
        from devicecheck.core import protection

        protection.forget_keys()


def test_writer_killed_at_random_moments_loses_nothing_it_returned(
    data_dir: Path, log_kind: str
) -> None:
    rng = random.Random(7)
    returned: dict[int, str] = {}
    repairs = 0
    rounds = 110
    waiting = _spawn_writer(data_dir, "killed", -1)
    for round_number in range(rounds):
        writer = waiting
        assert writer.stdin is not None and writer.stdout is not None
        assert writer.stdout.readline().strip() == "ready"
        writer.stdin.write("go\n")
        writer.stdin.flush()
        # The next writer starts up (imports, opens nothing yet) while this one runs.
        if round_number + 1 < rounds:
            waiting = _spawn_writer(data_dir, "killed", -1)
        time.sleep(rng.uniform(0.005, 0.05))
        os.kill(writer.pid, signal.SIGKILL)
        output, _ = writer.communicate()
        assert writer.returncode == -signal.SIGKILL
        for line in output.splitlines():
            if line.startswith("repaired"):
                repairs += 1
                continue
            seq, entry_id = line.split()
            assert int(seq) not in returned, "a seq was handed out twice"
            returned[int(seq)] = entry_id

    log = EvidenceLog(DataDir(data_dir))
    report = log.verify()
    if not report.ok:
        assert report.first_bad.reason == "torn tail", report
        assert log.repair().repaired
        report = log.verify()
    assert report.ok, report
    stored = {entry.seq: entry.id for entry in log.entries()}
    assert len(returned) > 100
    missing = {seq: entry_id for seq, entry_id in returned.items() if stored.get(seq) != entry_id}
    assert missing == {}
    notes = [entry for entry in log.entries() if entry.kind == "note"]
    repaired = [entry for entry in log.entries() if entry.kind == "repair"]
    assert len(notes) + len(repaired) == report.entries
    for entry in repaired:  # every set-aside byte is kept, with its hash
        kept = log.directory / entry.data["quarantined"]
        assert kept.stat().st_size == entry.data["size"]
    if log_kind == "protected":
        assert report.keyed is True  # every entry opened with the key, not only the public chain
        assert b"killed 1 " not in log.path.read_bytes()
    print(f"{len(returned)} returned appends survived; {repairs} torn tails repaired by writers")


def test_two_writers_at_once_keep_one_chain(data_dir: Path) -> None:
    per_writer = 1000
    writers = [_start_writer(data_dir, tag, per_writer) for tag in ("alpha", "beta")]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.flush()
    outputs = [writer.communicate(timeout=120)[0] for writer in writers]
    assert [writer.returncode for writer in writers] == [0, 0]

    log = EvidenceLog(DataDir(data_dir))
    report = log.verify()
    assert report.ok, report
    assert report.entries == 2 * per_writer
    for line in log.path.read_bytes().splitlines():
        assert set(json.loads(line)) >= {"seq", "hash"}  # every line whole, none interleaved
    entries = log.entries()
    assert [entry.seq for entry in entries] == list(range(1, 2 * per_writer + 1))
    for tag, output in zip(("alpha", "beta"), outputs, strict=True):
        printed = [int(line.split()[0]) for line in output.splitlines()]
        assert printed == sorted(printed) and len(printed) == per_writer
        mine = [entry for entry in entries if entry.author == tag]
        assert [entry.data["text"].split()[1] for entry in mine] == [
            str(n) for n in range(1, per_writer + 1)
        ]
    authors = [entry.author for entry in entries]
    switches = sum(1 for a, b in itertools.pairwise(authors) if a != b)
    assert switches > 1, "the two writers did not actually overlap"
