"""Keyboard capture: real processes holding a stand-in input device open.

Tests cannot create /dev/input/event*, so the device prefix is a parameter: each test holds a
file at `<tmp>/input/event3` open in a real process and passes `<tmp>/input/event` as the
prefix. The check reads the link targets in /proc/PID/fd exactly as it does for a real device.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.findings import ScanContext
from devicecheck.core.scan.input_capture import (
    check_input_capture,
    check_input_holders,
    input_holders,
    is_keyboard,
    letter_key_bits,
)
from devicecheck.core.scan.processes import read_process
from tests.scan_behaviour_support import copy_of_sleep, running

# Real sysfs `capabilities/key` bitmaps (64-bit kernel): an AT keyboard and an ACPI power button.
KEYBOARD_KEYS = "402000000 3803078f800d001 feffffdfffefffff fffffffffffffffe"
POWER_BUTTON_KEYS = "10000000000000 0"


@pytest.fixture
def device(tmp_path: Path) -> Path:
    folder = tmp_path / "input"
    folder.mkdir()
    stand_in = folder / "event3"
    stand_in.write_bytes(b"")
    return stand_in


def prefix_of(device: Path) -> str:
    return str(device.parent / "event")


def test_a_program_with_an_innocent_name_holding_the_keyboard_is_reported(tmp_path, device):
    program = copy_of_sleep(tmp_path / "bin", "notes-sync")
    with running(program, holding=device) as process:
        observed = input_holders([process.pid, os.getpid()], prefix_of(device))
        assert [holder.pid for holder in observed.holders] == [process.pid]
        assert observed.holders[0].devices == (str(device),)
        findings = check_input_holders(observed.holders, read_process)
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind == "input-capture"
    assert finding.severity == "high"
    assert finding.process.pid == process.pid
    assert finding.process.exe == str(program)
    assert finding.matched.value == str(device)
    assert "every key pressed" in finding.advice
    json.dumps(finding.to_dict())


def test_a_process_not_holding_the_device_is_not_reported(tmp_path, device):
    program = copy_of_sleep(tmp_path / "bin", "notes-sync")
    with running(program) as process:
        observed = input_holders([process.pid], prefix_of(device))
    assert observed.holders == ()
    assert observed.examined == 1


def test_a_keylogger_called_xorg_outside_the_system_folders_is_reported(tmp_path, device):
    program = copy_of_sleep(tmp_path / "tmp", "Xorg")
    with running(program, holding=device) as process:
        observed = input_holders([process.pid], prefix_of(device))
        findings = check_input_holders(observed.holders, read_process)
    assert [finding.process.name for finding in findings] == ["Xorg"]


def _system_copy(tmp_path: Path, name: str, mode: int = 0o755) -> Path:
    system = tmp_path / "usr" / "lib" / "xorg"
    program = copy_of_sleep(system, name)
    program.chmod(mode)
    return program


@pytest.mark.skipif(os.geteuid() != 0, reason="the trusted copy must be owned by root")
def test_a_known_input_reader_installed_as_a_system_file_is_not_reported(tmp_path, device):
    program = _system_copy(tmp_path, "Xorg")
    with running(program, holding=device) as process:
        observed = input_holders([process.pid], prefix_of(device))
        assert observed.holders  # it does hold the device
        findings = check_input_holders(
            observed.holders, read_process, system_dirs=(str(tmp_path / "usr") + "/",)
        )
    assert findings == []


@pytest.mark.skipif(os.geteuid() != 0, reason="the trusted copy must be owned by root")
def test_a_known_name_in_a_system_folder_but_writable_by_others_is_reported(tmp_path, device):
    program = _system_copy(tmp_path, "Xorg", mode=0o777)
    with running(program, holding=device) as process:
        observed = input_holders([process.pid], prefix_of(device))
        findings = check_input_holders(
            observed.holders, read_process, system_dirs=(str(tmp_path / "usr") + "/",)
        )
    assert len(findings) == 1


def test_a_device_that_is_not_a_keyboard_is_not_reported(tmp_path, device):
    program = copy_of_sleep(tmp_path / "bin", "game")
    with running(program, holding=device) as process:
        observed = input_holders([process.pid], prefix_of(device))
        findings = check_input_holders(observed.holders, read_process, keyboard=lambda _: False)
    assert findings == []


@pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to start a process another user can't read"
)
def test_a_process_that_cannot_be_read_is_counted_as_not_examined(tmp_path, device):
    program = copy_of_sleep(tmp_path / "bin", "notes-sync")
    code = (
        "import json, os, sys\n"
        "from devicecheck.core.scan.input_capture import input_holders\n"
        "os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)\n"
        "observed = input_holders([int(sys.argv[1])], sys.argv[2])\n"
        "print(json.dumps([len(observed.holders), observed.examined, observed.denied]))\n"
    )
    with running(program, holding=device) as process:
        result = subprocess.run(
            [sys.executable, "-c", code, str(process.pid), prefix_of(device)],
            capture_output=True,
            text=True,
            check=False,
            cwd="/",
        )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [0, 0, 1]


def test_sysfs_key_bitmaps_tell_keyboards_from_buttons():
    assert letter_key_bits(KEYBOARD_KEYS) is True
    assert letter_key_bits(POWER_BUTTON_KEYS) is False
    assert letter_key_bits("0") is False


def test_a_device_sysfs_does_not_describe_counts_as_a_keyboard(tmp_path):
    assert is_keyboard("/dev/input/event99", sysfs=str(tmp_path)) is True
    capabilities = tmp_path / "event4" / "device" / "capabilities"
    capabilities.mkdir(parents=True)
    (capabilities / "key").write_text(POWER_BUTTON_KEYS + "\n")
    assert is_keyboard("/dev/input/event4", sysfs=str(tmp_path)) is False


@given(st.text(max_size=200))
def test_any_sysfs_text_gives_an_answer(text):
    assert letter_key_bits(text) in (True, False)


def test_the_check_runs_only_on_linux(tmp_path):
    context = ScanContext((), "darwin", tmp_path, IndicatorSet((), ()), None, None)
    assert check_input_capture(context).findings == ()


def test_the_whole_check_on_a_real_process(tmp_path, device):
    program = copy_of_sleep(tmp_path / "bin", "notes-sync")
    with running(program, holding=device) as process:
        info = read_process(process.pid)
        context = ScanContext((info,), "linux", tmp_path, IndicatorSet((), ()), None, None)
        outcome = check_input_capture(context, prefix_of(device))
        (finding,) = outcome.findings
        assert finding.process.pid == process.pid
        assert outcome.examined == {"input_device_readers_checked": 1}
        # a program a list already reported keeps that one finding
        reported = context._replace(findings=(finding._replace(kind="process"),))
        assert check_input_capture(reported, prefix_of(device)).findings == ()
    assert check_input_capture(context, str(tmp_path / "none" / "event")).examined == {
        "input_device_readers_checked": 0
    }
