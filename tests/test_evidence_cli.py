"""`devicecheck log ...` as a real process: recording, reading, verifying, repairing, exporting."""

from __future__ import annotations

import csv
import io
import json
import stat
from pathlib import Path

from tests.conftest import assert_one_line_error, run_cli


def _log_json(data_dir: Path, *args: str) -> list[dict]:
    result = run_cli("log", "list", "--json", *args, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_record_list_show_amend_and_verify(data_dir: Path, tmp_path: Path) -> None:
    shot = tmp_path / "messages.png"
    shot.write_bytes(b"screenshot bytes")
    note = run_cli("log", "add-note", "He called 14 times", data_dir=data_dir)
    assert note.returncode == 0, note.stderr
    note_id = note.stdout.strip()
    incident = run_cli(
        "log", "add-incident", "--what", "Waited outside my work", "--when", "2024-05-31 21:40",
        "--where", "car park", "--how", "in-person", "--who", "my ex", "--witnesses", "Jo",
        "--impact", "scared to leave", "--police-ref", "CAD 991", "--attach", str(shot),
        "--json", data_dir=data_dir,
    )  # fmt: skip
    assert incident.returncode == 0, incident.stderr
    stored = json.loads(incident.stdout)
    assert stored["kind"] == "incident" and stored["data"]["when"].startswith("2024-05-31T21:40:00")
    assert stored["data"]["attachments"][0]["name"] == "messages.png"
    attach = run_cli("log", "attach", str(shot), "--note", "the texts", data_dir=data_dir)
    assert attach.returncode == 0, attach.stderr
    amend = run_cli("log", "amend", note_id, "--note", "it was 15 times", data_dir=data_dir)
    assert amend.returncode == 0, amend.stderr

    entries = _log_json(data_dir)
    assert [entry["kind"] for entry in entries] == ["note", "incident", "attachment", "amendment"]
    assert set(entries[0]) == {
        "seq",
        "id",
        "recorded_at",
        "kind",
        "session",
        "author",
        "data",
        "prev",
        "hash",
    }
    assert [entry["kind"] for entry in _log_json(data_dir, "--kind", "incident")] == ["incident"]

    table = run_cli("log", "list", data_dir=data_dir)
    assert "He called 14 times" in table.stdout and "Waited outside my work" in table.stdout
    show = run_cli("log", "show", note_id, data_dir=data_dir)
    assert "He called 14 times" in show.stdout and "it was 15 times" in show.stdout

    verify = run_cli("log", "verify", "--json", data_dir=data_dir)
    assert verify.returncode == 0
    report = json.loads(verify.stdout)
    assert report["ok"] is True and report["entries"] == 4 and report["first_bad"] is None
    assert report["head_hash"] == entries[-1]["hash"]


def test_verify_fails_with_exit_1_and_names_the_entry(data_dir: Path) -> None:
    for text in ("one", "two", "three"):
        assert run_cli("log", "add-note", text, data_dir=data_dir).returncode == 0
    log_path = data_dir / "evidence" / "log.jsonl"
    log_path.write_bytes(log_path.read_bytes().replace(b'"two"', b'"TWO"'))
    result = run_cli("log", "verify", "--json", data_dir=data_dir)
    assert result.returncode == 1
    assert json.loads(result.stdout)["first_bad"]["seq"] == 2
    assert json.loads(result.stdout)["first_bad"]["reason"] == "edited"
    plain = run_cli("log", "verify", data_dir=data_dir)
    assert plain.returncode == 1 and "entry 2" in plain.stdout and "edited" in plain.stdout


def test_torn_tail_refusal_and_repair(data_dir: Path) -> None:
    assert run_cli("log", "add-note", "before", data_dir=data_dir).returncode == 0
    log_path = data_dir / "evidence" / "log.jsonl"
    with open(log_path, "ab") as handle:
        handle.write(b'{"author":"se')
    refused = run_cli("log", "add-note", "after", data_dir=data_dir)
    assert_one_line_error(refused, 2)
    assert "devicecheck log repair" in refused.stderr
    repaired = run_cli("log", "repair", data_dir=data_dir)
    assert repaired.returncode == 0 and "Nothing was deleted" in repaired.stdout
    assert run_cli("log", "add-note", "after", data_dir=data_dir).returncode == 0
    assert run_cli("log", "verify", data_dir=data_dir).returncode == 0
    kinds = [entry["kind"] for entry in _log_json(data_dir)]
    assert kinds == ["note", "repair", "note"]


def test_export_jsonl_is_the_log_and_csv_is_for_a_case_system(
    data_dir: Path, tmp_path: Path
) -> None:
    assert run_cli("log", "add-note", '=HYPERLINK("x")', data_dir=data_dir).returncode == 0
    assert (
        run_cli(
            "log", "add-note", 'plain, with "quotes"', "--author", "Sam Lee", data_dir=data_dir
        ).returncode
        == 0
    )
    jsonl = tmp_path / "export.jsonl"
    result = run_cli("log", "export", "--format", "jsonl", "-o", str(jsonl), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert jsonl.read_bytes() == (data_dir / "evidence" / "log.jsonl").read_bytes()
    assert stat.S_IMODE(jsonl.stat().st_mode) == 0o600

    table = tmp_path / "export.csv"
    result = run_cli("log", "export", "--format", "csv", "-o", str(table), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(table.stat().st_mode) == 0o600
    rows = list(csv.DictReader(io.StringIO(table.read_text(encoding="utf-8"))))
    assert list(rows[0]) == [
        "seq",
        "id",
        "recorded_at",
        "kind",
        "session",
        "author",
        "summary",
        "data",
        "hash",
        "prev",
    ]
    assert rows[0]["summary"] == '\'=HYPERLINK("x")'  # not run as a formula by a spreadsheet
    assert json.loads(rows[0]["data"]) == {"text": '=HYPERLINK("x")'}
    assert rows[1]["author"] == "Sam Lee" and rows[1]["summary"] == 'plain, with "quotes"'


def test_errors_are_one_line(data_dir: Path, tmp_path: Path) -> None:
    assert_one_line_error(run_cli("log", "show", "0123456789abcdef", data_dir=data_dir), 2)
    assert_one_line_error(
        run_cli("log", "add-incident", "--what", "x", "--when", "31/05/24", data_dir=data_dir), 2
    )
    assert_one_line_error(
        run_cli("log", "add-incident", "--what", "x", "--how", "pigeon", data_dir=data_dir), 2
    )
    assert_one_line_error(
        run_cli("log", "attach", str(tmp_path / "absent.png"), data_dir=data_dir), 2
    )
    assert_one_line_error(
        run_cli("log", "add-note", "x", "--session", "20240101-abcdef", data_dir=data_dir), 2
    )
    assert_one_line_error(run_cli("log", "amend", "nope", "--note", "x", data_dir=data_dir), 2)
    link = tmp_path / "link.png"
    link.symlink_to(tmp_path)
    assert_one_line_error(run_cli("log", "attach", str(link), data_dir=data_dir), 2)
    assert _log_json(data_dir) == []
    empty = run_cli("log", "list", data_dir=data_dir)
    assert empty.returncode == 0 and "No evidence entries yet" in empty.stderr


def test_session_option_records_the_session(data_dir: Path) -> None:
    session = run_cli("session", "new", data_dir=data_dir).stdout.strip()
    result = run_cli("log", "add-note", "in a session", "--session", session, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert run_cli("log", "add-note", "outside", data_dir=data_dir).returncode == 0
    assert [entry["data"]["text"] for entry in _log_json(data_dir, "--session", session)] == [
        "in a session"
    ]
