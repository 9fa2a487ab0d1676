"""What changed since the last saved scan: the baseline file, its comparison, its dates; the real
`devicecheck scan --save` then `scan` on this machine; damaged, planted and locked baselines."""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.autostart import AutostartEntry
from devicecheck.core.scan.baseline import (
    BASELINE_NAME,
    Baseline,
    between,
    changes,
    check_baseline,
    check_changes,
    encode_baseline,
    items_of,
    parse_baseline,
)
from devicecheck.core.scan.findings import ScanContext
from devicecheck.errors import InvalidDataError
from tests.conftest import run_cli

BEFORE = Baseline(
    "2026-11-03T09:12:00Z",
    "entry-1",
    {
        "accounts": ("alex (user number 1000, shell /bin/bash)",),
        "autostart": ("backup: /usr/bin/backup (/etc/cron.d/backup)",),
        "listening_ports": ("tcp 0.0.0.0:22 (sshd)",),
        "remote_access": (),
        "authorized_keys": (),
    },
)
NOW = {
    "accounts": (
        "alex (user number 1000, shell /bin/bash)",
        "helper (user number 1001, shell /bin/sh)",
    ),
    "autostart": ("sync: /opt/x/sync (/home/alex/.config/autostart/sync.desktop)",),
    "listening_ports": ("tcp 0.0.0.0:22 (sshd)",),
    "remote_access": (),
    "authorized_keys": (),
}


def test_new_and_gone_items_with_the_dates_of_both_scans():
    findings = check_changes(BEFORE, NOW, "2026-11-10T18:40:00Z", None)
    summary = {(f.detail["what"], f.detail["change"]): f for f in findings}
    assert set(summary) == {("accounts", "new"), ("autostart", "new"), ("autostart", "gone")}
    started = summary[("autostart", "new")]
    assert started.kind == "changed"
    assert "A new start-up entry appeared between 3 and 10 November 2026" in started.advice
    assert started.detail["previous_scan"] == "2026-11-03T09:12:00Z"
    assert started.detail["previous_scan_entry"] == "entry-1"
    gone = summary[("autostart", "gone")]
    assert "gone by this one" in gone.advice and gone.confidence == "low"


def test_many_changes_of_one_kind_are_one_finding_with_the_list():
    now = dict(NOW, autostart=tuple(f"unit{n}: /x ({n})" for n in range(9)))
    findings = [
        f
        for f in check_changes(BEFORE, now, "2026-11-10T00:00:00Z", None)
        if f.detail["what"] == "autostart" and f.detail["change"] == "new"
    ]
    assert len(findings) == 1
    assert len(findings[0].detail["items"]) == 9
    assert "9 new start-up entries appeared" in findings[0].advice


def test_a_kind_the_old_baseline_did_not_record_is_not_compared():
    old = BEFORE._replace(items={"accounts": BEFORE.items["accounts"]})
    assert {change.kind for change in changes(old, NOW)} == {"accounts"}


@pytest.mark.parametrize(
    ("earlier", "later", "words"),
    [
        ("2026-11-03T09:00:00Z", "2026-11-10T10:00:00Z", "between 3 and 10 November 2026"),
        ("2026-10-28T09:00:00Z", "2026-11-03T10:00:00Z", "between 28 October and 3 November 2026"),
        (
            "2025-12-30T09:00:00Z",
            "2026-01-02T10:00:00Z",
            "between 30 December 2025 and 2 January 2026",
        ),
        (
            "2026-11-03T09:00:00Z",
            "2026-11-03T14:22:00Z",
            "on 3 November 2026 (between 09:00 and 14:22 UTC)",
        ),
    ],
)
def test_dates_in_plain_words(earlier, later, words):
    assert between(earlier, later) == words


def test_the_file_round_trips():
    assert parse_baseline(encode_baseline(BEFORE)) == BEFORE


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe",
        b"[]",
        b'{"format": "devicecheck-scan-baseline"}',
        b'{"format": "devicecheck-scan-baseline", "version": true, "taken_at": "2026-11-03T09:12:00Z", "items": {}}',
        b'{"format": "devicecheck-scan-baseline", "version": 1, "taken_at": "yesterday", "items": {}}',
        b'{"format": "devicecheck-scan-baseline", "version": 1, "taken_at": "2026-11-03T09:12:00Z", "items": {"autostart": [1]}}',
        b'{"format": "devicecheck-scan-baseline", "version": 1, "taken_at": "2026-11-03T09:12:00Z", "items": {"other": []}}',
        b"[" * 100_000,
    ],
)
def test_a_damaged_baseline_is_one_clear_error(data):
    with pytest.raises(InvalidDataError) as caught:
        parse_baseline(data, "scan-baseline.json")
    assert "\n" not in caught.value.message
    assert "scan-baseline.json" in caught.value.message


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(st.binary(max_size=300))
def test_any_bytes_are_a_baseline_or_our_error(data):
    with contextlib.suppress(InvalidDataError):
        parse_baseline(data)


@given(json_values, json_values, json_values)
def test_any_json_shape_is_a_baseline_or_our_error(taken_at, items, version):
    document = {
        "format": "devicecheck-scan-baseline",
        "version": version,
        "taken_at": taken_at,
        "items": items,
    }
    with contextlib.suppress(InvalidDataError):
        parse_baseline(json.dumps(document).encode())


def _context(data_dir: Path | None, autostart=()) -> ScanContext:
    return ScanContext(
        (),
        "linux",
        Path("/nonexistent-home"),
        IndicatorSet((), ()),
        DataDir(data_dir) if data_dir else None,
        None,
        (),
        tuple(autostart),
        (),
    )


def test_the_check_reports_a_new_start_up_entry_against_a_saved_baseline(tmp_path):
    entry = AutostartEntry("sync", "/opt/x/sync", "/home/a/.config/autostart/sync.desktop")
    base = Baseline("2026-11-03T09:12:00Z", None, {"autostart": ()})
    (tmp_path / BASELINE_NAME).write_bytes(encode_baseline(base))
    outcome = check_baseline(_context(tmp_path, [entry]), system=tmp_path)
    (finding,) = outcome.findings
    assert finding.detail["items"] == ["sync: /opt/x/sync (/home/a/.config/autostart/sync.desktop)"]
    assert outcome.not_examined == ()


def test_no_data_folder_or_no_baseline_reports_nothing(tmp_path):
    assert check_baseline(_context(None)).findings == ()
    assert check_baseline(_context(tmp_path)).findings == ()


@pytest.mark.parametrize("damage", ["truncate", "garbage", "symlink"])
def test_a_damaged_or_planted_baseline_is_one_line_and_not_used(tmp_path, damage):
    path = tmp_path / BASELINE_NAME
    good = encode_baseline(BEFORE)
    if damage == "truncate":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(os.urandom(200))
    else:
        target = tmp_path / "elsewhere.json"
        target.write_bytes(good)
        path.symlink_to(target)
    outcome = check_baseline(_context(tmp_path))
    assert outcome.findings == ()
    (problem,) = outcome.not_examined
    assert problem.what == "changes since the last saved scan"
    assert "not used" in problem.reason and "\n" not in problem.reason


def test_items_leave_out_passing_ports_and_crontab_line_numbers():
    from devicecheck.core.scan.connections import ObservedConnection

    items = items_of(
        accounts=[],
        key_files=[],
        autostart=[AutostartEntry("job", "/x", "/etc/crontab:7")],
        connections=[
            ObservedConnection("tcp", "0.0.0.0", 5900, None, None, "LISTEN", None),
            ObservedConnection("tcp", "127.0.0.1", 41234, None, None, "LISTEN", None),
        ],
        processes=[],
        findings=[],
    )
    assert items["autostart"] == ("job: /x (/etc/crontab)",)
    assert items["listening_ports"] == ("tcp 0.0.0.0:5900 (program unknown)",)


def _changed(document: dict) -> list[dict]:
    return [f for f in document["findings"] if f["kind"] == "changed"]


def test_saved_scan_then_scan_on_this_machine(tmp_path):
    """The real commands: a saved scan records a baseline; a scan right after reports nothing
    changed in the start-up entries and accounts; one taken from an edited baseline reports
    the difference, with dates."""
    saved = run_cli("scan", "--save", "--json", data_dir=tmp_path)
    assert saved.returncode in (0, 1), saved.stderr
    document = json.loads((tmp_path / BASELINE_NAME).read_text())
    assert document["scan_entry"] == json.loads(saved.stdout)["evidence_entry"]
    assert document["items"]["autostart"] and document["items"]["accounts"]

    again = json.loads(run_cli("scan", "--json", data_dir=tmp_path).stdout)
    steady = [f for f in _changed(again) if f["detail"]["what"] in ("autostart", "accounts")]
    assert steady == []

    removed = document["items"]["autostart"].pop(0)
    document["items"]["accounts"].append("intruder (user number 1005, shell /bin/bash)")
    document["taken_at"] = "2025-11-03T09:12:00Z"
    (tmp_path / BASELINE_NAME).write_text(json.dumps(document))
    later = json.loads(run_cli("scan", "--json", data_dir=tmp_path).stdout)
    changed = {(f["detail"]["what"], f["detail"]["change"]): f for f in _changed(later)}
    assert changed[("autostart", "new")]["detail"]["items"] == [removed]
    assert changed[("accounts", "gone")]["detail"]["items"] == [
        "intruder (user number 1005, shell /bin/bash)"
    ]
    assert changed[("autostart", "new")]["detail"]["when"].startswith(
        "between 3 November 2025 and "
    )


def test_a_plain_baseline_planted_in_a_protected_folder_is_refused(tmp_path):
    passphrase = tmp_path / "passphrase"
    passphrase.write_text("correct horse battery staple\n")
    home = tmp_path / "data"
    protect = run_cli("protect", "--passphrase-file", str(passphrase), data_dir=home)
    if protect.returncode != 0:
        pytest.skip(f"protect is not available here: {protect.stderr.strip()}")
    saved = run_cli("scan", "--save", "--json", "--passphrase-file", str(passphrase), data_dir=home)
    assert saved.returncode in (0, 1), saved.stderr
    assert b"devicecheck-scan-baseline" not in (home / BASELINE_NAME).read_bytes()  # sealed
    (home / BASELINE_NAME).write_bytes(encode_baseline(BEFORE))  # planted, in plain text
    later = run_cli("scan", "--json", "--passphrase-file", str(passphrase), data_dir=home)
    assert later.returncode in (0, 1), later.stderr
    document = json.loads(later.stdout)
    assert _changed(document) == []
    (problem,) = [
        p for p in document["not_examined"] if p["what"] == "changes since the last saved scan"
    ]
    assert "not used" in problem["reason"]


def test_the_plain_result_words_a_change_as_seen_not_as_a_list_match(tmp_path):
    saved = run_cli("scan", "--save", "--json", data_dir=tmp_path)
    assert saved.returncode in (0, 1), saved.stderr
    document = json.loads((tmp_path / BASELINE_NAME).read_text())
    document["items"]["accounts"].append("intruder (user number 1005, shell /bin/bash)")
    (tmp_path / BASELINE_NAME).write_text(json.dumps(document))
    result = run_cli("scan", data_dir=tmp_path)
    assert result.returncode == 1, result.stderr
    text = " ".join(result.stdout.split())
    assert "change since the last saved scan" in text
    assert "Seen: the baseline of the last saved scan: 'intruder (user number 1005" in text
    assert "(the list says 'the baseline" not in text


def test_remote_access_tools_are_the_products_the_lists_recognised():
    from devicecheck.core.scan.findings import Match, make_behaviour_finding

    def finding(kind: str, app: str):
        return make_behaviour_finding(
            kind=kind,
            app=app,
            category="remote-access",
            severity="medium",
            confidence="medium",
            matched=Match("x", "process_names", "x"),
            advice="",
        )

    items = items_of(
        accounts=[],
        key_files=[],
        autostart=[],
        connections=[],
        processes=[],
        findings=[
            finding("process", "TeamViewer"),
            finding("access", "SSH key “a”"),
            finding("changed", "New since the last saved scan: account"),
        ],
    )
    assert items["remote_access"] == ("TeamViewer",)


def test_a_browser_extension_installed_since_the_last_saved_scan_is_new(tmp_path):
    home = tmp_path / "home"
    profile = home / ".mozilla/firefox/abc.default-release"
    profile.mkdir(parents=True)
    (home / ".mozilla/firefox/profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abc.default-release\n"
    )
    addon = {"id": "helper@example", "type": "extension", "location": "app-profile",
             "signedState": 2, "active": True, "defaultLocale": {"name": "Helper"}}  # fmt: skip
    (profile / "extensions.json").write_text(json.dumps({"schemaVersion": 36, "addons": [addon]}))
    base = Baseline("2026-11-03T09:12:00Z", None, {"browser_extensions": ()})
    data = tmp_path / "data"
    data.mkdir()
    (data / BASELINE_NAME).write_bytes(encode_baseline(base))
    context = ScanContext((), "linux", home, IndicatorSet((), ()), DataDir(data), None)
    (finding,) = check_baseline(context, system=tmp_path).findings
    assert finding.detail["what"] == "browser_extensions"
    assert finding.detail["items"] == ["Firefox abc.default-release: Helper (helper@example)"]
    assert "A new browser extension appeared between 3 " in finding.advice


def test_a_fifo_planted_as_the_baseline_is_not_waited_on(tmp_path):
    import threading

    os.mkfifo(tmp_path / BASELINE_NAME)
    result: list = []
    thread = threading.Thread(
        target=lambda: result.append(check_baseline(_context(tmp_path))), daemon=True
    )
    thread.start()
    thread.join(10)
    assert result, "still waiting on the FIFO"
    (problem,) = result[0].not_examined
    assert "not used" in problem.reason
