"""`devicecheck phone list|scan` run for real against the stand-in adb (tests/data/adb)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_one_line_error, run_cli
from tests.phone_support import ADB_DATA, StandInAdb

# The exact commands a scan sends, in order: a test that fails if one is added or changed.
SCAN_COMMANDS = [
    ["devices", "-l"],
    ["shell", "getprop"],
    ["shell", "pm", "list", "packages", "-f", "-i", "-U"],
    ["shell", "pm", "list", "packages", "-d"],
    ["shell", "dumpsys", "package", "-f"],
    ["shell", "settings", "list", "secure"],
    ["shell", "settings", "list", "global"],
    ["shell", "dumpsys", "accessibility"],
    ["shell", "dumpsys", "device_policy"],
    ["shell", "dumpsys", "appops"],
    ["shell", "dumpsys", "role"],
    ["shell", "which", "su"],
]


def _scan(adb: StandInAdb, data_dir: Path, *extra: str):
    return run_cli("phone", "scan", "--json", *extra, data_dir=data_dir, env=adb.env())


def _findings(result) -> list[dict]:
    return json.loads(result.stdout)["findings"]


def test_a_clean_android_14_phone_reports_nothing_and_exits_0(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-clean")
    result = _scan(adb, data_dir)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["findings"] == []
    assert document["target"] == "android-phone" and document["complete"] is True
    assert document["device"]["model"] == "Pixel 8"
    assert document["device"]["android_version"] == "14"
    assert document["examined"]["packages"] == 16
    assert document["examined"]["adb_calls"] == len(SCAN_COMMANDS)
    assert {"device", "findings", "examined", "not_examined", "indicators", "limits"} <= set(
        document
    )
    assert any("iPhone" in limit for limit in document["limits"])
    assert any("factory reset" in limit for limit in document["limits"])
    assert any("Google account" in limit for limit in document["limits"])
    sources = {source["id"] for source in document["indicators"]}
    assert {"echap", "android-dual-use"} <= sources
    assert "USB debugging off" in result.stderr


def test_the_scan_sends_exactly_the_read_only_commands(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-sideloaded")
    _scan(adb, data_dir)
    calls = adb.calls()
    serial = "3A281FDJH00K7C"
    assert calls[0] == ["devices", "-l"]
    assert [call[2:] if call[:2] == ["-s", serial] else call for call in calls] == SCAN_COMMANDS
    assert all(call[:2] == ["-s", serial] for call in calls[1:])
    sent = " ".join(" ".join(call) for call in calls)
    for word in ("install", "uninstall", "disable", "push", "pull", "reboot", "put", "grant"):
        assert f" {word} " not in f" {sent} "


def test_the_serial_is_hashed_unless_asked(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-clean")
    hidden = _scan(adb, data_dir)
    assert "35111FDJH000AB" not in hidden.stdout
    device = json.loads(hidden.stdout)["device"]
    assert device["serial_hashed"] is True and device["serial"].startswith("sha256:")
    shown = _scan(adb, data_dir, "--show-serial")
    assert json.loads(shown.stdout)["device"]["serial"] == "35111FDJH000AB"


def test_an_echap_package_is_high_severity_stalkerware_with_the_advice(
    data_dir: Path, tmp_path: Path
):
    adb = StandInAdb(tmp_path, "android12-echap")
    result = _scan(adb, data_dir)
    assert result.returncode == 1
    stalkerware = [f for f in _findings(result) if f["kind"] == "package"]
    assert len(stalkerware) == 1
    finding = stalkerware[0]
    assert finding["app"] == "TheTruthSpy" and finding["package"] == "com.ispyoo"
    assert finding["severity"] == "high" and finding["category"] == "stalkerware"
    assert finding["source"]["id"] == "echap"
    assert finding["installer"] is None
    assert finding["first_installed"] == "2026-09-03 07:15:22"
    assert finding["version"] == "5.2"
    assert finding["cert_sha256"] is None  # adb shows no certificate digest; never guessed
    assert {"notification-listener", "sms", "microphone"} <= set(finding["access"])
    advice = finding["advice"]
    assert "Do not uninstall it yet" in advice and "Record it first" in advice
    assert "0808 802 0300" in advice  # the default region's stalking help line
    settings = {f["app"] for f in _findings(result) if f["kind"] == "setting"}
    assert "Google Play Protect is turned off" in settings
    assert "Play Protect app scanning is turned off" in settings
    assert "Sending unknown apps to Google for checking is turned off" in settings
    install = [f for f in _findings(result) if f["app"] == "Some apps may install other apps"]
    assert install and install[0]["detail"]["apps"] == ["com.android.chrome"]


def test_advice_follows_the_region(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android12-echap")
    result = run_cli("--region", "us", "phone", "scan", "--json", data_dir=data_dir, env=adb.env())
    advice = _findings(result)[0]["advice"]
    assert "0808 802 0300" not in advice


def test_a_sideloaded_app_with_accessibility_and_device_admin(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-sideloaded")
    result = _scan(adb, data_dir)
    assert result.returncode == 1
    access = [f for f in _findings(result) if f["kind"] == "access"]
    assert [f["package"] for f in access] == ["net.fitsync.tracker"]
    finding = access[0]
    assert finding["severity"] == "high"
    assert finding["installer"] == "com.google.android.packageinstaller"
    assert {"accessibility", "device-admin", "notification-listener"} <= set(finding["access"])
    assert "read everything on the screen" in finding["advice"]
    assert "lock or wipe the phone" in finding["advice"]
    assert "not from an app store" in finding["advice"] or "app store" in finding["advice"]


def test_a_disguised_system_looking_package(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-sideloaded")
    result = _scan(adb, data_dir)
    disguised = [f for f in _findings(result) if f["category"] == "disguised-app"]
    assert [f["package"] for f in disguised] == ["com.android.systemservice.update"]
    finding = disguised[0]
    assert "imitates a part of Android" in finding["matched"]["indicator"]
    assert "no icon" in finding["matched"]["indicator"]
    assert {"background-location", "sms", "microphone"} <= set(finding["access"])
    # One finding per app: the disguised app is not reported a second time for its access.
    assert sum(f["package"] == "com.android.systemservice.update" for f in _findings(result)) == 1


def test_android_9_formats_old_patch_root_and_stay_awake(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android9-samsung")
    result = _scan(adb, data_dir)
    assert result.returncode == 1
    document = json.loads(result.stdout)
    assert document["device"]["android_version"] == "9"
    assert document["examined"]["packages"] == 13
    names = {f["app"]: f for f in document["findings"]}
    root = names["The phone shows signs of being rooted"]
    assert any("su" in sign for sign in root["detail"]["signs"])
    assert any("test keys" in sign for sign in root["detail"]["signs"])
    assert "The security update is more than a year old" in names
    assert '"Stay awake" is on' in names
    not_examined = {item["what"]: item["reason"] for item in document["not_examined"]}
    assert "does not offer it" in not_examined["the default text-message and phone apps"]


@pytest.mark.parametrize(
    ("devices", "words"),
    [
        ("none.txt", "no Android phone was found"),
        ("unauthorized.txt", "tap Allow"),
        ("two.txt", "--serial"),
    ],
)
def test_phone_problems_are_one_line_and_exit_2(
    data_dir: Path, tmp_path: Path, devices: str, words: str
):
    adb = StandInAdb(tmp_path, "android14-clean")
    adb.devices = ADB_DATA / "devices" / devices
    result = run_cli("phone", "scan", data_dir=data_dir, env=adb.env())
    assert_one_line_error(result, 2)
    assert words in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stdout == ""


def test_two_phones_with_serial_checks_the_chosen_one(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android9-samsung")
    adb.devices = ADB_DATA / "devices" / "two.txt"
    result = _scan(adb, data_dir, "--serial", "R58M12ABCDE")
    assert result.returncode == 1
    assert json.loads(result.stdout)["device"]["model"] == "SM-A505FN"
    assert all(call[:2] == ["-s", "R58M12ABCDE"] for call in adb.calls()[1:])
    missing = _scan(adb, data_dir, "--serial", "NOSUCHPHONE")
    assert_one_line_error(missing, 2)
    assert "no phone with that serial" in missing.stderr


def test_adb_not_installed_says_how_to_install_it(data_dir: Path, tmp_path: Path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    result = run_cli(
        "phone", "scan", data_dir=data_dir, env={"PATH": str(empty), "DEVICECHECK_ADB": ""}
    )
    assert_one_line_error(result, 2)
    assert "apt install adb" in result.stderr
    assert "brew install android-platform-tools" in result.stderr
    assert "Windows" in result.stderr
    wrong = run_cli("phone", "list", "--adb", str(tmp_path / "nope"), data_dir=data_dir)
    assert_one_line_error(wrong, 2)


def test_adb_comes_from_the_option_then_the_variable(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-clean")
    env = adb.env()
    env["PATH"] = str(tmp_path / "nothing-here")
    by_option = run_cli(
        "phone", "scan", "--json", "--adb", str(adb.program), data_dir=data_dir, env=env
    )
    assert by_option.returncode == 0, by_option.stderr
    env["DEVICECHECK_ADB"] = str(adb.program)
    by_variable = run_cli("phone", "scan", "--json", data_dir=data_dir, env=env)
    assert by_variable.returncode == 0, by_variable.stderr


def test_a_phone_unplugged_mid_scan_keeps_and_says_what_was_read(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android12-echap")
    adb.stop_at = "shell_settings_list_secure.txt"
    result = _scan(adb, data_dir, "--save")
    assert_one_line_error(result, 2)
    last = result.stderr.strip().splitlines()[-1]
    assert "stopped answering" in last
    assert "Read before it stopped: the phone's details, the list of apps" in last
    document = json.loads(result.stdout)
    assert document["complete"] is False
    # What was read is still judged: the Echap app was in the app list read before.
    assert [f["package"] for f in document["findings"]] == ["com.ispyoo"]
    missing = {item["what"] for item in document["not_examined"]}
    assert "the phone's secure settings" in missing and "signs of root" in missing
    log = run_cli("log", "list", "--json", data_dir=data_dir)
    entries = json.loads(log.stdout)
    scans = [e for e in entries if e["kind"] == "scan"]
    assert scans and scans[0]["data"]["complete"] is False


def test_save_writes_the_scan_and_each_finding_to_the_log(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-sideloaded")
    result = _scan(adb, data_dir, "--save")
    assert result.returncode == 1
    document = json.loads(result.stdout)
    entries = json.loads(run_cli("log", "list", "--json", data_dir=data_dir).stdout)
    scan = [e for e in entries if e["kind"] == "scan"]
    findings = [e for e in entries if e["kind"] == "finding"]
    assert len(scan) == 1 and scan[0]["id"] == document["evidence_entry"]
    data = scan[0]["data"]
    assert data["target"] == "android-phone"
    assert data["finding_count"] == len(document["findings"]) == len(findings)
    assert {"device", "examined", "not_examined", "indicators", "limits"} <= set(data)
    assert all(f["data"]["origin"] == "phone-scan" for f in findings)
    assert all(f["data"]["scan_entry"] == scan[0]["id"] for f in findings)
    assert "35111FDJH000AB" not in json.dumps(entries)
    assert run_cli("log", "verify", data_dir=data_dir).returncode == 0


def test_a_caseworker_session_needs_consent_for_the_phone_check(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-sideloaded")
    session_id = run_cli(
        "session",
        "new",
        "--caseworker",
        "Maria Nowak",
        "--org",
        "Safe Steps",
        "--client-ref",
        "C-0042",
        data_dir=data_dir,
    ).stdout.strip()
    refused = _scan(adb, data_dir, "--session", session_id)
    assert_one_line_error(refused, 2)
    assert "--step phone-scan" in refused.stderr
    assert adb.calls() == []  # nothing was read from the phone before consent
    for step in ("phone-scan", "evidence"):
        given = run_cli(
            "session",
            "consent",
            session_id,
            "--step",
            step,
            "--explained",
            "We read the phone's app list over USB; nothing is changed",
            "--answer",
            "given",
            data_dir=data_dir,
        )
        assert given.returncode == 0, given.stderr
    result = _scan(adb, data_dir, "--session", session_id)
    assert result.returncode == 1, result.stderr
    session = json.loads(run_cli("session", "show", session_id, "--json", data_dir=data_dir).stdout)
    assert session["scans"][-1]["target"] == "android-phone"
    assert any(f.get("origin") == "phone-scan" for f in session["findings"])


def test_phone_list_shows_each_phone_and_its_state(data_dir: Path, tmp_path: Path):
    adb = StandInAdb(tmp_path, "android14-clean")
    adb.devices = ADB_DATA / "devices" / "two.txt"
    listed = run_cli("phone", "list", "--json", data_dir=data_dir, env=adb.env())
    assert listed.returncode == 0, listed.stderr
    phones = json.loads(listed.stdout)
    assert [(p["serial"], p["state"], p["model"]) for p in phones] == [
        ("35111FDJH000AB", "device", "Pixel 8"),
        ("R58M12ABCDE", "device", "SM A505FN"),
    ]
    adb.devices = ADB_DATA / "devices" / "unauthorized.txt"
    text = run_cli("phone", "list", data_dir=data_dir, env=adb.env())
    assert "tap Allow" in text.stdout


def test_the_human_readable_result_names_the_findings_and_the_caution(
    data_dir: Path, tmp_path: Path
):
    adb = StandInAdb(tmp_path, "android12-echap")
    result = run_cli("phone", "scan", data_dir=data_dir, env=adb.env())
    assert result.returncode == 1
    assert "TheTruthSpy" in result.stdout
    assert "Before you remove or change anything" in result.stdout
    assert "What a check over USB cannot see" in result.stdout
    assert "Developer options" in result.stderr and "USB debugging" in result.stderr


def test_a_hostile_phone_cannot_put_control_sequences_on_the_screen(data_dir: Path, tmp_path: Path):
    """A phone (or an app on it) controls what adb prints: names with escape sequences must
    not reach the terminal or the evidence log."""
    phone = tmp_path / "hostile-phone"
    phone.mkdir()
    for recording in (ADB_DATA / "android14-sideloaded").iterdir():
        (phone / recording.name).write_text(recording.read_text(encoding="utf-8"), encoding="utf-8")
    escape = "\x1b[2J\x1b]0;owned\x07"
    getprop = phone / "shell_getprop.txt"
    getprop.write_text(
        getprop.read_text(encoding="utf-8").replace("[Pixel 8]", f"[Pixel{escape} 8]"),
        encoding="utf-8",
    )
    dump = phone / "shell_dumpsys_package_-f.txt"
    dump.write_text(
        dump.read_text(encoding="utf-8")
        .replace("versionName=3.1.0", f"versionName=3.1.0{escape}")
        .replace("Package [com.spotify.music]", f"Package [com.spotify{escape}.music]"),
        encoding="utf-8",
    )
    listed = phone / "shell_pm_list_packages_-f_-i_-U.txt"
    listed.write_text(
        listed.read_text(encoding="utf-8")
        + f"package:/data/app/x/base.apk=evil{escape}.app  installer=null uid:10999\n",
        encoding="utf-8",
    )
    (phone / "shell_which_su.txt").write_text(f"/system/bin/su{escape}\n", encoding="utf-8")
    adb = StandInAdb(tmp_path / "adb")
    env = {**adb.env(), "FAKE_ADB_PHONE": str(phone)}
    text = run_cli("phone", "scan", "--save", data_dir=data_dir, env=env)
    assert text.returncode == 1, text.stderr
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    assert "\x1b" not in text.stderr
    assert "net.fitsync.tracker" in text.stdout
    log = (data_dir / "evidence" / "log.jsonl").read_text(encoding="utf-8")
    assert "\\u001b" not in log and "\x1b" not in log


def test_the_text_result_says_how_sure_and_how_serious_in_words(data_dir: Path, tmp_path: Path):
    """The same words as the computer scan's result: never "high severity, medium confidence"."""
    adb = StandInAdb(tmp_path, "android12-echap")
    result = run_cli("phone", "scan", data_dir=data_dir, env=adb.env())
    assert result.returncode == 1, result.stderr
    text = " ".join(line.strip() for line in result.stdout.splitlines())
    assert (
        "1. TheTruthSpy (stalkerware), app. How sure: very likely. "
        "How serious: serious if you did not expect it." in text
    )
    assert "confidence" not in result.stdout and " severity" not in result.stdout
