"""In a caseworker session, the scan, evidence writes and the walkthrough wait for consent."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import assert_one_line_error, run_cli


def _caseworker_session(data_dir: Path) -> str:
    result = run_cli(
        "session",
        "new",
        "--caseworker",
        "Sam Worker",
        "--org",
        "Safe Org",
        "--client-ref",
        "C-1",
        "--json",
        data_dir=data_dir,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)["id"]


def _consent(data_dir: Path, session_id: str, step: str, answer: str) -> None:
    result = run_cli(
        "session",
        "consent",
        session_id,
        "--step",
        step,
        "--explained",
        f"About the {step}.",
        "--answer",
        answer,
        data_dir=data_dir,
    )
    assert result.returncode == 0, result.stderr


def test_steps_wait_for_consent_and_declining_stops_them_again(data_dir: Path) -> None:
    session_id = _caseworker_session(data_dir)
    blocked = {
        "scan": ["scan", "--session", session_id],
        "evidence": ["log", "add-note", "seen at the school gate", "--session", session_id],
        "walkthrough": ["walk", "--plain", "--session", session_id],
    }
    for step, command in blocked.items():
        result = run_cli(*command, data_dir=data_dir, input="q\n")
        assert_one_line_error(result, 2)
        assert f"--step {step}" in result.stderr
    assert not (data_dir / "evidence" / "log.jsonl").exists()

    for step in ("scan", "evidence", "walkthrough"):
        _consent(data_dir, session_id, step, "given")
    assert run_cli("scan", "--session", session_id, "--json", data_dir=data_dir).returncode in (
        0,
        1,
    )
    assert run_cli(*blocked["evidence"], data_dir=data_dir).returncode == 0
    assert run_cli(*blocked["walkthrough"], data_dir=data_dir, input="q\n").returncode == 0
    kinds = [
        e["kind"] for e in json.loads(run_cli("log", "list", "--json", data_dir=data_dir).stdout)
    ]
    assert "scan" in kinds and "note" in kinds

    _consent(data_dir, session_id, "evidence", "declined")
    refused = run_cli(*blocked["evidence"], data_dir=data_dir)
    assert_one_line_error(refused, 2)


def test_a_session_of_ones_own_needs_no_consent(data_dir: Path) -> None:
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    result = run_cli("log", "add-note", "a note", "--session", session_id, data_dir=data_dir)
    assert result.returncode == 0, result.stderr
