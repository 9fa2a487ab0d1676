"""The session save the walkthrough makes on every answer: the same file as before, cheaper."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import FORMAT_VERSION, CaseworkerDetails, SessionStore


def full_session(data_dir: Path):
    store = SessionStore(DataDir(data_dir))
    worker = CaseworkerDetails("Sam Worker", "Safe Org", "C-17", ("phone", "laptop"))
    session = store.create(mode="caseworker", checklists=["a", "b"], caseworker=worker)
    session.platforms = ["android", "windows"]
    session.record_answer("item-1", "yes", "seen on Tuesday")
    session.record_answer("item-2", "skip")
    session.record_consent("scan", "we look", "declined", "Sam Worker")
    session.record_consent("scan", "we look", "given", "Sam Worker")
    session.add_caseworker_note("client was calm", "Sam Worker", "item-1")
    session.add_action("change the password", "client", "2026-12-01", "he may notice")
    session.findings.append({"app": "X", "matched": {"field": "domains", "value": ["a", "b"]}})
    session.scans.append({"target": "computer", "finding_count": 1, "examined": {"x": 2}})
    session.ended_at = "2026-11-30T10:00:00+00:00"
    return store, session


def test_to_dict_is_exactly_what_asdict_gave(data_dir: Path) -> None:
    _, session = full_session(data_dir)
    assert session.to_dict() == {**asdict(session), "format_version": FORMAT_VERSION}


def test_to_dict_is_a_copy_a_change_to_it_leaves_the_session_alone(data_dir: Path) -> None:
    _, session = full_session(data_dir)
    data = session.to_dict()
    data["findings"][0]["matched"]["value"].append("c")
    data["answers"]["item-1"]["value"] = "no"
    assert session.findings[0]["matched"]["value"] == ["a", "b"]
    assert session.answers["item-1"].value == "yes"


def test_a_saved_session_loads_back_the_same(data_dir: Path) -> None:
    store, session = full_session(data_dir)
    store.save(session)
    loaded = store.load(session.id)
    assert loaded == session
    on_disk = json.loads(store.path_for(session.id).read_text(encoding="utf-8"))
    assert on_disk == json.loads(json.dumps(session.to_dict()))
