"""`devicecheck pack`: one client's evidence in a zip whose verify.py, run by plain python3 in an
empty folder, says intact, and catches one changed byte in the log or in an attachment."""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devicecheck.core import casework
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog, Incident
from devicecheck.core.report import pack_verify
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from tests.conftest import assert_one_line_error, run_cli

CASEWORKER = "Margaret Okonkwo-Reyes"
CLIENT_REF = "SS-2024-00917"
OTHER = "Client B was followed to the bus stop"
PYTHON3 = shutil.which("python3")
pytestmark = pytest.mark.skipif(PYTHON3 is None, reason="no python3 on PATH")


@dataclass(frozen=True)
class Packed:
    data_dir: Path
    session_id: str
    zip_path: Path
    photo: bytes


def _case(root: Path) -> tuple[Path, str, bytes]:
    data_dir = root / "home"
    home = DataDir(data_dir)
    store = SessionStore(home)
    session = store.create(
        mode="caseworker",
        caseworker=CaseworkerDetails(CASEWORKER, "Safe Steps", CLIENT_REF, ("Pixel 7",)),
    )
    for step in ("evidence", "report"):
        casework.record_consent(home, session, step, "explained", "given")
    other = store.create()
    log = EvidenceLog(home)
    photo = root / "IMG_2041.png"
    Image.new("RGB", (320, 240), (10, 120, 40)).save(photo)
    log.add_incident(
        Incident(what="He posted a photo of my front door", when="2026-11-21T09:15:00+00:00"),
        attachments=[photo],
        session=session.id,
    )
    log.add_note(OTHER)  # another person's, recorded outside any session
    log.add_note("the other session's note", session=other.id)
    bill = root / "bill.pdf"
    bill.write_bytes(b"%PDF a bill")
    log.attach(bill, note=f"Margaret checked ref {CLIENT_REF}", session=session.id)
    return data_dir, session.id, photo.read_bytes()


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Packed]:
    root = tmp_path_factory.mktemp("pack")
    data_dir, session_id, photo = _case(root)
    output = root / "evidence.zip"
    result = run_cli("pack", session_id, "-o", str(output), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    yield Packed(data_dir, session_id, output, photo)


def unpack(zip_path: Path, folder: Path) -> Path:
    folder.mkdir()
    with zipfile.ZipFile(zip_path) as pack:
        pack.extractall(folder)
    return folder


def run_verify(folder: Path) -> subprocess.CompletedProcess[str]:
    """verify.py by the system's python3 alone: isolated mode, no devicecheck importable."""
    environment = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
    return subprocess.run(
        [PYTHON3, "-I", "verify.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=environment,
        timeout=60,
        check=False,
    )


def test_pack_holds_what_it_should_and_is_private(packed: Packed) -> None:
    assert stat.S_IMODE(packed.zip_path.stat().st_mode) == 0o600
    assert not [p for p in packed.zip_path.parent.iterdir() if p.name.endswith(".tmp")]
    with zipfile.ZipFile(packed.zip_path) as pack:
        names = set(pack.namelist())
        log = pack.read("evidence/log.jsonl").decode("utf-8")
        manifest = json.loads(pack.read("evidence/manifest.json"))
        readme = pack.read("README.txt").decode("utf-8")
    digest = __import__("hashlib").sha256(packed.photo).hexdigest()
    assert {"report.pdf", "report.html", "verify.py", "standalone_verify.py", "README.txt"} <= names
    assert f"evidence/files/{digest}" in names
    assert OTHER not in log and "other session" not in log  # one client's evidence only
    assert manifest["log_entries"] > len(manifest["included"])  # a subset, and it says so
    assert packed.session_id in manifest["cut"]
    assert "python3 verify.py" in readme and "Who to contact" in readme
    assert CASEWORKER in readme
    lines = log.splitlines()
    raw = EvidenceLog(DataDir(packed.data_dir)).complete_lines().decode("utf-8").splitlines()
    assert all(line in raw for line in lines)  # the stored bytes, not a re-serialisation


def test_verify_py_alone_passes_an_untouched_pack(packed: Packed, tmp_path: Path) -> None:
    folder = unpack(packed.zip_path, tmp_path / "pack")
    result = run_verify(folder)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("INTACT")
    head = json.loads(run_cli("log", "verify", "--json", data_dir=packed.data_dir).stdout)
    assert head["head_hash"] in result.stdout


def _flip(path: Path, at: int) -> None:
    data = bytearray(path.read_bytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))


def test_one_changed_byte_in_the_log_fails(packed: Packed, tmp_path: Path) -> None:
    folder = unpack(packed.zip_path, tmp_path / "pack")
    log = folder / "evidence" / "log.jsonl"
    _flip(log, log.read_bytes().index(b"front door"))
    result = run_verify(folder)
    assert result.returncode == 1
    assert re.search(
        r"NOT INTACT: evidence/log.jsonl line \d+: content does not match its hash", result.stderr
    )
    assert "Traceback" not in result.stderr


def test_one_changed_byte_in_an_attachment_fails(packed: Packed, tmp_path: Path) -> None:
    folder = unpack(packed.zip_path, tmp_path / "pack")
    files = sorted((folder / "evidence" / "files").iterdir())
    _flip(files[0], 40)
    result = run_verify(folder)
    assert result.returncode == 1
    assert "attached file" in result.stderr and "altered" in result.stderr


@pytest.mark.parametrize("attack", ["drop-line", "drop-manifest-row", "swap-hash", "missing-file"])
def test_other_attacks_on_an_unpacked_pack_fail(
    packed: Packed, tmp_path: Path, attack: str
) -> None:
    folder = unpack(packed.zip_path, tmp_path / "pack")
    log = folder / "evidence" / "log.jsonl"
    manifest_path = folder / "evidence" / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    if attack == "drop-line":
        log.write_bytes(b"".join(log.read_bytes().splitlines(keepends=True)[1:]))
    elif attack == "drop-manifest-row":
        del manifest["chain"][1]
        manifest_path.write_text(json.dumps(manifest))
    elif attack == "swap-hash":
        manifest["chain"][-1][2] = "f" * 64
        manifest_path.write_text(json.dumps(manifest))
    else:
        next((folder / "evidence" / "files").iterdir()).unlink()
    result = run_verify(folder)
    assert result.returncode == 1, (attack, result.stdout)
    assert result.stderr.startswith("NOT INTACT:") and "Traceback" not in result.stderr


def test_a_redacted_pack_names_nobody_and_still_verifies(packed: Packed, tmp_path: Path) -> None:
    output = tmp_path / "redacted.zip"
    result = run_cli(
        "pack", packed.session_id, "-o", str(output), "--redact", data_dir=packed.data_dir
    )
    assert result.returncode == 0, result.stderr
    folder = unpack(output, tmp_path / "pack")
    texts = [
        p.read_text(encoding="utf-8")
        for p in folder.rglob("*")
        if p.suffix in (".txt", ".html", ".json", ".jsonl")
    ]
    if shutil.which("pdftotext"):
        texts.append(
            subprocess.run(
                ["pdftotext", str(folder / "report.pdf"), "-"], capture_output=True, text=True
            ).stdout
        )
    for text in texts:
        for part in ("Margaret", "Okonkwo", "Reyes", "Pixel 7", "IMG_2041"):
            assert part not in text, part
        assert "ss202400917" not in re.sub(r"[\W_]", "", text).lower()
    assert not (folder / "evidence" / "files").exists()
    verified = run_verify(folder)
    assert verified.returncode == 0, verified.stderr
    assert verified.stdout.startswith("INTACT: 0 of the log's")


def test_a_pack_of_an_altered_log_is_written_and_exits_1(packed: Packed, tmp_path: Path) -> None:
    altered = tmp_path / "home"
    shutil.copytree(packed.data_dir, altered)
    log = altered / "evidence" / "log.jsonl"
    _flip(log, log.read_bytes().index(b"front door"))
    output = tmp_path / "altered.zip"
    result = run_cli("pack", packed.session_id, "-o", str(output), data_dir=altered)
    assert_one_line_error(result, 1)
    with zipfile.ZipFile(output) as pack:
        assert "HAD BEEN ALTERED" in pack.read("README.txt").decode("utf-8")
    folder = unpack(output, tmp_path / "pack")
    assert run_verify(folder).returncode == 1


def test_pack_refuses_a_symlinked_output_and_a_missing_folder(
    packed: Packed, tmp_path: Path
) -> None:
    target = tmp_path / "keep.txt"
    target.write_text("keep me")
    link = tmp_path / "link.zip"
    link.symlink_to(target)
    result = run_cli("pack", packed.session_id, "-o", str(link), data_dir=packed.data_dir)
    assert_one_line_error(result, 2)
    assert target.read_text() == "keep me"
    missing = run_cli(
        "pack", packed.session_id, "-o", str(tmp_path / "no" / "p.zip"), data_dir=packed.data_dir
    )
    assert_one_line_error(missing, 2)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300), st.binary(max_size=200))
def test_verify_py_gives_exit_0_or_1_and_never_a_traceback_for_any_files(
    tmp_path_factory: pytest.TempPathFactory, log: bytes, manifest: bytes
) -> None:
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "evidence").mkdir()
    (folder / "evidence" / "log.jsonl").write_bytes(log)
    (folder / "evidence" / "manifest.json").write_bytes(manifest)
    code = pack_verify.main(["verify.py", str(folder)])
    assert code in (0, 1)
    assert code == 1 or log == b""  # only an empty log with a well-formed empty list passes


def test_a_protected_folder_packs_to_plaintext_that_verifies(tmp_path: Path) -> None:
    data_dir = tmp_path / "home"
    passphrase = tmp_path / "pass"
    passphrase.write_text("correct horse battery staple 42\n")
    env = {"DEVICECHECK_PASSPHRASE_FILE": str(passphrase)}
    created = run_cli("session", "new", "--json", data_dir=data_dir)
    session_id = json.loads(created.stdout)["id"]
    assert (
        run_cli("protect", "--passphrase-file", str(passphrase), data_dir=data_dir).returncode == 0
    )
    photo = tmp_path / "IMG_7.png"
    Image.new("RGB", (300, 200), (200, 0, 0)).save(photo)
    added = run_cli(
        "log",
        "add-incident",
        "--what",
        "He posted a photo of my front door",
        "--attach",
        str(photo),
        "--session",
        session_id,
        data_dir=data_dir,
        env=env,
    )
    assert added.returncode == 0, added.stderr
    stored = b"".join(p.read_bytes() for p in (data_dir / "evidence").rglob("*") if p.is_file())
    assert b"front door" not in stored and photo.read_bytes() not in stored  # encrypted at rest
    output = tmp_path / "pack.zip"
    result = run_cli("pack", session_id, "-o", str(output), data_dir=data_dir, env=env)
    assert result.returncode == 0, result.stderr
    assert "not encrypted" in result.stderr
    folder = unpack(output, tmp_path / "pack")
    assert (folder / "evidence" / "files").is_dir()
    assert run_verify(folder).returncode == 0
    assert "data:image/jpeg;base64," in (folder / "report.html").read_text(encoding="utf-8")
    locked = run_cli("pack", session_id, "-o", str(tmp_path / "x.zip"), data_dir=data_dir)
    assert_one_line_error(locked, 2)  # no passphrase: refused, nothing written
    assert not (tmp_path / "x.zip").exists()
