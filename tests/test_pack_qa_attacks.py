"""The pack's verify.py against a person who edits the unpacked pack or its zip: run as
`python3 -I verify.py` in an empty folder, every attack fails with one line naming the problem
(exit 1), never a traceback; the untouched pack passes, unpacked (with its zip beside it) or as
the zip itself."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from devicecheck.core.report import pack_verify
from tests.conftest import run_cli


@pytest.fixture(scope="module")
def pack_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qa-pack")
    data_dir = root / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    pictures = []
    for name, colour in (("door.png", (200, 10, 10)), ("texts.png", (10, 10, 200))):
        Image.new("RGB", (64, 48), colour).save(root / name)
        pictures += ["--attach", str(root / name)]
    for number, when in enumerate(("2026-11-21 09:15", "2026-11-22 10:00", "2026-11-23 11:00")):
        result = run_cli(
            "log", "add-incident", "--session", session_id, "--what", f"incident {number}",
            "--when", when, *(pictures if number == 0 else ()), data_dir=data_dir,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    output = root / "pack.zip"
    result = run_cli("pack", session_id, "-o", str(output), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return output


def _unpacked(pack_zip: Path, folder: Path) -> Path:
    with zipfile.ZipFile(pack_zip) as pack:
        pack.extractall(folder)
    return folder


def _verify(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """python3 -I verify.py, from an empty working folder, with no devicecheck importable."""
    empty = folder.parent / "empty-cwd"
    empty.mkdir(exist_ok=True)
    return subprocess.run(
        [sys.executable, "-I", str(folder / "verify.py"), *args],
        cwd=empty,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_fails(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("NOT INTACT: "), lines
    for word in words:
        assert word in lines[0], (word, lines[0])


def _files(folder: Path) -> list[Path]:
    return sorted((folder / "evidence" / "files").iterdir())


def _lines(folder: Path) -> list[bytes]:
    return (folder / "evidence" / "log.jsonl").read_bytes().splitlines(keepends=True)


def _write_lines(folder: Path, lines: list[bytes]) -> None:
    (folder / "evidence" / "log.jsonl").write_bytes(b"".join(lines))


def test_the_untouched_pack_passes_unpacked_with_its_zip_beside_it_and_as_a_zip(
    pack_zip: Path, tmp_path: Path
) -> None:
    folder = _unpacked(pack_zip, tmp_path / "pack")
    shutil.copy(pack_zip, folder / "pack.zip")  # `unzip pack.zip` in the folder that holds it
    result = _verify(folder)
    assert result.returncode == 0, result.stderr
    assert "nothing was added" in result.stdout
    as_zip = _verify(folder, str(pack_zip))
    assert as_zip.returncode == 0, as_zip.stderr
    assert as_zip.stdout.startswith("INTACT")


def _swap_files(folder: Path) -> None:
    first, second = _files(folder)
    a, b = first.read_bytes(), second.read_bytes()
    first.write_bytes(b)
    second.write_bytes(a)


def _flip_report_byte(folder: Path) -> None:
    report = folder / "report.pdf"
    data = bytearray(report.read_bytes())
    data[len(data) // 2] ^= 0x01
    report.write_bytes(bytes(data))


ATTACKS: dict[str, tuple[Callable[[Path], None], tuple[str, ...]]] = {
    "removed line": (lambda f: _write_lines(f, _lines(f)[:1] + _lines(f)[2:]), ("log.jsonl",)),
    "reordered lines": (
        lambda f: _write_lines(f, [_lines(f)[1], _lines(f)[0], *_lines(f)[2:]]),
        ("log.jsonl",),
    ),
    "swapped attachments": (_swap_files, ("attached file",)),
    "planted evidence file": (
        lambda f: (f / "evidence" / "files" / ("0" * 64)).write_bytes(b"fake photo"),
        ("evidence/files/" + "0" * 64, "not part of the pack"),
    ),
    "planted top-level file": (
        lambda f: (f / "statement.pdf").write_bytes(b"%PDF-1.4 forged"),
        ("statement.pdf", "not part of the pack"),
    ),
    "changed report": (_flip_report_byte, ("report.pdf", "changed")),
    "changed readme": (
        lambda f: (f / "README.txt").write_text("Who to contact: someone else\n"),
        ("README.txt", "changed"),
    ),
    "removed report": (lambda f: (f / "report.html").unlink(), ("report.html", "missing")),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_each_attack_on_the_unpacked_pack_fails_in_one_line(
    pack_zip: Path, tmp_path: Path, attack: str
) -> None:
    folder = _unpacked(pack_zip, tmp_path / "pack")
    change, words = ATTACKS[attack]
    change(folder)
    _assert_fails(_verify(folder), *words)


def test_a_truncated_or_damaged_zip_fails_in_one_line(pack_zip: Path, tmp_path: Path) -> None:
    checker = _unpacked(pack_zip, tmp_path / "checker")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(pack_zip.read_bytes()[: pack_zip.stat().st_size // 2])
    _assert_fails(_verify(checker, str(truncated)), "truncated.zip", "not a whole zip")
    damaged = tmp_path / "damaged.zip"
    data = bytearray(pack_zip.read_bytes())
    with zipfile.ZipFile(pack_zip) as pack:
        member = next(i for i in pack.infolist() if i.filename.startswith("evidence/files/"))
    header = member.header_offset
    extra = int.from_bytes(data[header + 28 : header + 30], "little")  # local header's extra
    data[header + 30 + len(member.filename) + extra + 10] ^= 0x01  # inside the file's bytes
    damaged.write_bytes(bytes(data))
    _assert_fails(_verify(checker, str(damaged)), "damaged.zip")


def test_a_pack_of_an_altered_log_says_its_report_carries_the_alert(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    for what in ("first", "second"):
        run_cli("log", "add-note", "--session", session_id, what, data_dir=data_dir)
    log = data_dir / "evidence" / "log.jsonl"
    log.write_bytes(log.read_bytes().replace(b"first", b"fIrst"))
    result = run_cli("pack", session_id, "-o", str(tmp_path / "pack.zip"), data_dir=data_dir)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "the report in it says so on every page" in lines[0], lines


@settings(max_examples=120, deadline=None)
@given(
    st.one_of(
        st.dictionaries(st.text(max_size=30), st.one_of(st.text(max_size=70), st.integers())),
        st.lists(st.text(max_size=5), max_size=3),
        st.text(max_size=10),
    )
)
def test_any_files_list_in_the_manifest_gives_exit_0_or_1_never_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, files: object
) -> None:
    folder = tmp_path_factory.mktemp("files-fuzz")
    (folder / "evidence").mkdir()
    (folder / "evidence" / "log.jsonl").write_bytes(b"")
    manifest = {"chain": [], "included": [], "files": files}
    (folder / "evidence" / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    code = pack_verify.main(["verify.py", str(folder)])
    assert code in (0, 1)
    if isinstance(files, dict) and any(".." in Path(str(n)).parts for n in files):
        assert code == 1


def test_a_manifest_naming_a_file_outside_the_pack_fails(pack_zip: Path, tmp_path: Path) -> None:
    folder = _unpacked(pack_zip, tmp_path / "pack")
    manifest_path = folder / "evidence" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"]["../../outside.txt"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest), encoding="utf-8")
    _assert_fails(_verify(folder), "outside the pack")


def test_a_redacted_pack_readme_does_not_claim_to_hold_the_evidence(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    run_cli("log", "add-note", "--session", session_id, "a note", data_dir=data_dir)
    output = tmp_path / "redacted.zip"
    result = run_cli("pack", session_id, "--redact", "-o", str(output), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as pack:
        readme = " ".join(pack.read("README.txt").decode("utf-8").split())
    assert "and the evidence behind it" not in readme
    assert "redacted; the evidence behind it stays with the case" in readme


def test_latest_with_only_a_damaged_session_says_it_is_damaged(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    (data_dir / "sessions" / f"{session_id}.json").write_text("{bad", encoding="utf-8")
    for command in (
        ("pack", "--latest", "-o", str(tmp_path / "p.zip")),
        ("report", "--latest", "--format", "txt", "-o", str(tmp_path / "r.txt")),
    ):
        result = run_cli(*command, data_dir=data_dir)
        assert result.returncode == 2
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "no saved session can be read (1 damaged)" in lines[0], lines
        assert "no saved sessions yet" not in lines[0]


def test_a_redacted_report_shows_no_picture_of_an_attached_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    picture = tmp_path / "texts.png"
    Image.new("RGB", (64, 48), (10, 10, 200)).save(picture)
    run_cli(
        "log", "add-incident", "--session", session_id, "--what", "texts", "--when",
        "2026-11-21 09:15", "--attach", str(picture), data_dir=data_dir,
    )  # fmt: skip
    pages = {}
    for name, extra in (("full", ()), ("redacted", ("--redact",))):
        target = tmp_path / f"{name}.html"
        result = run_cli(
            "report", session_id, "--format", "html", *extra, "-o", str(target),
            data_dir=data_dir,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        pages[name] = target.read_text(encoding="utf-8")
    assert "data:image/jpeg" in pages["full"]
    assert "data:image/jpeg" not in pages["redacted"]
    assert "pictures of attached files" in pages["redacted"]
    assert hashlib.sha256(picture.read_bytes()).hexdigest() in pages["redacted"]


@settings(max_examples=80, deadline=None)
@given(st.binary(max_size=400), st.integers(min_value=0, max_value=4000))
def test_any_bytes_given_as_the_zip_fail_in_one_line(
    tmp_path_factory: pytest.TempPathFactory, noise: bytes, cut: int
) -> None:
    folder = tmp_path_factory.mktemp("zip-fuzz")
    bogus = folder / "pack.zip"
    # Random bytes, or the start of a real zip cut anywhere, with noise after it.
    start = zipfile.ZipFile(folder / "real.zip", "w")
    start.writestr("README.txt", "x" * 300)
    start.close()
    bogus.write_bytes((folder / "real.zip").read_bytes()[:cut] + noise)
    code = pack_verify.main(["verify.py", str(bogus)])
    assert code in (1, 2)


def test_a_report_or_pack_is_never_written_over_what_devicecheck_keeps(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    run_cli("log", "add-note", "--session", session_id, "kept", data_dir=data_dir)
    log = data_dir / "evidence" / "log.jsonl"
    session_file = data_dir / "sessions" / f"{session_id}.json"
    before = {path: path.read_bytes() for path in (log, session_file)}
    for target in (log, session_file, data_dir / "notes.txt"):
        for command in (
            ("pack", session_id, "-o", str(target)),
            ("report", session_id, "--format", "txt", "-o", str(target)),
        ):
            result = run_cli(*command, data_dir=data_dir)
            assert result.returncode == 2, (command, result.stderr)
            assert "inside devicecheck's data folder" in result.stderr
    assert {path: path.read_bytes() for path in before} == before
    assert run_cli("log", "verify", data_dir=data_dir).returncode == 0
    # Its own reports folder (where the guided walkthrough saves reports) is fine.
    (data_dir / "reports").mkdir()
    kept = data_dir / "reports" / "report.txt"
    result = run_cli("report", session_id, "--format", "txt", "-o", str(kept), data_dir=data_dir)
    assert result.returncode == 0, result.stderr


def test_log_export_is_never_written_over_the_evidence_log(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    run_cli("log", "add-note", "kept", data_dir=data_dir)
    log = data_dir / "evidence" / "log.jsonl"
    before = log.read_bytes()
    result = run_cli("log", "export", "--format", "csv", "-o", str(log), data_dir=data_dir)
    assert result.returncode == 2
    assert "inside devicecheck's data folder" in result.stderr
    assert log.read_bytes() == before
