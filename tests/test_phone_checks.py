"""The phone check modules over parsed readings, and imported indicator sources on a phone."""

from __future__ import annotations

import json
import time
from pathlib import Path
from types import MappingProxyType

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.phone.access import all_access, worrying_access
from devicecheck.core.phone.engine import check_readings, phone_indicators
from devicecheck.core.phone.parsers import DevicePolicy, ListedPackage, PackageRecord
from devicecheck.core.phone.readings import PhoneReadings
from devicecheck.core.phone.settings import patch_findings
from tests.conftest import run_cli
from tests.phone_support import ADB_DATA, StandInAdb

EMPTY = IndicatorSet((), ())


def _readings(**fields) -> PhoneReadings:
    packages = fields.pop("records", ())
    listed = tuple(
        ListedPackage(record.name, "/data/app/x/base.apk", record.installer, 10100)
        for record in packages
    )
    return PhoneReadings(
        listed=listed,
        packages=MappingProxyType({record.name: record for record in packages}),
        launcher=frozenset(record.name for record in packages),
        **fields,
    )


SIDELOADED = PackageRecord(name="org.example.helper", installer=None)
FROM_PLAY = PackageRecord(name="com.example.chat", installer="com.android.vending")


def test_android_9_default_sms_app_comes_from_settings():
    readings = _readings(
        records=(SIDELOADED,),
        secure=MappingProxyType({"sms_default_application": "org.example.helper"}),
        props=MappingProxyType({"ro.build.version.sdk": "28"}),
    )
    assert all_access(readings)["org.example.helper"] == ("default-sms",)
    (finding,) = check_readings(readings, EMPTY, None)
    assert finding.kind == "access" and finding.access == ("default-sms",)
    assert "every text message" in finding.advice


def test_a_store_app_with_the_same_access_is_not_reported():
    readings = _readings(
        records=(FROM_PLAY,),
        secure=MappingProxyType({"enabled_accessibility_services": "com.example.chat/.A11y"}),
    )
    assert all_access(readings)["com.example.chat"] == ("accessibility",)
    assert check_readings(readings, EMPTY, None) == ()


def test_one_permission_group_alone_is_not_enough_two_together_are():
    assert worrying_access(("camera",)) == ()
    assert worrying_access(("camera", "microphone")) == ("microphone", "camera")
    assert worrying_access(("overlay",)) == ("overlay",)


def test_before_android_10_any_location_counts_as_background():
    record = SIDELOADED._replace(
        granted=frozenset(
            {"android.permission.ACCESS_FINE_LOCATION", "android.permission.RECORD_AUDIO"}
        )
    )
    old = _readings(records=(record,), props=MappingProxyType({"ro.build.version.sdk": "28"}))
    new = _readings(records=(record,), props=MappingProxyType({"ro.build.version.sdk": "34"}))
    assert all_access(old)[record.name] == ("background-location", "microphone")
    assert all_access(new)[record.name] == ("microphone",)


def test_device_owner_work_profile_wireless_debugging_and_magisk():
    magisk = PackageRecord(name="com.topjohnwu.magisk", installer=None)
    readings = _readings(
        records=(magisk,),
        policy=DevicePolicy((), "com.corp.mdm", ((10, "com.work.profile"),)),
        global_settings=MappingProxyType({"adb_wifi_enabled": "1"}),
    )
    names = {finding.app: finding for finding in check_readings(readings, EMPTY, None)}
    assert names["The phone is managed by a device owner"].severity == "high"
    assert names["The phone has a managed (work) profile"].package == "com.work.profile"
    assert names["Wireless debugging is on"].severity == "high"
    assert "Magisk" in names["The phone shows signs of being rooted"].advice


def test_a_missing_play_protect_setting_says_nothing():
    readings = _readings(global_settings=MappingProxyType({"package_verifier_enable": "1"}))
    assert check_readings(readings, EMPTY, None) == ()


def test_patch_age_is_counted_from_today():
    readings = PhoneReadings(
        props=MappingProxyType({"ro.build.version.security_patch": "2025-10-05"})
    )
    day = 86400
    start = time.mktime(time.strptime("2025-10-05", "%Y-%m-%d"))
    assert patch_findings(readings, None, today=start + 300 * day) == []
    (old,) = patch_findings(readings, None, today=start + 400 * day)
    assert old.detail["age_days"] == 400
    garbled = PhoneReadings(props=MappingProxyType({"ro.build.version.security_patch": "soon"}))
    assert patch_findings(garbled, None) == []


def test_the_bundled_dual_use_list_reaches_the_phone_check():
    indicators = phone_indicators()
    life360 = [app for app in indicators.apps if "com.life360.android.safetymapd" in app.packages]
    assert life360 and life360[0].category == "parental-control"
    assert all(app.references for app in indicators.apps if app.source == "android-dual-use")
    readings = _readings(
        records=(
            PackageRecord(name="com.life360.android.safetymapd", installer="com.android.vending"),
        )
    )
    (finding,) = check_readings(readings, indicators, None)
    assert finding.severity == "medium"
    assert finding.advice.startswith("Check: did you, or someone you trust, install this?")
    assert "Life360" in finding.advice


def test_an_imported_watchware_list_is_dual_use_on_a_phone(data_dir: Path, tmp_path: Path):
    imported = run_cli(
        "indicators",
        "import",
        str(ADB_DATA / "watchware-sample.yaml"),
        "--format",
        "echap",
        data_dir=data_dir,
    )
    assert imported.returncode == 0, imported.stderr
    indicators = phone_indicators(_data_dir(data_dir))
    famisafe = [app for app in indicators.apps if "com.wondershare.famisafe" in app.packages]
    assert famisafe and famisafe[0].category == "parental-control"
    readings = _readings(records=(PackageRecord(name="com.wondershare.famisafe", installer=None),))
    (finding,) = check_readings(readings, indicators, None)
    assert finding.kind == "package" and finding.severity == "medium"
    assert finding.source["id"] != "echap"


def test_an_imported_stix_app_id_is_found_on_the_phone(data_dir: Path, tmp_path: Path):
    bundle = {
        "type": "bundle",
        "id": "bundle--8c1e1b1a-5b0e-4a36-9d2a-2f1f3b9c4d01",
        "objects": [
            {
                "type": "malware",
                "spec_version": "2.1",
                "id": "malware--a1b2c3d4-0000-4000-8000-000000000001",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "name": "FitSync spy",
                "is_family": False,
                "labels": ["stalkerware"],
            },
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--a1b2c3d4-0000-4000-8000-000000000002",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "pattern": "[app:id = 'net.fitsync.tracker']",
                "pattern_type": "stix",
                "valid_from": "2026-01-01T00:00:00Z",
            },
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": "relationship--a1b2c3d4-0000-4000-8000-000000000003",
                "created": "2026-01-01T00:00:00.000Z",
                "modified": "2026-01-01T00:00:00.000Z",
                "relationship_type": "indicates",
                "source_ref": "indicator--a1b2c3d4-0000-4000-8000-000000000002",
                "target_ref": "malware--a1b2c3d4-0000-4000-8000-000000000001",
            },
        ],
    }
    path = tmp_path / "fitsync.stix2"
    path.write_text(json.dumps(bundle), encoding="utf-8")
    imported = run_cli("indicators", "import", str(path), "--format", "stix2", data_dir=data_dir)
    assert imported.returncode == 0, imported.stderr
    adb = StandInAdb(tmp_path / "adb", "android14-sideloaded")
    result = run_cli("phone", "scan", "--json", data_dir=data_dir, env=adb.env())
    findings = json.loads(result.stdout)["findings"]
    known = [
        f for f in findings if f["kind"] == "package" and f["package"] == "net.fitsync.tracker"
    ]
    assert known and known[0]["app"] == "FitSync spy" and known[0]["severity"] == "high"
    # The known app's finding carries its access; no second "access" finding for it.
    assert not [
        f for f in findings if f["kind"] == "access" and f["package"] == "net.fitsync.tracker"
    ]
    assert "accessibility" in known[0]["access"]


def _data_dir(path: Path):
    from devicecheck.core.datadir import DataDir

    return DataDir(path)


def test_an_app_installed_only_in_a_work_profile_is_still_checked():
    main_user = PackageRecord(name="com.example.chat", installer="com.android.vending", users=(0,))
    profile_only = PackageRecord(name="com.ispyoo", installer=None, users=(10,))
    removed = PackageRecord(name="com.mxspy", installer=None, users=())
    readings = PhoneReadings(
        listed=(
            ListedPackage("com.example.chat", "/data/app/x/base.apk", "com.android.vending", 10100),
        ),
        packages=MappingProxyType({r.name: r for r in (main_user, profile_only, removed)}),
    )
    assert readings.installed_packages() == ("com.example.chat", "com.ispyoo")
    findings = check_readings(readings, phone_indicators(), None)
    assert [f.package for f in findings if f.kind == "package"] == ["com.ispyoo"]
