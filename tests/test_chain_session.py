"""The whole session in the evidence chain: answers (also from `walk --plain`), consents and their
withdrawal, caseworker notes and action-plan items become log entries as they are given."""

from __future__ import annotations

from pathlib import Path

from devicecheck.core import casework
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.session_log import item_key, record_answer, session_items
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from tests.conftest import run_cli

CASEWORKER = "Maria Nowak"


def _session_entries(home: DataDir, session_id: str) -> list:
    return EvidenceLog(home).entries(session=session_id)


def test_plain_walk_writes_each_answer_to_the_log_as_it_is_given(data_dir: Path) -> None:
    result = run_cli(
        "walk",
        "--plain",
        "--checklist",
        "shared-accounts",
        input="y seen on his phone\nn\nq\n",
        data_dir=data_dir,
    )
    assert result.returncode == 0, result.stderr
    home = DataDir(data_dir)
    session = SessionStore(home).latest()
    entries = _session_entries(home, session.id)
    answers = [e for e in entries if e.kind == "answer"]
    assert [(e.data["value"], e.data["note"]) for e in answers] == [
        ("yes", "seen on his phone"),
        ("no", ""),
    ]
    assert all(e.author == "self" and e.session == session.id for e in answers)
    # Each entry matches the session's working copy of that answer.
    held = {item_key(e.kind, e.data) for e in answers}
    assert {item_key(k, d) for k, d, _ in session_items(session) if k == "answer"} == held
    assert EvidenceLog(home).verify().ok


def test_caseworker_items_enter_the_chain_only_with_consent_to_keep_evidence(
    data_dir: Path,
) -> None:
    home = DataDir(data_dir)
    store = SessionStore(home)
    session = store.create(
        mode="caseworker", caseworker=CaseworkerDetails(CASEWORKER, "Safe Steps", "C-1")
    )
    casework.record_consent(home, session, "walkthrough", "We go through the checks", "given")
    record_answer(home, session, "some-item", "yes", "before evidence consent")
    casework.add_note(home, session, "an early note")
    assert not (home.evidence / "log.jsonl").exists()  # nothing kept without consent

    casework.record_consent(home, session, "evidence", "Entries are kept", "given")
    kinds = [e.kind for e in _session_entries(home, session.id)]
    # The earlier items are written when consent is first given, each with its own time.
    assert sorted(kinds) == sorted(["consent", "consent", "answer", "case-note"])
    early = next(e for e in _session_entries(home, session.id) if e.kind == "answer")
    assert early.data["answered_at"] == session.answers["some-item"].answered_at

    casework.add_action(home, session, "Change the email password", "client", "2026-12-01")
    casework.add_note(home, session, "after consent")
    entries = _session_entries(home, session.id)
    assert entries[-2].kind == "action" and entries[-2].author == CASEWORKER
    assert entries[-1].kind == "case-note" and entries[-1].data["text"] == "after consent"

    casework.record_consent(home, session, "evidence", "Client withdrew", "declined")
    withdrawal = _session_entries(home, session.id)[-1]
    assert (withdrawal.kind, withdrawal.data["answer"]) == ("consent", "declined")
    casework.add_note(home, session, "after withdrawal")
    record_answer(home, session, "other-item", "no")
    assert _session_entries(home, session.id)[-1].id == withdrawal.id  # nothing more kept
    assert EvidenceLog(home).verify().ok


def test_an_answer_is_kept_in_the_session_when_the_log_refuses_it(data_dir: Path) -> None:
    home = DataDir(data_dir)
    EvidenceLog(home).add_note("first")
    with open(home.evidence / "log.jsonl", "ab") as handle:
        handle.write(b'{"torn')  # an incomplete last line: appends refuse until repair
    result = run_cli(
        "walk", "--plain", "--checklist", "shared-accounts", input="y\nq\n", data_dir=data_dir
    )
    assert result.returncode == 0, result.stderr
    assert "not added to the evidence log" in result.stderr
    assert "Traceback" not in result.stderr
    session = SessionStore(home).latest()
    assert [a.value for a in session.answers.values()] == ["yes"]
