"""The plain walk from a pipe: it says its text stays in the terminal, and q stops without
clearing anything (there is no screen to clear), keeping what was answered."""

from __future__ import annotations

from pathlib import Path

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import SessionStore
from tests.conftest import run_cli


def test_q_from_a_pipe_stops_keeps_the_answer_and_writes_no_escape_codes(data_dir: Path) -> None:
    result = run_cli("walk", "--plain", "--essentials", data_dir=data_dir, input="n\nq\n")
    assert result.returncode == 0, result.stderr
    before_first_question = result.stdout.split("\n[1/")[0]
    assert "stays in this terminal window" in before_first_question
    assert "Stopped. Your answers so far are saved." in result.stdout
    assert "\x1b" not in result.stdout + result.stderr
    session = SessionStore(DataDir(data_dir)).latest()
    assert [a.value for a in session.answers.values()] == ["no"]


def test_a_sentence_starting_with_an_answer_word_answers_nothing(data_dir: Path) -> None:
    typed = "no idea really\nyes he did\nskip this one\nno\ny there is an iPad\nq\n"
    result = run_cli("walk", "--plain", "--essentials", data_dir=data_dir, input=typed)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("Please type y, n, u, s or q.") == 3
    session = SessionStore(DataDir(data_dir)).latest()
    answers = list(session.answers.values())
    assert [(a.value, a.note) for a in answers] == [("no", ""), ("yes", "there is an iPad")]


def test_essentials_needs_plain(data_dir: Path) -> None:
    result = run_cli("walk", "--essentials", data_dir=data_dir)
    assert result.returncode == 2
    assert "--essentials goes with --plain" in result.stderr and "Traceback" not in result.stderr


def answers_in_log(data_dir: Path, session_id: str) -> list[str]:
    from devicecheck.core.evidence import EvidenceLog

    with EvidenceLog(DataDir(data_dir)) as log:
        return [e.data["value"] for e in log.entries(session=session_id) if e.kind == "answer"]


def test_the_plain_walk_says_before_the_first_question_that_answers_go_to_the_log(
    data_dir: Path,
) -> None:
    result = run_cli("walk", "--plain", "--essentials", data_dir=data_dir, input="n\nq\n")
    assert result.returncode == 0, result.stderr
    before_first_question = result.stdout.split("\n[1/")[0]
    assert "also added to your evidence log" in before_first_question
    assert "cannot be removed later" in before_first_question
    session = SessionStore(DataDir(data_dir)).latest()
    assert answers_in_log(data_dir, session.id) == ["no"]  # and it is so


def test_a_tui_self_session_without_the_tick_says_so_when_continued_plainly(
    data_dir: Path,
) -> None:
    """The TUI kept this person's answers out of the log; the plain walk writes them, and says
    so before the first question."""
    session = SessionStore(DataDir(data_dir)).create(checklists=["shared-accounts"])
    result = run_cli("walk", "--plain", "--session", session.id, data_dir=data_dir, input="u\nq\n")
    assert result.returncode == 0, result.stderr
    assert "also added to your evidence log" in result.stdout.split("\n[1/")[0]
    assert answers_in_log(data_dir, session.id) == ["unsure"]


def test_a_caseworker_session_follows_the_evidence_consent(data_dir: Path) -> None:
    from devicecheck.core.sessions import CaseworkerDetails

    store = SessionStore(DataDir(data_dir))
    worker = CaseworkerDetails("Sam Worker", "Safe Org", "C-17")
    declined = store.create(mode="caseworker", caseworker=worker, checklists=["shared-accounts"])
    declined.record_consent("walkthrough", "explained", "given", worker.name)
    declined.record_consent("evidence", "explained", "declined", worker.name)
    store.save(declined)
    given = store.create(mode="caseworker", caseworker=worker, checklists=["shared-accounts"])
    given.record_consent("walkthrough", "explained", "given", worker.name)
    given.record_consent("evidence", "explained", "given", worker.name)
    store.save(given)

    refused = run_cli("walk", "--plain", "--session", declined.id, data_dir=data_dir, input="n\n")
    agreed = run_cli("walk", "--plain", "--session", given.id, data_dir=data_dir, input="n\n")

    assert refused.returncode == 0 and agreed.returncode == 0, refused.stderr + agreed.stderr
    start = refused.stdout.split("\n[1/")[0]
    assert "not added to the evidence log" in start and "also added" not in start
    assert "also added to your evidence log" in agreed.stdout.split("\n[1/")[0]
    assert answers_in_log(data_dir, declined.id) == []
    assert answers_in_log(data_dir, given.id) == ["no"]
    assert store.load(declined.id).answers  # kept in the session all the same


def test_every_line_before_the_first_answer_fits_80_columns(data_dir: Path) -> None:
    """The plain walk's own lines (notices, the estimate, the prompt) are never broken mid-word
    by an 80-column terminal."""
    result = run_cli("walk", "--plain", "--essentials", data_dir=data_dir, input="q\n")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.replace("> ", "\n").splitlines()
    assert [line for line in lines if len(line) > 80] == []
    prompt = [line for line in lines if line.startswith(("Answer y", "a note may"))]
    assert len(prompt) == 2, prompt
    assert "What this walk prints stays in this terminal window" in result.stdout
