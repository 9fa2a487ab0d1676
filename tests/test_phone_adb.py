"""The adb runner: only reads ever reach the phone, and adb's failures become one clear line."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.phone import adb
from devicecheck.core.phone.adb import (
    READ_ONLY_COMMANDS,
    AdbRunner,
    CommandRefused,
    PhoneDisconnected,
    find_adb,
    is_read_only,
)
from tests.phone_support import StandInAdb

CHANGING_COMMANDS = [
    ("install", "spy.apk"),
    ("install-multiple", "a.apk"),
    ("uninstall", "com.ispyoo"),
    ("shell", "pm", "uninstall", "com.ispyoo"),
    ("shell", "pm", "disable-user", "com.ispyoo"),
    ("shell", "pm", "clear", "com.ispyoo"),
    ("shell", "pm", "grant", "com.x", "android.permission.READ_SMS"),
    ("shell", "cmd", "package", "uninstall", "com.x"),
    ("shell", "settings", "put", "global", "adb_enabled", "0"),
    ("shell", "settings", "delete", "secure", "x"),
    ("shell", "dumpsys", "package", "com.x;reboot"),
    ("shell", "dumpsys", "package", "com.x", "&&", "reboot"),
    ("shell", "dumpsys", "package", "$(reboot)"),
    ("shell", "settings", "get", "global", "adb_enabled;reboot"),
    ("shell", "settings", "get", "global", "x y"),
    ("shell", "getprop", "ro.x", "1"),
    ("shell", "setprop", "persist.x", "1"),
    ("shell", "am", "start", "-a", "android.intent.action.VIEW"),
    ("shell", "rm", "-rf", "/sdcard"),
    ("shell", "reboot"),
    ("shell", "dumpsys package"),
    ("shell",),
    ("push", "a", "/sdcard/a"),
    ("pull", "/data/data/com.x"),
    ("reboot",),
    ("root",),
    ("tcpip", "5555"),
    ("backup", "-all"),
    ("-s", "X", "reboot"),
    ("devices",),
    (),
]


@pytest.mark.parametrize("command", CHANGING_COMMANDS, ids=" ".join)
def test_commands_that_change_or_escape_are_not_read_only(command):
    assert not is_read_only(command)


def test_the_allow_list_holds_only_reads():
    verbs = {" ".join(command[:3]) for command in READ_ONLY_COMMANDS}
    for forbidden in ("install", "uninstall", "push", "pull", "reboot", "put", "disable", "grant"):
        assert not any(forbidden in verb.split() for verb in verbs)
    assert is_read_only(("shell", "dumpsys", "package", "com.ispyoo"))
    assert is_read_only(("shell", "settings", "get", "global", "package_verifier_enable"))


@given(st.lists(st.text(max_size=30), max_size=7))
def test_anything_accepted_has_no_shell_syntax(arguments):
    """`adb shell` hands its words to the phone's shell: an accepted command can hold no
    character that shell would read as syntax, whatever is asked."""
    if is_read_only(arguments):
        assert all(re.fullmatch(r"[A-Za-z0-9_.\-]+", word) for word in arguments)


def test_a_refused_command_never_reaches_adb(tmp_path: Path, monkeypatch):
    stand_in = StandInAdb(tmp_path)
    stand_in.apply(monkeypatch)
    runner = AdbRunner(str(stand_in.program))
    for command in (("uninstall", "com.ispyoo"), ("shell", "pm", "uninstall", "com.ispyoo")):
        with pytest.raises(CommandRefused, match="only reads"):
            runner.run(*command)
    assert stand_in.calls() == [] and runner.calls == []
    assert runner.run("devices", "-l").startswith("List of devices attached")
    assert stand_in.calls() == [["devices", "-l"]]


def test_a_phone_that_never_answers_is_a_clear_error(tmp_path: Path):
    slow = tmp_path / "adb"
    slow.write_text(f"#!{sys.executable}\nimport time\ntime.sleep(30)\n", encoding="utf-8")
    slow.chmod(0o755)
    runner = AdbRunner(str(slow), "X", timeout=0.5)
    with pytest.raises(PhoneDisconnected, match="did not answer"):
        runner.run("shell", "getprop")


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "adb: device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set",
            "PhoneUnauthorized",
        ),
        ("error: device unauthorized.", "PhoneUnauthorized"),
        ("adb: device still authorizing", "PhoneUnauthorized"),
        ("adb: more than one device/emulator", "SeveralPhones"),
        ("error: no devices/emulators found", "NoPhone"),
        ("adb: device 'X' not found", "PhoneDisconnected"),
        ("error: closed", "PhoneDisconnected"),
        ("adb: device offline", "PhoneDisconnected"),
    ],
)
def test_adb_failures_are_recognised(text: str, kind: str):
    problem = adb.classify_failure(text, "X")
    assert type(problem).__name__ == kind
    assert "\n" not in problem.message


def test_find_adb_order_option_variable_path(tmp_path: Path):
    program = tmp_path / "bin" / "adb"
    program.parent.mkdir()
    program.write_text("#!/bin/sh\n", encoding="utf-8")
    program.chmod(0o755)
    other = tmp_path / "other-adb"
    other.write_text("#!/bin/sh\n", encoding="utf-8")
    other.chmod(0o755)
    path_only = {"PATH": str(program.parent)}
    assert find_adb(None, path_only) == str(program)
    assert find_adb(None, {**path_only, "DEVICECHECK_ADB": str(other)}) == str(other)
    assert find_adb(str(program), {**path_only, "DEVICECHECK_ADB": str(other)}) == str(program)
    with pytest.raises(adb.AdbMissing, match="apt install adb"):
        find_adb(None, {"PATH": str(tmp_path / "none")})
