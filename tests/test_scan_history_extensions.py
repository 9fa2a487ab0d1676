"""Browser extensions in a planted test home: real files in the browsers' own layout.

Chromium: `Preferences` / `Secure Preferences` hold `extensions.settings.<id>` with `location`
(the ManifestLocation numbers of chromium extensions/common/mojom/manifest.mojom), `from_webstore`,
`install_time` (WebKit microseconds, as text) and `path` (extensions/browser/extension_prefs.cc);
each extension's files are in `Extensions/<id>/<version>/` with its `manifest.json`.
Firefox: `extensions.json` holds `addons` with `id`, `type`, `location`, `signedState`,
`foreignInstall`, `active`, `installDate` (ms), `defaultLocale` and `userPermissions`
(toolkit/mozapps/extensions/internal/XPIDatabase.sys.mjs).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.core.scan.browser_extensions import (
    chromium_extensions,
    extension_findings,
    firefox_extensions,
    list_extensions,
)
from devicecheck.core.scan.browser_profiles import BrowserProfile
from devicecheck.errors import InvalidDataError
from tests.conftest import run_cli

STORE = "https://clients2.google.com/service/update2/crx"
ID_STORE = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
ID_UNPACKED = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
ID_VENDOR = "cccccccccccccccccccccccccccccccc"
ID_PLANTED = "dddddddddddddddddddddddddddddddd"


def indicators() -> IndicatorSet:
    source = SourceInfo("curated", "devicecheck curated list", "CC BY 4.0", "", "", "1")
    apps = (
        AppIndicator(
            "curated:teramind", "Teramind", "employee-monitoring", "curated",
            domains=("teramind.co",),
        ),
    )  # fmt: skip
    return IndicatorSet((source,), apps)


def write(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


def chrome_profile(home: Path) -> Path:
    profile = home / ".config/google-chrome/Default"
    extensions = profile / "Extensions"
    write(
        extensions / ID_STORE / "1.2.3_0" / "manifest.json",
        {"name": "Password helper", "version": "1.2.3", "manifest_version": 3,
         "permissions": ["tabs", "cookies"], "host_permissions": ["<all_urls>"],
         "update_url": STORE},
    )  # fmt: skip
    unpacked = home / "Downloads" / "helper-ext"
    write(
        unpacked / "manifest.json",
        {"name": "__MSG_appName__", "default_locale": "en", "version": "0.1",
         "manifest_version": 2, "permissions": ["webRequest", "cookies", "*://*/*"]},
    )  # fmt: skip
    write(unpacked / "_locales" / "en" / "messages.json", {"appName": {"message": "PDF tools"}})
    write(
        extensions / ID_VENDOR / "9.0_0" / "manifest.json",
        {"name": "Productivity agent", "version": "9.0", "homepage_url": "https://www.teramind.co/",
         "permissions": ["tabs"], "update_url": STORE},
    )  # fmt: skip
    write(
        extensions / ID_PLANTED / "1.0_0" / "manifest.json",
        {"name": "Sync", "version": "1.0", "permissions": ["history", "https://*/*", "http://*/*"]},
    )  # fmt: skip
    write(
        profile / "Preferences",
        {"extensions": {"settings": {
            ID_STORE: {"location": 1, "from_webstore": True, "path": f"{ID_STORE}/1.2.3_0",
                       "install_time": "13340000000000000", "state": 1},
            ID_VENDOR: {"location": 1, "from_webstore": True, "path": f"{ID_VENDOR}/9.0_0"},
            "mhjfbmdgcfjbbpaeojofohoefgiehjai": {"location": 5, "path": "/opt/chrome/pdf"},
        }}},
    )  # fmt: skip
    write(
        profile / "Secure Preferences",
        {"extensions": {"settings": {
            ID_UNPACKED: {"location": 4, "path": str(unpacked), "install_time": "13345000000000000"},
        }}},
    )  # fmt: skip
    return profile


def firefox_profile(home: Path) -> Path:
    profile = home / ".mozilla/firefox/abc.default-release"
    broad = {"permissions": ["webRequest", "tabs"], "origins": ["<all_urls>"]}
    write(
        profile / "extensions.json",
        {"schemaVersion": 36, "addons": [
            {"id": "ublock@example", "type": "extension", "location": "app-profile",
             "signedState": 2, "active": True, "userPermissions": broad,
             "defaultLocale": {"name": "Blocker"}, "installDate": 1700000000000},
            {"id": "sideloaded@example", "type": "extension", "location": "app-profile",
             "foreignInstall": True, "signedState": 2, "active": True,
             "userPermissions": broad, "defaultLocale": {"name": "Helper"}},
            {"id": "unsigned@example", "type": "extension", "location": "app-profile",
             "signedState": 0, "active": True, "userPermissions": broad,
             "defaultLocale": {"name": "Unsigned"}},
            {"id": "screenshots@mozilla.org", "type": "extension",
             "location": "app-builtin", "userPermissions": broad},
            {"id": "dark@example", "type": "theme", "location": "app-profile"},
        ]},
    )  # fmt: skip
    return profile


def test_chromium_extensions_and_how_each_was_installed(tmp_path):
    profile = BrowserProfile("Chrome", "Default", chrome_profile(tmp_path), "chromium")
    found = {e.id: e for e in chromium_extensions(profile)}
    assert "mhjfbmdgcfjbbpaeojofohoefgiehjai" not in found  # built into the browser
    assert found[ID_STORE].from_store and found[ID_STORE].reads_everything
    assert found[ID_STORE].installed_at == "2023-09-24T03:33:20+00:00"  # 1,695,526,400 s
    unpacked = found[ID_UNPACKED]
    assert unpacked.name == "PDF tools" and not unpacked.from_store
    assert unpacked.how_installed == "loaded by hand from a folder (unpacked)"
    assert unpacked.reads_everything
    assert "not recorded" in found[ID_PLANTED].how_installed


def test_findings_for_a_known_product_and_for_reading_everything_outside_the_store(tmp_path):
    chrome_profile(tmp_path)
    firefox_profile(tmp_path)
    extensions, problems, profiles = list_extensions(tmp_path, "linux")
    assert problems == [] and profiles == 2
    findings = {f.detail["id"]: f for f in extension_findings(extensions, indicators(), None)}
    assert findings[ID_VENDOR].app == "Teramind" and findings[ID_VENDOR].matched.field == "domains"
    assert findings[ID_UNPACKED].matched.field == "permissions"
    assert "loaded by hand" in findings[ID_UNPACKED].advice
    assert ID_PLANTED in findings and "sideloaded@example" in findings
    assert "unsigned@example" in findings
    assert ID_STORE not in findings and "ublock@example" not in findings
    assert all(f.kind == "extension" for f in findings.values())


def test_cli_scan_reports_extensions_and_counts_them(tmp_path, data_dir):
    home = tmp_path / "home"
    chrome_profile(home)
    result = run_cli("scan", "--json", data_dir=data_dir, env={"HOME": str(home)})
    report = json.loads(result.stdout)
    ids = {f["detail"].get("id") for f in report["findings"] if f["kind"] == "extension"}
    assert {ID_UNPACKED, ID_PLANTED} <= ids and ID_STORE not in ids
    assert report["examined"]["browser_extensions"] == 4


def test_damaged_or_planted_preferences_are_not_examined(tmp_path):
    home = tmp_path
    profile = home / ".config/chromium/Default"
    profile.mkdir(parents=True)
    (profile / "Preferences").write_text("{not json")
    other = home / ".config/chromium/Profile 1"
    other.mkdir()
    os.mkfifo(other / "Preferences")
    extensions, problems, _ = list_extensions(home, "linux")
    assert extensions == []
    reasons = {p.what: p.reason for p in problems}
    assert "not valid JSON" in reasons["browser extensions (Chromium, profile Default)"]
    assert "not a regular file" in reasons["browser extensions (Chromium, profile Profile 1)"]


def test_firefox_extensions_leave_out_themes_and_mozillas_own(tmp_path):
    profile = BrowserProfile("Firefox", "p", firefox_profile(tmp_path), "firefox")
    names = {e.name: e for e in firefox_extensions(profile)}
    assert set(names) == {"Blocker", "Helper", "Unsigned"}
    assert names["Blocker"].from_store and names["Blocker"].installed_at.startswith("2023-11-14")
    assert "another program" in names["Helper"].how_installed


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(
        st.sampled_from(
            ["extensions", "settings", "location", "path", "manifest", "addons", "id", "type",
             "userPermissions", "permissions", "origins", "name", "signedState", "install_time",
             "from_webstore", "host_permissions", "content_scripts", "matches", "defaultLocale"]
        ) | st.text(max_size=6),
        children,
        max_size=5,
    ),
    max_leaves=30,
)  # fmt: skip


@settings(max_examples=80)
@given(document=JSONISH, engine=st.sampled_from(["chromium", "firefox"]))
def test_any_preferences_or_extensions_json_give_only_our_errors(
    tmp_path_factory, document, engine
):
    folder = tmp_path_factory.mktemp("profile")
    name = "Preferences" if engine == "chromium" else "extensions.json"
    (folder / name).write_text(json.dumps(document))
    profile = BrowserProfile("X", "p", folder, engine)
    reader = chromium_extensions if engine == "chromium" else firefox_extensions
    try:
        for extension in reader(profile):
            assert isinstance(extension.name, str) and isinstance(extension.reads_everything, bool)
    except InvalidDataError as error:
        assert error.message


def test_a_listed_monitoring_extension_is_found_by_its_id(tmp_path):
    """Smoothwall Monitor's id, as its vendor's Google Workspace guide gives it, pushed by policy."""
    profile = tmp_path / ".config/google-chrome/Default"
    monitor = "donbapingkdboklmjcfmpagmdohkgphg"
    write(
        profile / "Extensions" / monitor / "3.1_0" / "manifest.json",
        {"name": "Monitor", "version": "3.1", "permissions": ["tabs"], "update_url": STORE},
    )
    write(
        profile / "Preferences",
        {"extensions": {"settings": {monitor: {"location": 9, "path": f"{monitor}/3.1_0"}}}},
    )
    extensions, _, _ = list_extensions(tmp_path, "linux")
    (finding,) = extension_findings(extensions, indicators(), None)
    assert finding.app == "Smoothwall Monitor" and finding.category == "employee-monitoring"
    assert finding.matched.field == "extension_id" and finding.confidence == "high"
    assert "pushed by a policy" in finding.advice
    assert finding.detail["listed_by"].startswith("https://monitorhelp.smoothwall.com/")
