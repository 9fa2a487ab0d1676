"""Browser history and the hosts file compared with indicator domains, on real SQLite databases.

The databases are built from the browsers' own table definitions (tests/data/browser, with
their sources), in WAL mode as the browsers run them, and planted in a test home folder.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest
import yaml

from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.core.indicators.store import BUNDLED_DIR
from devicecheck.core.scan.browser_history import (
    WEBKIT_EPOCH_OFFSET_US,
    DomainIndex,
    PrivateCopy,
    host_of,
    read_history,
    scan_history,
)
from devicecheck.core.scan.browser_profiles import find_profiles, parse_profiles_ini
from devicecheck.core.scan.hosts_file import parse_hosts, scan_hosts
from devicecheck.errors import InvalidDataError
from tests.conftest import TEST_DATA, run_cli

SCHEMAS = TEST_DATA / "browser"
VISIT_VENDOR = 1_700_000_000  # 2023-11-14 22:13:20 UTC
VISIT_C2 = 1_700_100_000  # 2023-11-16 02:00:00 UTC


def iso(seconds: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(seconds))


def echap_sample() -> tuple[str, str, str]:
    """(app name, a vendor website, a C2 domain) of one app in the bundled real Echap ioc.yaml."""
    apps = yaml.safe_load((BUNDLED_DIR / "echap" / "ioc.yaml").read_text(encoding="utf-8"))
    for app in apps:
        websites = app.get("websites") or []
        c2 = (app.get("c2") or {}).get("domains") or []
        if websites and c2:
            return app["name"], websites[0], c2[-1]
    raise AssertionError("the bundled Echap list has no app with websites and C2 domains")


def chrome_history(path: Path, visits: list[tuple[str, int]]) -> sqlite3.Connection:
    """A Chrome `History` with `visits` (url, unix seconds); returned open, as a running browser
    keeps it: WAL mode, exclusive locking, no checkpoint, so the rows are still in the -wal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript((SCHEMAS / "chrome-history-schema.sql").read_text())
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("PRAGMA locking_mode=EXCLUSIVE")
    for url, seconds in visits:
        stamp = seconds * 1_000_000 + WEBKIT_EPOCH_OFFSET_US
        row = connection.execute(
            "INSERT INTO urls (url, title, visit_count, last_visit_time) VALUES (?, '', 1, ?)",
            (url, stamp),
        ).lastrowid
        connection.execute("INSERT INTO visits (url, visit_time) VALUES (?, ?)", (row, stamp))
    connection.commit()
    return connection


def firefox_places(path: Path, visits: list[tuple[str, int]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    connection.executescript((SCHEMAS / "firefox-places-schema.sql").read_text())
    connection.execute("PRAGMA journal_mode=WAL")
    for url, seconds in visits:
        row = connection.execute(
            "INSERT INTO moz_places (url, last_visit_date, visit_count) VALUES (?, ?, 1)",
            (url, seconds * 1_000_000),
        ).lastrowid
        connection.execute(
            "INSERT INTO moz_historyvisits (place_id, visit_date, visit_type) VALUES (?, ?, 1)",
            (row, seconds * 1_000_000),
        )
    connection.commit()
    connection.close()


def one_app_set(*domains: str, category: str = "stalkerware") -> IndicatorSet:
    source = SourceInfo("test", "Test list", "CC0", "tests", "", "1")
    app = AppIndicator("test:spy", "TestSpy", category, "test", domains=domains)
    return IndicatorSet((source,), (app,))


@pytest.fixture(scope="module")
def indicators() -> IndicatorSet:
    return load_indicators()


def test_planted_chrome_and_firefox_history_give_url_and_visit_time_through_the_cli(
    tmp_path, data_dir
):
    name, website, c2 = echap_sample()
    home = tmp_path / "home"
    vendor_url = f"https://www.{website}/pricing?plan=premium"
    c2_url = f"http://{c2}/api/upload"
    browser = chrome_history(
        home / ".config/google-chrome/Default/History",
        [("https://news.example.org/", VISIT_VENDOR - 60), (vendor_url, VISIT_VENDOR)],
    )
    firefox = home / ".mozilla/firefox"
    firefox_places(firefox / "abcd1234.default-release/places.sqlite", [(c2_url, VISIT_C2)])
    elsewhere = tmp_path / "elsewhere" / "work-profile"
    firefox_places(elsewhere / "places.sqlite", [(f"https://{website}/", VISIT_C2 + 5)])
    (firefox / "profiles.ini").write_text(
        "[Profile0]\nName=default-release\nIsRelative=1\nPath=abcd1234.default-release\n\n"
        f"[Profile1]\nName=work\nIsRelative=0\nPath={elsewhere}\n"
    )
    chrome_folder = sorted(os.listdir(home / ".config/google-chrome/Default"))
    # The running "browser" holds its database locked: reading it in place fails.
    direct = sqlite3.connect(home / ".config/google-chrome/Default/History", timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        direct.execute("SELECT count(*) FROM urls").fetchall()
    direct.close()
    try:
        result = run_cli("scan", "--json", data_dir=data_dir, env={"HOME": str(home)})
        # The "running browser" was not disturbed: it still writes, and no file was added.
        browser.execute("INSERT INTO meta VALUES ('after-scan', '1')")
        browser.commit()
        assert sorted(os.listdir(home / ".config/google-chrome/Default")) == chrome_folder
    finally:
        browser.close()
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    history = [f for f in report["findings"] if f["kind"] == "history" and f["app"] == name]
    by_browser = {(f["detail"]["browser"], f["detail"]["profile"]): f for f in history}
    chrome = by_browser[("Chrome", "Default")]
    assert chrome["matched"]["value"] == vendor_url and chrome["matched"]["field"] == "domains"
    assert chrome["detail"]["visits"] == [{"url": vendor_url, "visited_at": iso(VISIT_VENDOR)}]
    assert "news.example.org" not in json.dumps(history)
    fox = by_browser[("Firefox", "abcd1234.default-release")]
    assert fox["detail"]["visits"] == [{"url": c2_url, "visited_at": iso(VISIT_C2)}]
    assert fox["detail"]["first_visit"] == iso(VISIT_C2)
    work = by_browser[("Firefox", "work-profile")]
    assert work["detail"]["visits"][0]["visited_at"] == iso(VISIT_C2 + 5)
    assert "2023-11-14 at 22:13:20 UTC" in chrome["advice"]
    (coverage,) = [c["how"] for c in report["coverage"] if c["kind"] == "domains"]
    assert coverage.startswith("compared with browser history of 3 profiles and the hosts file")
    assert report["examined"]["browser_profiles"] == 3


def test_immutable_would_have_missed_the_wal_rows(tmp_path):
    """Why the copy is not opened immutable=1: the visit lives only in the -wal file."""
    path = tmp_path / "History"
    browser = chrome_history(path, [("https://mspy.com/", VISIT_VENDOR)])
    try:
        assert (tmp_path / "History-wal").stat().st_size > 0
        with PrivateCopy() as copies:
            copy = copies.copy(path, "History")
            immutable = sqlite3.connect(f"{copy.as_uri()}?mode=ro&immutable=1", uri=True)
            assert immutable.execute("SELECT count(*) FROM urls").fetchone() == (0,)
            immutable.close()
            urls, hits = read_history(copy, "chromium", DomainIndex({"mspy.com": (0,)}))
        assert urls == 1 and hits[0].visits == (iso(VISIT_VENDOR),)
    finally:
        browser.close()


def test_wildcard_subdomain_shared_and_pattern_domains():
    index = DomainIndex(
        {
            "mspy.com": (0,),
            "*.anydesk.com": (1,),
            "agents*-cloud.acronis.com": (2,),
            "github.com": (3,),
            "user_managed": (4,),
            "136.243.104.235": (5,),
        }
    )
    assert [m.app for m in index.matches("mspy.com")] == [0]
    assert [m.app for m in index.matches("www.mspy.com")] == [0]
    assert index.matches("notmspy.com") == []
    assert [m.indicator for m in index.matches("relay.anydesk.com")] == ["*.anydesk.com"]
    assert index.matches("anydesk.com") == []  # "*." means subdomains
    assert [m.app for m in index.matches("agents12-cloud.acronis.com")] == [2]
    assert index.matches("github.com") == [] and index.matches("user_managed") == []
    assert index.matches("136.243.104.235") == []


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://WWW.MSPY.com/x", "www.mspy.com"),
        ("http://user:pass@mspy.com:8080/", "mspy.com"),
        ("https://mspy.com./", "mspy.com"),
        ("https://[2001:db8::1]/", "[2001:db8::1]"),
        ("chrome://settings", "settings"),
        ("about:blank", ""),
        ("file:///etc/passwd", ""),
        ("mspy.com", ""),
    ],
)
def test_host_of(url, host):
    assert host_of(url) == host


def test_corrupt_locked_and_odd_databases_are_not_examined_never_a_traceback(tmp_path):
    home = tmp_path / "home"
    chrome = home / ".config/google-chrome"
    (chrome / "Default").mkdir(parents=True)
    (chrome / "Default/History").write_bytes(b"SQLite format 3\0" + os.urandom(3000))
    (chrome / "Profile 1").mkdir()
    os.mkfifo(chrome / "Profile 1/History")  # would hang a reader that opens it blocking
    (chrome / "Profile 2").mkdir()
    wrong = sqlite3.connect(chrome / "Profile 2/History")
    wrong.execute("CREATE TABLE urls (something_else TEXT)")
    wrong.commit()
    wrong.close()
    edge = home / ".config/microsoft-edge/Default"
    chrome_history(edge / "History", [("https://mspy.com/", VISIT_VENDOR)]).close()
    if os.geteuid() != 0:
        (edge / "History").chmod(0)
    started = time.monotonic()
    outcome = scan_history(home, "linux", one_app_set("mspy.com"))
    assert time.monotonic() - started < 10
    reasons = {item.what: item.reason for item in outcome.not_examined}
    assert (
        "it could not be read: it may be damaged"
        in reasons["browser history (Chrome, profile Default)"]
    )
    assert "not a regular file" in reasons["browser history (Chrome, profile Profile 1)"]
    assert "no such column" in reasons["browser history (Chrome, profile Profile 2)"]
    if os.geteuid() != 0:
        assert "Permission denied" in reasons["browser history (Edge, profile Default)"]
    assert outcome.examined["browser_profiles"] == (0 if os.geteuid() != 0 else 1)


def test_cli_scan_with_a_corrupt_history_names_it_and_exits_cleanly(tmp_path, data_dir):
    home = tmp_path / "home"
    (home / ".config/chromium/Default").mkdir(parents=True)
    (home / ".config/chromium/Default/History").write_bytes(b"not a database at all" * 100)
    result = run_cli("scan", "--json", data_dir=data_dir, env={"HOME": str(home)})
    assert result.returncode in (0, 1) and "Traceback" not in result.stderr
    report = json.loads(result.stdout)
    item = next(i for i in report["not_examined"] if "Chromium, profile Default" in i["what"])
    assert "could not be read" in item["reason"]
    assert not [f for f in report["findings"] if f["kind"] == "history"]


def test_the_private_copy_is_removed_after_reading(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    chrome_history(tmp_path / "home/.config/chromium/Default/History", []).close()
    outcome = scan_history(tmp_path / "home", "linux", one_app_set("mspy.com"))
    assert outcome.examined["browser_profiles"] == 1
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(
    ("platform", "chromium", "firefox"),
    [
        (
            "darwin",
            "Library/Application Support/BraveSoftware/Brave-Browser/Profile 3",
            "Library/Application Support/Firefox/Profiles/x1.default",
        ),
        (
            "win32",
            "AppData/Local/Microsoft/Edge/User Data/Default",
            "AppData/Roaming/Mozilla/Firefox/Profiles/y2.default-release",
        ),
    ],
)
def test_profile_locations_on_macos_and_windows(tmp_path, platform, chromium, firefox):
    chrome_history(tmp_path / chromium / "History", []).close()
    firefox_places(tmp_path / firefox / "places.sqlite", [])
    found = {(p.engine, p.folder) for p in find_profiles(tmp_path, platform)}
    assert found == {("chromium", tmp_path / chromium), ("firefox", tmp_path / firefox)}


def test_profiles_ini_relative_absolute_and_install_defaults():
    text = (
        "[General]\nStartWithLastProfile=1\n\n[Profile1]\nName=a\nIsRelative=0\n"
        "Path=/data/ff/a\n\n[Profile0]\nName=b\nIsRelative=1\nPath=Profiles/b.default\n\n"
        "[Install4F96D1932A9F858E]\nDefault=Profiles/c.default-release\nLocked=1\n"
        "[Profile2]\nName=no path\n"
    )
    assert parse_profiles_ini(text) == [
        ("/data/ff/a", False),
        ("Profiles/b.default", True),
        ("Profiles/c.default-release", True),
    ]


def test_bundled_lists_give_findings_for_real_vendor_and_c2_visits(tmp_path, indicators):
    name, website, c2 = echap_sample()
    home = tmp_path / "home"
    firefox_places(
        home / ".mozilla/firefox/p.default/places.sqlite",
        [(f"https://{website}/", VISIT_VENDOR), (f"https://{c2}/", VISIT_C2)],
    )
    outcome = scan_history(home, "linux", indicators)
    finding = next(f for f in outcome.findings if f.app == name)
    assert finding.detail["visit_count"] == 2
    assert finding.detail["first_visit"] == iso(VISIT_VENDOR)
    assert finding.detail["last_visit"] == iso(VISIT_C2)
    assert finding.severity == "high" and finding.confidence == "medium"


def test_hosts_file_redirects_are_findings_and_blocks_are_not(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text(
        "127.0.0.1 localhost\n"
        "0.0.0.0 mspy.com   # blocked by a block list\n"
        "203.0.113.9 api.mspy.com other.example  # sent elsewhere\n"
        "not-an-entry\n"
    )
    outcome = scan_hosts(hosts, one_app_set("mspy.com"))
    assert [f.matched.value for f in outcome.findings] == ["api.mspy.com"]
    assert outcome.findings[0].detail == {"place": str(hosts), "line": 3, "address": "203.0.113.9"}
    assert outcome.examined["hosts_entries_blocking_indicators"] == 1
    assert parse_hosts("::1 ip6-localhost ip6-loopback\n")[1].name == "ip6-loopback"


def test_hosts_file_that_is_a_fifo_is_not_examined_without_hanging(tmp_path):
    fifo = tmp_path / "hosts"
    os.mkfifo(fifo)
    outcome = scan_hosts(fifo, one_app_set("mspy.com"))
    assert outcome.not_examined and "not a regular file" in outcome.not_examined[0].reason


def test_read_history_of_a_missing_table_is_invalid_data(tmp_path):
    path = tmp_path / "places.sqlite"
    sqlite3.connect(path).close()
    with pytest.raises(InvalidDataError, match="no such table"):
        read_history(path, "firefox", DomainIndex({"mspy.com": (0,)}))


def test_text_that_is_not_utf8_is_read_with_replacement(tmp_path):
    path = tmp_path / "History"
    chrome_history(path, [("https://mspy.com/a", VISIT_VENDOR)]).close()
    connection = sqlite3.connect(path)
    connection.execute(
        "INSERT INTO urls (url, last_visit_time) VALUES (CAST(x'68747470733a2f2f6d7370792e636f6d2fff' AS TEXT), 1)"
    )
    connection.commit()
    connection.close()
    urls, hits = read_history(path, "chromium", DomainIndex({"mspy.com": (0,)}))
    assert urls == 2 and sorted(hit.url for hit in hits) == [
        "https://mspy.com/a",
        "https://mspy.com/\ufffd",
    ]


def test_planted_devices_and_huge_files_are_refused_without_reading_them(tmp_path):
    home = tmp_path / "home"
    brave = home / ".config/BraveSoftware/Brave-Browser"
    (brave / "Default").mkdir(parents=True)
    (brave / "Default/History").symlink_to("/dev/zero")  # would never end
    (brave / "Profile 1").mkdir()
    with open(brave / "Profile 1/History", "wb") as sparse:
        sparse.truncate(3 << 30)  # 3 GB that take no disk space
    started = time.monotonic()
    outcome = scan_history(home, "linux", one_app_set("mspy.com"))
    assert time.monotonic() - started < 10
    reasons = {item.what: item.reason for item in outcome.not_examined}
    assert "not a regular file" in reasons["browser history (Brave, profile Default)"]
    assert "larger than 2048 MB" in reasons["browser history (Brave, profile Profile 1)"]


def test_a_fifo_planted_as_firefox_profiles_ini_does_not_hang_the_scan(tmp_path):
    home = tmp_path / "home"
    firefox = home / ".mozilla/firefox"
    firefox_places(firefox / "abc.default" / "places.sqlite", [])
    os.mkfifo(firefox / "profiles.ini")  # a blocking read waits for a writer for ever

    def stuck(*_):  # not an OSError, which the reader would take for an unreadable file
        raise RuntimeError("reading profiles.ini blocked")

    previous = signal.signal(signal.SIGALRM, stuck)
    signal.alarm(10)
    try:
        profiles = find_profiles(home, "linux")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert [(p.browser, p.name) for p in profiles] == [("Firefox", "abc.default")]
