"""Sessions: atomic saves, exact resume, damaged files reported and left alone, strict parsing."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import (
    CaseworkerDetails,
    SessionError,
    SessionStore,
    parse_session_bytes,
    session_from_dict,
)
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli


def test_resume_gives_back_exactly_what_was_saved(data_dir: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    session = store.create(
        mode="caseworker",
        platforms=["ios", "web"],
        caseworker=CaseworkerDetails("Sam Worker", "Safe Org", "client-7", ("iPhone 12",)),
    )
    session.record_answer("sample-devices", "yes", "an iPad I do not own")
    session.record_consent("scan", "We will look at running programs.", "given", "Sam Worker")
    session.add_caseworker_note("Client was calm.", "Sam Worker", item_id="sample-devices")
    session.add_action("Call the helpline", "client", "2026-12-01", "Use a safe phone")
    store.save(session)
    again = SessionStore(DataDir(data_dir)).load(session.id)
    assert again == session
    assert again.to_dict() == session.to_dict()


def test_files_and_directories_are_private(data_dir: Path) -> None:
    session = SessionStore(DataDir(data_dir)).create()
    path = data_dir / "sessions" / f"{session.id}.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE((data_dir / "sessions").stat().st_mode) == 0o700
    assert not list((data_dir / "sessions").glob(".*.tmp"))


def test_corrupt_session_is_named_left_untouched_and_others_still_list(data_dir: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    good = store.create()
    broken = data_dir / "sessions" / "20261124-abcdef.json"
    broken.write_bytes(b'{"id": "20261124-abcdef", "mode": ')
    before = broken.read_bytes()
    listing = store.list()
    assert [s.id for s in listing.sessions] == [good.id]
    assert len(listing.problems) == 1 and str(broken) in listing.problems[0]
    assert broken.read_bytes() == before
    result = run_cli("session", "list", "--json", data_dir=data_dir)
    assert result.returncode == 0
    assert [s["id"] for s in json.loads(result.stdout)] == [good.id]
    assert str(broken) in result.stderr
    shown = run_cli("session", "show", "20261124-abcdef", data_dir=data_dir)
    assert_one_line_error(shown, 1)
    assert str(broken) in shown.stderr
    assert broken.read_bytes() == before


def test_a_folder_of_only_damaged_sessions_is_not_called_empty(data_dir: Path) -> None:
    (data_dir / "sessions").mkdir(parents=True)
    broken = data_dir / "sessions" / "20261124-abcdef.json"
    broken.write_bytes(b'{"id": 5')
    result = run_cli("session", "list", data_dir=data_dir)
    assert result.returncode == 0
    assert str(broken) in result.stderr
    assert "No session can be read." in result.stderr
    assert "No saved sessions yet" not in result.stderr
    assert run_cli("session", "list", data_dir=data_dir / "fresh").stderr.strip() == (
        "No saved sessions yet."
    )


def test_symlinked_session_file_is_refused(data_dir: Path, tmp_path: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    session = store.create()
    target = tmp_path / "elsewhere.json"
    target.write_text("{}")
    path = store.path_for(session.id)
    path.unlink()
    path.symlink_to(target)
    with pytest.raises(DeviceCheckError):
        store.save(session)
    assert target.read_text() == "{}"


def test_a_killed_writer_never_leaves_half_a_session(data_dir: Path) -> None:
    """A real writer saving in a loop is killed with SIGKILL; the file always parses."""
    store = SessionStore(DataDir(data_dir))
    session = store.create()
    script = (
        "import sys\n"
        "from devicecheck.core.datadir import DataDir\n"
        "from devicecheck.core.sessions import SessionStore\n"
        "store = SessionStore(DataDir(sys.argv[1]))\n"
        "session = store.load(sys.argv[2])\n"
        "n = 0\n"
        "while True:\n"
        "    n += 1\n"
        "    session.record_answer(f'item-{n}', 'no', 'x' * 5000)\n"
        "    store.save(session)\n"
        "    print(n, flush=True)\n"
    )
    for _ in range(5):
        writer = subprocess.Popen(
            [sys.executable, "-c", script, str(data_dir), session.id],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert writer.stdout is not None
        for _ in range(3):
            writer.stdout.readline()
        writer.kill()
        writer.wait()
        loaded = store.load(session.id)
        assert len(loaded.answers) >= 3
    assert not [
        p for p in (data_dir / "sessions").iterdir() if p.suffix == ".json" and p.stem != session.id
    ]


def test_plain_walk_saves_both_answers(data_dir: Path) -> None:
    listing = json.loads(run_cli("checklists", "list", "--json").stdout)
    first = listing[0]["id"]
    result = run_cli(
        "walk", "--plain", "--checklist", first, data_dir=data_dir, input="y cracked screen\nn\n"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("If you are in danger now, call 999.")
    assert "National Stalking Helpline: 0808 802 0300" in result.stdout
    session_id = json.loads(run_cli("session", "list", "--json", data_dir=data_dir).stdout)[0]["id"]
    shown = json.loads(run_cli("session", "show", session_id, "--json", data_dir=data_dir).stdout)
    values = [(a["value"], a["note"]) for a in shown["answers"].values()]
    assert values == [("yes", "cracked screen"), ("no", "")]
    resumed = run_cli("walk", "--plain", "--session", session_id, data_dir=data_dir, input="u\nq\n")
    assert resumed.returncode == 0
    again = json.loads(run_cli("session", "show", session_id, "--json", data_dir=data_dir).stdout)
    assert len(again["answers"]) == 3


def test_region_changes_the_emergency_line(data_dir: Path) -> None:
    result = run_cli("--region", "US", "walk", "--plain", data_dir=data_dir, input="q\n")
    assert result.returncode == 0, result.stderr
    assert "911" in result.stdout.splitlines()[0]
    unknown = run_cli("--region", "ZZ", "walk", "--plain", data_dir=data_dir, input="q\n")
    assert_one_line_error(unknown, 2)


def test_data_dir_option_and_environment(tmp_path: Path) -> None:
    by_option = tmp_path / "by-option"
    result = run_cli("session", "new", "--json", "--data-dir", str(by_option))
    assert result.returncode == 0, result.stderr
    assert (by_option / "sessions" / f"{json.loads(result.stdout)['id']}.json").exists()
    by_env = tmp_path / "by-env"
    result = run_cli("--data-dir", str(by_option), "session", "list", "--json", data_dir=by_env)
    assert len(json.loads(result.stdout)) == 1
    assert not by_env.exists()


session_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.sampled_from(["20261124-abcdef", "x", ""]) | st.text(max_size=16),
        "mode": st.sampled_from(["self", "caseworker", "other"]),
        "created_at": st.text(max_size=5),
        "updated_at": st.text(max_size=5),
        "region": st.text(max_size=3),
        "platforms": st.lists(st.text(max_size=4) | st.integers(), max_size=3),
        "answers": st.dictionaries(
            st.text(max_size=5),
            st.dictionaries(
                st.sampled_from(["value", "answered_at", "author", "note"]),
                st.sampled_from(["yes", "no", 1, None, ""]),
                max_size=4,
            )
            | st.integers(),
            max_size=3,
        ),
        "caseworker": st.none()
        | st.dictionaries(
            st.sampled_from(["name", "organisation", "client_ref", "devices"]),
            st.text(max_size=4) | st.lists(st.integers(), max_size=2),
            max_size=4,
        ),
        "consents": st.lists(st.dictionaries(st.text(max_size=8), st.text(max_size=4)), max_size=2)
        | st.integers(),
        "format_version": st.integers(0, 2) | st.booleans(),
        "findings": st.lists(
            st.integers() | st.dictionaries(st.text(max_size=3), st.integers()), max_size=2
        ),
    },
)


@settings(max_examples=400, deadline=None)
@given(session_like)
def test_fuzz_session_dicts_only_raise_session_error(data: dict) -> None:
    try:
        session = session_from_dict(data)
    except SessionError as error:
        assert error.message
    else:
        assert session.id == data["id"] and session.mode in ("self", "caseworker")


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_session_bytes_only_raise_session_error(raw: bytes) -> None:
    with pytest.raises(SessionError) as caught:
        parse_session_bytes(raw, "fuzz.json")
    assert "fuzz.json" in caught.value.message


def test_file_mode_survives_a_permissive_umask(data_dir: Path) -> None:
    old = os.umask(0)
    try:
        session = SessionStore(DataDir(data_dir)).create()
    finally:
        os.umask(old)
    assert stat.S_IMODE((data_dir / "sessions" / f"{session.id}.json").stat().st_mode) == 0o600
