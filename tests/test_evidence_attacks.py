"""Fixes found by attack: a full disk, planted links, leftovers, hostile text, odd bytes, odd dates."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog, Incident
from devicecheck.core.textsafety import lines, one_line
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli

HOSTILE = "\x1b]0;owned\x07\x1b[2J\x01fake\u202eexe.jpg\nKind: forged field"


# --- a full disk ---------------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 64 KiB tmpfs (needs root and mount; skipped with the reason otherwise)."""
    mount_point = tmp_path / f"small-{uuid.uuid4().hex[:6]}"
    mount_point.mkdir()
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {result.stderr.strip() or 'not root'}")
    try:
        yield mount_point
    finally:
        # Tests close their logs first; a file still open (a failing test's traceback holds
        # it) makes umount say "busy", so the mount is then detached lazily: none outlives
        # the run.
        unmounted = subprocess.run(["umount", str(mount_point)], capture_output=True, check=False)
        if unmounted.returncode != 0:
            subprocess.run(["umount", "-l", str(mount_point)], capture_output=True, check=False)


def _fill(folder: Path) -> None:
    """Write until the disk refuses another byte."""
    fd = os.open(folder / "filler", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (4096, 512, 1):
            with contextlib.suppress(OSError):
                while True:
                    os.write(fd, b"\0" * size)
    finally:
        os.close(fd)


def test_a_full_disk_leaves_the_log_valid_and_repair_still_works(small_disk: Path) -> None:
    with EvidenceLog(DataDir(small_disk / "home")) as log:
        kept = [log.add_note(f"before the disk filled {n}") for n in range(3)]
        _fill(small_disk)
        size_before = log.path.stat().st_size
        with pytest.raises(DeviceCheckError, match="nothing was recorded"):
            for _ in range(50):  # the last 4 KiB block's slack fills first
                log.add_note("x" * 3000)
        assert log.path.read_bytes().endswith(b"\n")
        report = log.verify()
        assert report.ok, report
        assert [entry.id for entry in log.entries()][:3] == [entry.id for entry in kept]
        assert log.path.stat().st_size >= size_before
        assert log.repair().repaired is False  # nothing torn; runs with no free space
        verified = run_cli("log", "verify", data_dir=small_disk / "home")  # the real command
        assert verified.returncode == 0 and "intact" in verified.stdout, verified.stdout
        (small_disk / "filler").unlink()
        assert log.add_note("after space was freed").seq == len(log.entries())
        assert log.verify().ok


def test_a_full_disk_leaves_a_protected_log_valid(small_disk: Path) -> None:
    from devicecheck.core import protect_folder, protection

    home = small_disk / "home"
    protect_folder.protect(home, "correct horse battery", protection.KdfParameters(n=2**10))
    try:
        with EvidenceLog(DataDir(home)) as log:
            kept = [log.add_note(f"before the disk filled {n}") for n in range(3)]
            _fill(small_disk)
            with pytest.raises(DeviceCheckError, match="nothing was recorded"):
                for _ in range(50):
                    log.add_note("x" * 1500)
            report = log.verify()
            assert report.ok and report.keyed, report
            assert [entry.id for entry in log.entries()][:3] == [entry.id for entry in kept]
            (small_disk / "filler").unlink()
            assert log.add_note("after space was freed").seq == len(log.entries())
            assert log.verify().ok
    finally:
        protection.forget_keys()


def test_repair_with_no_space_for_quarantine_changes_nothing(small_disk: Path) -> None:
    with EvidenceLog(DataDir(small_disk / "home")) as log:
        log.add_note("kept")
        with open(log.path, "ab") as handle:
            handle.write(b'{"author":"self","data":{"text":"cut sho')
        before = log.path.read_bytes()
        _fill(small_disk)
        with contextlib.suppress(DeviceCheckError, OSError):
            log.repair()
        after = log.path.read_bytes()
        assert after == before or (after.startswith(before[: before.rfind(b"\n") + 1]))
        assert not [p for p in (log.quarantine_dir.glob("*")) if p.stat().st_size == 0]
        (small_disk / "filler").unlink()
        result = log.repair()
        if result.repaired:
            assert result.quarantine.read_bytes() == before[before.rfind(b"\n") + 1 :]
        assert log.verify().ok


# --- planted links --------------------------------------------------------------------------------


def test_a_hard_link_planted_as_the_log_is_refused(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path / "home")
    elsewhere = tmp_path / "attacker-copy.jsonl"
    elsewhere.write_bytes(b"")
    data_dir.ensure(data_dir.evidence)
    os.link(elsewhere, data_dir.evidence / "log.jsonl")
    with pytest.raises(DeviceCheckError, match="hard link"):
        EvidenceLog(data_dir).add_note("would also land in the attacker's file")
    with pytest.raises(DeviceCheckError, match="hard link"):
        EvidenceLog(data_dir).read()
    assert elsewhere.read_bytes() == b""


def test_a_symlinked_evidence_folder_is_refused(tmp_path: Path) -> None:
    data_dir = DataDir(tmp_path / "home")
    data_dir.ensure()
    target = tmp_path / "somewhere-else"
    target.mkdir()
    (data_dir.root / "evidence").symlink_to(target)
    with pytest.raises(DeviceCheckError, match="symbolic link"):
        EvidenceLog(data_dir).add_note("would land elsewhere")
    with pytest.raises(DeviceCheckError, match="symbolic link"):
        EvidenceLog(data_dir).read()
    assert list(target.iterdir()) == []


# --- leftovers ------------------------------------------------------------------------------------


def test_a_failed_multi_attach_leaves_no_orphan_copies(tmp_path: Path) -> None:
    log = EvidenceLog(DataDir(tmp_path / "home"))
    first = tmp_path / "first.jpg"
    first.write_bytes(b"first photo")
    with pytest.raises(DeviceCheckError, match="no such file"):
        log.add_incident(Incident(what="x"), attachments=[first, tmp_path / "missing.jpg"])
    assert [p.name for p in log.files_dir.iterdir()] == []
    assert log.entries() == []


def test_a_failed_attach_keeps_copies_that_earlier_entries_use(tmp_path: Path) -> None:
    log = EvidenceLog(DataDir(tmp_path / "home"))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"photo")
    log.attach(photo)
    with pytest.raises(DeviceCheckError):
        log.add_incident(Incident(what="x"), attachments=[photo, tmp_path / "missing.jpg"])
    assert log.verify().ok  # the earlier entry's copy is still there


def test_repair_clears_partial_copies_of_dead_writers_and_empty_quarantine_files(
    tmp_path: Path,
) -> None:
    log = EvidenceLog(DataDir(tmp_path / "home"))
    log.attach(_file(tmp_path, "a.jpg", b"a"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    partial = log.files_dir / f".incoming-{dead.stdout.strip()}-abcdef"
    partial.write_bytes(b"half a photo")
    live = log.files_dir / f".incoming-{os.getpid()}-123456"  # a copy in progress: kept
    live.write_bytes(b"being written")
    log.quarantine_dir.mkdir()
    empty = log.quarantine_dir / "torn-20260101T000000Z-000000.bin"
    empty.write_bytes(b"")
    with open(log.path, "ab") as handle:
        handle.write(b"torn")
    assert log.repair().repaired
    assert not partial.exists() and live.exists() and not empty.exists()
    assert log.verify().ok


def _file(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


# --- hostile text ---------------------------------------------------------------------------------


def test_one_line_escapes_every_control_and_bidi_character() -> None:
    escaped = one_line(HOSTILE)
    for raw in ("\x1b", "\x07", "\x01", "\u202e", "\n"):
        assert raw not in escaped
    assert one_line("a\x00b") == "a\\x00b"
    assert "\\x1b" in escaped and "\\u202e" in escaped and "\\x0a" in escaped
    assert lines("a\nb\x1b") == "a\nb\\x1b"
    assert one_line("caf\udce9") == "caf\\xe9"


def _assert_clean(output: str) -> None:
    for raw in ("\x1b", "\x07", "\x00", "\x01", "\u202e"):
        assert raw not in output, repr(output)


def test_cli_log_and_session_output_never_carries_raw_controls(tmp_path: Path) -> None:
    home = tmp_path / "home"
    note = run_cli("log", "add-note", HOSTILE, "--author", "Sam\x1b[31m", data_dir=home)
    assert note.returncode == 0, note.stderr
    attached = run_cli(
        "log", "attach", str(_file(tmp_path, "photo\u202egpj.exe", b"x")), "--note", HOSTILE,
        data_dir=home,
    )  # fmt: skip
    assert attached.returncode == 0, attached.stderr
    session = run_cli(
        "session", "new", "--caseworker", "Jo\x1b]0;x\x07", "--org", "Org\u202e",
        "--client-ref", "REF\nClient reference: FAKE", data_dir=home,
    )  # fmt: skip
    assert session.returncode == 0, session.stderr
    session_id = session.stdout.strip()
    for command in (
        ["log", "list"],
        ["log", "show", note.stdout.strip()],
        ["log", "show", attached.stdout.strip()],
        ["session", "list"],
        ["session", "show", session_id],
    ):
        result = run_cli(*command, data_dir=home)
        assert result.returncode == 0, (command, result.stderr)
        _assert_clean(result.stdout + result.stderr)
    shown = run_cli("session", "show", session_id, data_dir=home).stdout
    assert "\nClient reference: FAKE" not in shown  # a newline cannot forge a field
    listed = run_cli("log", "show", note.stdout.strip(), data_dir=home).stdout
    assert "\nKind: forged field" not in listed
    assert "\\x1b" in listed  # shown escaped, not lost


def test_messages_errors_and_json_never_carry_raw_controls(tmp_path: Path) -> None:
    """What a command says on stderr (a confirmation quoting the person's words, an error
    naming a file) and its --json output escape controls and bidi characters too (JSON keeps
    them as \\u escapes, so the document means the same)."""
    home = tmp_path / "home"
    session = run_cli("session", "new", data_dir=home).stdout.strip()
    action = run_cli(
        "session", "action", session, "--what", HOSTILE, "--who", "Jo\u202e",
        "--by", "2030-01-01", data_dir=home,
    )  # fmt: skip
    assert action.returncode == 0, action.stderr
    missing = run_cli("log", "attach", str(tmp_path / "gone\x1b[2J\u202e.jpg"), data_dir=home)
    assert_one_line_error(missing, (1, 2))
    run_cli("log", "add-note", HOSTILE + "\u0085\u2028", data_dir=home)
    listed = run_cli("log", "list", "--json", data_dir=home)
    for result in (action, missing, listed):
        _assert_clean(result.stdout + result.stderr)
        for raw in ("\u0085", "\u2028", "\x9b"):
            assert raw not in result.stdout + result.stderr
    assert json.loads(listed.stdout)[-1]["data"]["text"] == HOSTILE + "\u0085\u2028"


def test_scan_output_never_carries_raw_controls_from_a_program_path(tmp_path: Path) -> None:
    """The other person names the folder of a monitoring program so that printing its path
    would retitle the window, clear the screen or reverse the text."""
    from tests.scan_behaviour_support import copy_of_sleep

    folder = tmp_path / "d\x1b]0;owned\x07\x1b[2J\u202ex"
    planted = subprocess.Popen([str(copy_of_sleep(folder, "anydesk")), "600"])
    try:
        result = run_cli("scan", data_dir=tmp_path / "home")
    finally:
        planted.kill()
        planted.wait()
    assert result.returncode == 1, result.stdout + result.stderr  # found, and shown
    assert "anydesk" in result.stdout.lower()
    _assert_clean(result.stdout + result.stderr)
    assert "\\x1b]0;owned" in result.stdout  # escaped, not dropped


def test_log_list_and_show_warn_when_the_chain_does_not_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = run_cli("log", "add-note", "first", data_dir=home).stdout.strip()
    run_cli("log", "add-note", "second", data_dir=home)
    path = home / "evidence" / "log.jsonl"
    path.write_bytes(path.read_bytes().replace(b"second", b"SECOND"))
    for command in (["log", "list"], ["log", "show", first]):
        result = run_cli(*command, data_dir=home)
        assert result.returncode == 0
        assert "does NOT verify" in result.stderr and "entry 2" in result.stderr
    clean = run_cli("log", "list", data_dir=tmp_path / "clean")
    assert "verify" not in clean.stderr


# --- odd bytes -------------------------------------------------------------------------------------


def test_a_file_name_that_is_not_utf8_is_kept_escaped(tmp_path: Path) -> None:
    home = tmp_path / "home"
    name = os.fsdecode(b"caf\xe9.jpg")
    _file(tmp_path, name, b"photo")
    result = run_cli("log", "attach", str(tmp_path / name), "--json", data_dir=home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"]["name"] == "caf\\xe9.jpg"
    assert run_cli("log", "verify", data_dir=home).returncode == 0


def test_a_note_argument_that_is_not_utf8_is_kept_escaped(tmp_path: Path) -> None:
    log = EvidenceLog(DataDir(tmp_path / "home"))
    entry = log.add_note(os.fsdecode(b"he said \xff"), author=os.fsdecode(b"S\xe9m"))
    assert entry.data["text"] == "he said \\xff" and entry.author == "S\\xe9m"
    assert log.verify().ok


def test_a_plain_walk_answer_with_bytes_that_are_not_utf8_is_kept(tmp_path: Path) -> None:
    from tests.conftest import devicecheck_command

    home = tmp_path / "home"
    environment = {**os.environ, "DEVICECHECK_HOME": str(home)}
    result = subprocess.run(
        [*devicecheck_command(), "walk", "--plain"],
        input=b"y caf\xe9 note \xff\nq\n",
        capture_output=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert b"Traceback" not in result.stderr and b"unexpected error" not in result.stderr
    (session_file,) = (home / "sessions").glob("*.json")
    answers = json.loads(session_file.read_bytes())["answers"]
    assert [answer["note"] for answer in answers.values()] == ["caf\\xe9 note \\xff"]


# --- odd dates -------------------------------------------------------------------------------------

LONDON = {"TZ": "Europe/London"}


def test_when_in_the_spring_gap_is_refused(tmp_path: Path) -> None:
    result = run_cli(
        "log", "add-incident", "--what", "x", "--when", "2024-03-31 01:30",
        data_dir=tmp_path, env=LONDON,
    )  # fmt: skip
    assert_one_line_error(result)
    assert "did not happen" in result.stderr and "unexpected" not in result.stderr


def test_when_in_the_autumn_overlap_says_which_it_took(tmp_path: Path) -> None:
    result = run_cli(
        "log", "add-incident", "--what", "x", "--when", "2024-10-27 01:30", "--json",
        data_dir=tmp_path, env=LONDON,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"]["when"] == "2024-10-27T01:30:00+01:00"
    assert "happened twice" in result.stderr and "+01:00" in result.stderr


@pytest.mark.parametrize("when", ["2999-01-01 10:00", "1066-10-14 09:00", "0001-01-01T00:00"])
def test_when_outside_1900_to_2100_is_one_clear_line(tmp_path: Path, when: str) -> None:
    result = run_cli("log", "add-incident", "--what", "x", "--when", when, data_dir=tmp_path)
    assert_one_line_error(result)
    assert "1900" in result.stderr and "unexpected" not in result.stderr


def test_when_in_the_future_is_kept_with_a_warning(tmp_path: Path) -> None:
    result = run_cli(
        "log", "add-incident", "--what", "x", "--when", "2099-01-01 10:00", data_dir=tmp_path
    )
    assert result.returncode == 0 and "in the future" in result.stderr


def test_report_latest_warns_when_it_skips_an_unreadable_newer_session(tmp_path: Path) -> None:
    home = tmp_path / "home"
    older = run_cli("session", "new", data_dir=home).stdout.strip()
    newer = run_cli("session", "new", data_dir=home).stdout.strip()
    newer_path = home / "sessions" / f"{newer}.json"
    newer_path.write_bytes(b"{ damaged")
    os.utime(newer_path, (os.path.getmtime(newer_path) + 60,) * 2)
    result = run_cli(
        "report", "--latest", "--format", "txt", "-o", str(tmp_path / "r.txt"), data_dir=home
    )
    assert result.returncode in (0, 1), result.stderr
    assert "skipped a newer session" in result.stderr and newer in result.stderr
    assert older in (tmp_path / "r.txt").read_text()


@pytest.mark.parametrize("fmt", ["txt", "md"])
def test_text_and_markdown_reports_never_carry_raw_controls(tmp_path: Path, fmt: str) -> None:
    home = tmp_path / "home"
    session = run_cli("session", "new", data_dir=home).stdout.strip()
    note = run_cli("log", "add-note", HOSTILE, "--session", session, data_dir=home)
    assert note.returncode == 0, note.stderr
    output = tmp_path / f"report.{fmt}"
    made = run_cli("report", session, "--format", fmt, "-o", str(output), data_dir=home)
    assert made.returncode in (0, 1), made.stderr
    text = output.read_text(encoding="utf-8")
    _assert_clean(text)
    assert "\\x1b" in text or "\\\\x1b" in text  # shown escaped, not dropped
