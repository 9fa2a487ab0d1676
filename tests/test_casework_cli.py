"""Caseworker sessions: consent before each step, attributed notes, the action plan, ending."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devicecheck.core.casework import require_consent
from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli

CASEWORKER = ("--caseworker", "Maria Nowak", "--org", "Safe Steps", "--client-ref", "C-0042")


def _new_caseworker_session(data_dir: Path) -> str:
    result = run_cli("session", "new", *CASEWORKER, "--device", "Dell laptop", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def _show(data_dir: Path, session_id: str) -> dict:
    result = run_cli("session", "show", session_id, "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_report_waits_for_consent_and_respects_a_refusal(data_dir: Path, tmp_path: Path) -> None:
    session_id = _new_caseworker_session(data_dir)
    output = tmp_path / "report.txt"

    refused = run_cli("report", session_id, "--format", "txt", "-o", str(output), data_dir=data_dir)
    assert_one_line_error(refused, 2)
    assert "no consent recorded for producing a report" in refused.stderr
    assert f"session consent {session_id} --step report" in refused.stderr
    assert not output.exists()

    consent = ("session", "consent", session_id, "--step", "report", "--explained")
    declined = run_cli(
        *consent, "A printed summary for your file", "--answer", "declined", data_dir=data_dir
    )
    assert declined.returncode == 0, declined.stderr
    refused = run_cli("report", session_id, "--format", "txt", "-o", str(output), data_dir=data_dir)
    assert_one_line_error(refused, 2)
    assert "declined producing a report" in refused.stderr
    assert not output.exists()

    given = run_cli(
        *consent, "A printed summary, kept by you", "--answer", "given", data_dir=data_dir
    )
    assert given.returncode == 0, given.stderr
    made = run_cli("report", session_id, "--format", "txt", "-o", str(output), data_dir=data_dir)
    assert made.returncode == 0, made.stderr
    text = output.read_text(encoding="utf-8")
    assert "Consent for producing this report: declined" in text
    assert "Consent for producing this report: given" in text
    assert "What was explained: A printed summary, kept by you" in text

    consents = _show(data_dir, session_id)["consents"]
    assert [(c["step"], c["answer"], c["recorded_by"]) for c in consents] == [
        ("report", "declined", "Maria Nowak"),
        ("report", "given", "Maria Nowak"),
    ]


def test_notes_are_the_caseworkers_and_name_a_real_item(data_dir: Path) -> None:
    session_id = _new_caseworker_session(data_dir)
    item = next(load_checklists().checklists[0].all_items())

    overall = run_cli(
        "session", "note", session_id, "Client calm, wants to keep phone", data_dir=data_dir
    )
    on_item = run_cli(
        "session",
        "note",
        session_id,
        "Shared album seen",
        "--item",
        item.id,
        "--json",
        data_dir=data_dir,
    )
    assert overall.returncode == 0 and on_item.returncode == 0, (overall.stderr, on_item.stderr)
    assert json.loads(on_item.stdout)["item_id"] == item.id

    unknown = run_cli(
        "session", "note", session_id, "x", "--item", "no-such-item", data_dir=data_dir
    )
    assert_one_line_error(unknown, 2)
    empty = run_cli("session", "note", session_id, "   ", data_dir=data_dir)
    assert_one_line_error(empty, 2)

    stored = _show(data_dir, session_id)
    assert [(n["text"], n["author"], n["item_id"]) for n in stored["caseworker_notes"]] == [
        ("Client calm, wants to keep phone", "Maria Nowak", None),
        ("Shared album seen", "Maria Nowak", item.id),
    ]
    assert stored["answers"] == {}, "a caseworker note is never an answer"


def test_a_session_without_a_caseworker_takes_no_caseworker_notes(data_dir: Path) -> None:
    alone = run_cli("session", "new", data_dir=data_dir).stdout.strip()
    result = run_cli("session", "note", alone, "hello", data_dir=data_dir)
    assert_one_line_error(result, 2)
    assert "has no caseworker" in result.stderr
    consent = run_cli(
        "session",
        "consent",
        alone,
        "--step",
        "scan",
        "--explained",
        "x",
        "--answer",
        "given",
        data_dir=data_dir,
    )
    assert_one_line_error(consent, 2)


def test_action_plan_records_who_what_by_when_and_the_caution(data_dir: Path) -> None:
    session_id = _new_caseworker_session(data_dir)
    added = run_cli(
        "session",
        "action",
        session_id,
        "--what",
        "Turn off location sharing",
        "--who",
        "client, with caseworker",
        "--by",
        "2026-12-01",
        "--caution",
        "He may notice; record the sharing first",
        data_dir=data_dir,
    )
    assert added.returncode == 0, added.stderr
    bad_date = run_cli(
        "session",
        "action",
        session_id,
        "--what",
        "x",
        "--who",
        "y",
        "--by",
        "next week",
        data_dir=data_dir,
    )
    assert_one_line_error(bad_date, 2)
    assert "--by must be a date" in bad_date.stderr
    plan = _show(data_dir, session_id)["action_plan"]
    assert len(plan) == 1
    assert plan[0]["what"] == "Turn off location sharing"
    assert plan[0]["who"] == "client, with caseworker"
    assert plan[0]["by_when"] == "2026-12-01"
    assert plan[0]["caution"] == "He may notice; record the sharing first"


def test_ending_a_session_records_the_time_once(data_dir: Path) -> None:
    session_id = _new_caseworker_session(data_dir)
    ended = run_cli("session", "end", session_id, "--json", data_dir=data_dir)
    assert ended.returncode == 0, ended.stderr
    document = json.loads(ended.stdout)
    assert document["log_entry"] is None  # no evidence log yet: nothing is created for it
    assert _show(data_dir, session_id)["ended_at"] == document["ended_at"]
    again = run_cli("session", "end", session_id, data_dir=data_dir)
    assert_one_line_error(again, 2)
    assert "already ended" in again.stderr
    assert not (data_dir / "evidence" / "log.jsonl").exists()


def test_unknown_session_is_one_clear_line(data_dir: Path) -> None:
    result = run_cli("session", "end", "20991231-abcdef", data_dir=data_dir)
    assert_one_line_error(result, (1, 2))


def test_require_consent_uses_the_latest_answer_and_lets_self_sessions_through(
    data_dir: Path,
) -> None:
    store = SessionStore(DataDir(data_dir))
    alone = store.create()
    require_consent(alone, "scan")  # the person acts for themself: nothing to ask

    details = CaseworkerDetails("Maria Nowak", "Safe Steps", "C-0042")
    session = store.create(mode="caseworker", caseworker=details)
    with pytest.raises(DeviceCheckError, match="no consent recorded for the scan"):
        require_consent(session, "scan")
    session.record_consent("scan", "We look at running programs", "given", "Maria Nowak")
    require_consent(session, "scan")
    with pytest.raises(DeviceCheckError, match="no consent recorded for saving to the evidence"):
        require_consent(session, "evidence")
    session.record_consent("scan", "Client changed her mind", "declined", "Maria Nowak")
    with pytest.raises(DeviceCheckError, match="declined the scan"):
        require_consent(session, "scan")
    with pytest.raises(DeviceCheckError, match="consent step must be one of"):
        require_consent(session, "shopping")


def test_session_end_is_logged_only_with_consent_to_keep_evidence(data_dir: Path) -> None:
    from devicecheck.core.evidence import EvidenceLog

    session_id = _new_caseworker_session(data_dir)
    log = EvidenceLog(DataDir(data_dir))
    log.add_note("an earlier note of the client's own")  # the log exists before the session
    consent = ("session", "consent", session_id, "--step", "evidence", "--explained")
    given = run_cli(
        *consent, "Entries are kept and cannot be changed", "--answer", "given", data_dir=data_dir
    )
    assert given.returncode == 0, given.stderr
    ended = run_cli("session", "end", session_id, "--json", data_dir=data_dir)
    assert ended.returncode == 0, ended.stderr
    entry_id = json.loads(ended.stdout)["log_entry"]
    entries = log.entries(session=session_id)
    assert [e.kind for e in entries] == ["consent", "session-end"]
    assert entries[0].data["step"] == "evidence" and entries[0].data["answer"] == "given"
    assert entries[1].id == entry_id and entries[1].author == "Maria Nowak"

    other = _new_caseworker_session(data_dir)
    ended = run_cli("session", "end", other, "--json", data_dir=data_dir)
    assert json.loads(ended.stdout)["log_entry"] is None  # no consent: nothing written
    assert log.entries(session=other) == []
