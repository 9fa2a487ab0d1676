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


def test_essentials_needs_plain(data_dir: Path) -> None:
    result = run_cli("walk", "--essentials", data_dir=data_dir)
    assert result.returncode == 2
    assert "--essentials goes with --plain" in result.stderr and "Traceback" not in result.stderr
