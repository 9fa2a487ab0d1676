"""The phone check's failures as a person meets them: an --adb that is not a program, and an adb
that fails with a long message, each give one plain line and exit 2."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import assert_one_line_error, run_cli
from tests.phone_support import StandInAdb


def test_an_adb_that_is_not_a_program_is_named_in_one_line(data_dir: Path, tmp_path: Path):
    not_a_program = tmp_path / "adb"
    not_a_program.write_text("these are notes, not a program\n", encoding="utf-8")
    not_a_program.chmod(0o755)
    result = run_cli("phone", "scan", "--adb", str(not_a_program), data_dir=data_dir)
    assert_one_line_error(result, 2)
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert "not a program this computer can run" in line and "apt install adb" in line


def test_an_adb_failure_shows_its_last_line_not_a_traceback_header(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-clean")
    adb.program.write_text(
        "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
        "echo '  File adb, line 1' >&2\necho 'adb: cannot connect to daemon' >&2\nexit 1\n",
        encoding="utf-8",
    )
    result = run_cli("phone", "list", env=adb.env(), data_dir=data_dir)
    assert_one_line_error(result, 2)
    assert "cannot connect to daemon" in result.stderr
    assert "most recent call last" not in result.stderr


def test_the_phone_check_is_dated_in_words(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-clean")
    result = run_cli("phone", "scan", env=adb.env(), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    words = " ".join(result.stdout.split())  # the lines are wrapped wherever the words fall
    assert "finished 20" not in words
    assert re.search(r"finished (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d+ \w+ 20\d\d", words)


def test_a_declined_phone_check_says_when_in_words_and_how_to_record_a_change(
    data_dir: Path, tmp_path: Path
):
    created = run_cli("session", "new", "--caseworker", "A B", "--json", data_dir=data_dir)
    session_id = __import__("json").loads(created.stdout)["id"]
    run_cli(
        "session", "consent", session_id, "--step", "phone-scan", "--explained", "reads the phone",
        "--answer", "declined", data_dir=data_dir,
    )  # fmt: skip
    adb = StandInAdb(tmp_path, "android14-clean")
    result = run_cli("phone", "scan", "--session", session_id, env=adb.env(), data_dir=data_dir)
    assert_one_line_error(result, 2)
    assert "declined the check of an Android phone" in result.stderr
    assert re.search(r"\((Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d+ ", result.stderr)
    assert f"session consent {session_id} --step phone-scan" in result.stderr
    assert adb.calls() == []  # nothing was read


def test_a_report_of_two_phone_checks_says_which_phone_each_finding_came_from(
    data_dir: Path, tmp_path: Path
):
    session_id = __import__("json").loads(
        run_cli("session", "new", "--json", data_dir=data_dir).stdout
    )["id"]
    for phone in ("android9-samsung", "android12-echap"):
        adb = StandInAdb(tmp_path / phone, phone)
        result = run_cli("phone", "scan", "--session", session_id, env=adb.env(), data_dir=data_dir)
        assert result.returncode == 1, result.stderr
    target = tmp_path / "report.txt"
    result = run_cli("report", session_id, "--format", "txt", "-o", str(target), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    records = text.split("\n* ")
    truthspy = next(r for r in records if r.startswith("[HIGH] TheTruthSpy"))
    rooted = next(r for r in records if "rooted" in r.splitlines()[0])
    assert "Found by: Phone check 2 (Google Pixel 5)" in truthspy
    assert "Found by: Phone check 1 (samsung SM-A505FN)" in rooted
    assert "What matched: the phone's setting package_verifier_enable is '0'" in text
    assert "What matched: permission REQUEST_INSTALL_PACKAGES held by com.android.chrome" in text
    assert "What matched: setting '0'" not in text


def test_a_phone_check_saved_outside_any_session_warns_when_clients_share_the_folder(
    data_dir: Path, tmp_path: Path
):
    for client in ("A", "B"):
        run_cli("session", "new", "--caseworker", f"W {client}", data_dir=data_dir)
    adb = StandInAdb(tmp_path, "android14-clean")
    result = run_cli("phone", "scan", "--save", env=adb.env(), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "2 caseworker sessions and this entry names none" in result.stderr


def test_a_report_marks_a_phone_check_that_stopped_part_way(data_dir: Path, tmp_path: Path):
    session_id = __import__("json").loads(
        run_cli("session", "new", "--json", data_dir=data_dir).stdout
    )["id"]
    adb = StandInAdb(tmp_path, "android12-echap")
    adb.stop_at = "shell_settings_list_secure.txt"
    result = run_cli("phone", "scan", "--session", session_id, env=adb.env(), data_dir=data_dir)
    assert result.returncode == 2
    target = tmp_path / "report.txt"
    result = run_cli("report", session_id, "--format", "txt", "-o", str(target), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert re.search(r"\* Phone check 1: .* \(INCOMPLETE\)", text)
    assert "INCOMPLETE: The check stopped at the phone's secure settings." in text
