"""macOS privacy permissions (TCC) and configuration profiles: real SQLite databases with the
real `access` schema (see core/scan/macos_privacy.py for its source), real plist files."""

from __future__ import annotations

import contextlib
import plistlib
import sqlite3
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.findings import ScanContext
from devicecheck.core.scan.macos_privacy import (
    PROFILE_STORE,
    TCC_RELATIVE,
    check_macos_privacy,
    grant_from_row,
    profiles_in,
    read_grants,
)
from devicecheck.errors import InvalidDataError

# The access table as macOS 12 and later create it.
MODERN = """
CREATE TABLE access (service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL,
  auth_value INTEGER NOT NULL, auth_reason INTEGER NOT NULL, auth_version INTEGER NOT NULL,
  csreq BLOB, policy_id INTEGER, indirect_object_identifier_type INTEGER,
  indirect_object_identifier TEXT NOT NULL DEFAULT 'UNUSED', indirect_object_code_identity BLOB,
  flags INTEGER, last_modified INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)),
  pid INTEGER, pid_version INTEGER, boot_uuid TEXT NOT NULL DEFAULT 'UNUSED',
  last_reminded INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)),
  PRIMARY KEY (service, client, client_type, indirect_object_identifier))
"""
# macOS 10.14 and 10.15.
LEGACY = """
CREATE TABLE access (service TEXT NOT NULL, client TEXT NOT NULL, client_type INTEGER NOT NULL,
  allowed INTEGER NOT NULL, prompt_count INTEGER NOT NULL, csreq BLOB, policy_id INTEGER,
  indirect_object_identifier_type INTEGER, indirect_object_identifier TEXT,
  indirect_object_code_identity BLOB, flags INTEGER,
  last_modified INTEGER NOT NULL DEFAULT (CAST(strftime('%s','now') AS INTEGER)),
  PRIMARY KEY (service, client, client_type, indirect_object_identifier))
"""
MODERN_ROWS = [
    # service, client, client_type, auth_value, auth_reason, auth_version, last_modified
    ("kTCCServiceAccessibility", "com.example.helper", 0, 2, 3, 1, 1762160000),
    ("kTCCServiceListenEvent", "/Users/alex/.cache/agent", 1, 2, 4, 1, 1762160100),
    ("kTCCServiceScreenCapture", "us.zoom.xos", 0, 0, 2, 1, 1762160200),  # denied
    ("kTCCServiceScreenCapture", "com.apple.screencaptureui", 0, 2, 4, 1, 1762160300),
    ("kTCCServiceCamera", "com.example.helper", 0, 2, 2, 1, 1762160400),  # not watched here
]


def make_modern(path: Path, *, wal_only: bool = False) -> sqlite3.Connection | None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.execute(MODERN)
    connection.commit()
    if wal_only:  # the rows stay in TCC.db-wal while this connection is open
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.executemany(
        "INSERT INTO access (service, client, client_type, auth_value, auth_reason, "
        "auth_version, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?)",
        MODERN_ROWS,
    )
    connection.commit()
    if wal_only:
        return connection
    connection.close()
    return None


def context(home: Path) -> ScanContext:
    return ScanContext((), "darwin", home, IndicatorSet((), ()), None, None)


def test_allowed_apps_are_read_from_a_modern_database(tmp_path):
    database = tmp_path / "TCC.db"
    make_modern(database)
    grants = read_grants(database)
    assert [(g.service, g.client, g.is_path) for g in grants] == [
        ("kTCCServiceAccessibility", "com.example.helper", False),
        ("kTCCServiceListenEvent", "/Users/alex/.cache/agent", True),
        ("kTCCServiceScreenCapture", "com.apple.screencaptureui", False),
    ]
    assert grants[0].modified == "2025-11-03T08:53:20+00:00"


def test_rows_still_in_the_write_ahead_log_are_read(tmp_path):
    database = tmp_path / "TCC.db"
    writer = make_modern(database, wal_only=True)
    try:
        assert Path(f"{database}-wal").stat().st_size > 0
        assert len(read_grants(database)) == 3
    finally:
        writer.close()


def test_a_legacy_database_is_read(tmp_path):
    database = tmp_path / "TCC.db"
    with sqlite3.connect(database) as connection:
        connection.execute(LEGACY)
        connection.execute(
            "INSERT INTO access (service, client, client_type, allowed, prompt_count) "
            "VALUES ('kTCCServiceAccessibility', 'com.example.old', 0, 1, 1)"
        )
    connection.close()
    assert [g.client for g in read_grants(database)] == ["com.example.old"]


def test_the_original_database_is_not_changed(tmp_path):
    database = tmp_path / "TCC.db"
    make_modern(database)
    before = database.read_bytes()
    read_grants(database)
    assert database.read_bytes() == before
    assert not Path(f"{database}-wal").exists()


def test_the_check_reports_apps_that_are_not_apples(tmp_path):
    home = tmp_path / "home"
    make_modern(home / TCC_RELATIVE)
    outcome = check_macos_privacy(context(home), system=tmp_path / "root")
    assert [f.app for f in outcome.findings] == ["com.example.helper", "/Users/alex/.cache/agent"]
    assert "every key pressed" in outcome.findings[1].advice
    assert outcome.examined["privacy_databases"] == 1
    assert outcome.not_examined == ()


@pytest.mark.parametrize("damage", ["garbage", "other-sqlite", "folder"])
def test_a_corrupt_or_odd_database_is_not_examined_never_a_traceback(tmp_path, damage):
    home = tmp_path / "home"
    database = home / TCC_RELATIVE
    database.parent.mkdir(parents=True)
    if damage == "garbage":
        database.write_bytes(b"SQLite format 3\x00" + bytes(range(256)) * 8)
    elif damage == "other-sqlite":
        with sqlite3.connect(database) as connection:
            connection.execute("CREATE TABLE notes (text TEXT)")
        connection.close()
    else:
        database.mkdir()
    outcome = check_macos_privacy(context(home), system=tmp_path / "root")
    assert outcome.findings == ()
    (problem,) = outcome.not_examined
    assert str(database) in problem.what
    assert "\n" not in problem.reason


def test_a_locked_database_is_read_from_its_copy(tmp_path):
    database = tmp_path / "TCC.db"
    make_modern(database)
    holder = sqlite3.connect(database, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert len(read_grants(database)) == 3
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@given(st.binary(max_size=2000))
def test_any_file_is_grants_or_our_error(data):
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        database = Path(folder) / "TCC.db"
        database.write_bytes(b"SQLite format 3\x00" + data if data[:1] == b"\x00" else data)
        with contextlib.suppress(InvalidDataError):
            read_grants(database)


cell = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.binary(max_size=8),
    st.sampled_from(["kTCCServiceAccessibility", "kTCCServiceListenEvent", "com.example"]),
)


@given(st.lists(cell, max_size=7))
def test_any_row_is_a_grant_or_nothing(row):
    grant = grant_from_row(row, "TCC.db")
    if grant is not None:
        assert grant.service in ("kTCCServiceAccessibility", "kTCCServiceListenEvent")
        assert row[3] == 2


def test_profiles_are_found_wherever_the_store_keeps_them(tmp_path):
    store = tmp_path / "root" / PROFILE_STORE
    store.mkdir(parents=True)
    document = {
        "_computerlevel": [
            {
                "ProfileIdentifier": "com.example.mdm",
                "ProfileDisplayName": "Wi-Fi and VPN",
                "ProfileOrganization": "Example Ltd",
                "ProfileItems": [{"PayloadType": "com.apple.vpn.managed"}],
            }
        ]
    }
    (store / "ConfigProfiles.binary").write_bytes(plistlib.dumps(document, fmt=plistlib.FMT_BINARY))
    (store / "junk").write_bytes(b"not a plist")
    outcome = check_macos_privacy(context(tmp_path / "home"), system=tmp_path / "root")
    (finding,) = outcome.findings
    assert finding.app == "Wi-Fi and VPN"
    assert "Example Ltd" in finding.advice
    assert outcome.examined["profiles"] == 1


@given(
    st.recursive(
        st.none() | st.integers() | st.text(max_size=10),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(["ProfileIdentifier", "ProfileDisplayName", "x"]), inner, max_size=3
            )
        ),
        max_leaves=15,
    )
)
def test_any_plist_shape_gives_profiles_or_nothing(document):
    for profile in profiles_in(document, "store"):
        assert profile.identifier


def test_the_check_runs_only_on_macos(tmp_path):
    linux = ScanContext((), "linux", tmp_path, IndicatorSet((), ()), None, None)
    assert check_macos_privacy(linux).findings == ()


def test_a_fifo_planted_as_the_database_is_not_waited_on(tmp_path):
    import os
    import threading

    home = tmp_path / "home"
    database = home / TCC_RELATIVE
    database.parent.mkdir(parents=True)
    os.mkfifo(database)
    result: list = []
    thread = threading.Thread(
        target=lambda: result.append(check_macos_privacy(context(home), tmp_path / "r")),
        daemon=True,
    )
    thread.start()
    thread.join(10)
    assert result, "still waiting on the FIFO"
    (problem,) = result[0].not_examined
    assert "not a regular file" in problem.reason
