"""Hidden programs: real processes whose file was deleted, or whose name disguises them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.findings import ScanContext
from devicecheck.core.scan.hidden import (
    check_hidden,
    check_hidden_programs,
    observe_hidden,
)
from devicecheck.core.scan.processes import read_process
from tests.scan_behaviour_support import (
    SLEEP,
    copy_of_sleep,
    ordinary_processes,
    running,
    wait_until,
)

SLEEP_PROGRAM = os.path.realpath(SLEEP)


def hidden_findings(pid: int):
    observed = observe_hidden([read_process(pid)])
    return check_hidden_programs(observed.links, read_process)


def test_a_program_whose_file_was_deleted_is_reported(tmp_path):
    program = copy_of_sleep(tmp_path, "helper")
    with running(program) as process:
        program.unlink()
        findings, in_memory = hidden_findings(process.pid)
    assert in_memory == 0
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind == "hidden"
    assert finding.detail["sign"] == "deleted"
    assert finding.matched.value == f"{program} (deleted)"
    assert str(program) in finding.advice


def test_a_program_replaced_by_an_update_while_running_is_not_reported(tmp_path):
    program = copy_of_sleep(tmp_path, "helper")
    with running(program) as process:
        program.unlink()
        copy_of_sleep(tmp_path, "helper")  # the package manager puts the new version there
        findings, _ = hidden_findings(process.pid)
    assert findings == []


def test_a_program_calling_itself_a_kernel_thread_is_reported(tmp_path):
    program = copy_of_sleep(tmp_path, "helper")
    with running(program, argv0="[kworker/0:1-events]") as process:
        findings, _ = hidden_findings(process.pid)
    assert [finding.detail["sign"] for finding in findings] == ["kernel-name"]
    assert "kworker/0:1-events" in findings[0].advice


def test_real_kernel_threads_are_not_reported():
    kernel_threads = [
        int(pid)
        for pid in os.listdir("/proc")
        if pid.isdigit() and not os.path.exists(f"/proc/{pid}/exe")
    ]
    infos = [info for info in map(read_process, kernel_threads) if info is not None]
    assert infos
    assert observe_hidden(infos).links == ()


def test_a_program_named_like_a_system_program_from_elsewhere_is_reported(tmp_path):
    real = copy_of_sleep(tmp_path, "x")
    disguise = tmp_path / "systemd-journald"
    disguise.symlink_to(real)  # the kernel names the process after the path it was started by
    with running(disguise) as process:
        wait_until(lambda: read_process(process.pid).name.startswith("systemd-journal"))
        findings, _ = hidden_findings(process.pid)
    assert [finding.detail["sign"] for finding in findings] == ["system-name"]
    assert findings[0].severity == "high"


def test_a_program_in_a_temporary_folder_under_another_name_is_reported(tmp_path):
    assert str(tmp_path).startswith("/tmp/")
    real = copy_of_sleep(tmp_path, "x")
    disguise = tmp_path / "update-notifier"
    disguise.symlink_to(real)
    with running(disguise) as process:
        findings, _ = hidden_findings(process.pid)
    assert [finding.detail["sign"] for finding in findings] == ["temporary-name"]


def test_a_script_run_by_its_interpreter_is_not_reported(tmp_path):
    script = tmp_path / "notes-sync"
    script.write_text("#!/bin/sh\nexec 3<&- ; sleep 600\n")
    script.chmod(0o755)
    process = subprocess.Popen([str(script)])
    try:
        wait_until(lambda: os.path.exists(f"/proc/{process.pid}/exe"))
        findings, _ = hidden_findings(process.pid)
    finally:
        process.kill()
        process.wait()
    assert findings == []


def test_a_program_running_from_memory_is_counted_not_reported(tmp_path):
    code = (
        "import os, shutil\n"
        "fd = os.memfd_create('runc_cloned', 0)\n"
        f"with open({shutil_which_sleep()!r}, 'rb') as f: os.write(fd, f.read())\n"
        "os.execv(f'/proc/self/fd/{fd}', ['sleep', '600'])\n"
    )
    process = subprocess.Popen([sys.executable, "-c", code])
    try:
        wait_until(lambda: os.readlink(f"/proc/{process.pid}/exe").startswith("/memfd:"))
        findings, in_memory = hidden_findings(process.pid)
    finally:
        process.kill()
        process.wait()
    assert findings == []
    assert in_memory == 1


def shutil_which_sleep() -> str:
    import shutil

    return shutil.which("sleep") or "/bin/sleep"


def test_this_machine_shows_no_hidden_program():
    """A plain Debian container: anything reported here would be a false positive."""
    processes = ordinary_processes()
    context = ScanContext(tuple(processes), "linux", Path.home(), IndicatorSet((), ()), None, None)
    outcome = check_hidden(context)
    assert outcome.findings == ()
    assert outcome.examined["program_files_checked"] > 0


@pytest.mark.skipif(
    os.geteuid() != 0, reason="needs root to start a process another user can't read"
)
def test_a_process_that_cannot_be_read_is_counted_as_not_examined(tmp_path):
    program = copy_of_sleep(tmp_path, "helper")
    code = (
        "import os, sys\n"
        "from devicecheck.core.scan.findings import ProcessInfo\n"
        "from devicecheck.core.scan.hidden import observe_hidden\n"
        "os.setgroups([]); os.setresgid(65534, 65534, 65534); os.setresuid(65534, 65534, 65534)\n"
        "gone = ProcessInfo(int(sys.argv[1]), 'helper', sys.argv[2], (), None, None)\n"
        "observed = observe_hidden([gone])\n"
        "print(len(observed.links), observed.denied)\n"
    )
    with running(program) as process:
        program.unlink()  # its path is gone, so the link itself must be read: denied to nobody
        result = subprocess.run(
            [sys.executable, "-c", code, str(process.pid), str(program)],
            capture_output=True,
            text=True,
            cwd="/",
        )
    assert result.stdout.split() == ["0", "1"], result.stderr


def test_the_check_runs_only_on_linux(tmp_path):
    context = ScanContext((), "win32", tmp_path, IndicatorSet((), ()), None, None)
    assert check_hidden(context).findings == ()


def test_a_multi_call_program_under_an_applet_name_is_not_reported(tmp_path):
    """busybox's way: `crond` is a link to the one installed program file."""
    applet = tmp_path / "crond"
    applet.symlink_to(SLEEP_PROGRAM)
    with running(applet) as process:
        assert read_process(process.pid).name == "crond"
        findings, _ = hidden_findings(process.pid)
    assert findings == []


def test_a_program_that_sets_its_own_title_is_not_reported(tmp_path):
    """postgres and sshd rewrite their command line ("postgres: checkpointer")."""
    with running(Path(SLEEP_PROGRAM), argv0="postgres: checkpointer") as process:
        findings, _ = hidden_findings(process.pid)
    assert findings == []


def test_an_appimage_running_from_its_mount_is_not_reported():
    mount = Path(tempfile.mkdtemp(prefix=".mount_Notes", dir="/tmp"))
    try:
        real = copy_of_sleep(mount / "usr" / "bin", "notes-bin")
        launcher = mount / "AppRun"
        launcher.symlink_to(real)
        with running(launcher) as process:
            findings, _ = hidden_findings(process.pid)
    finally:
        shutil.rmtree(mount)
    assert findings == []


def test_a_program_a_list_already_reported_keeps_that_one_finding(tmp_path):
    from devicecheck.core.scan.findings import Match, make_behaviour_finding

    program = copy_of_sleep(tmp_path, "helper")
    with running(program) as process:
        program.unlink()
        info = read_process(process.pid)
        listed = make_behaviour_finding(
            kind="process",
            app="Helper Spy",
            category="spyware",
            severity="high",
            confidence="medium",
            matched=Match("helper", "process_names", "helper"),
            advice="",
            process=info,
        )
        alone = ScanContext((info,), "linux", tmp_path, IndicatorSet((), ()), None, None)
        reported = alone._replace(findings=(listed,))
        assert [f.detail["sign"] for f in check_hidden(alone).findings] == ["deleted"]
        assert check_hidden(reported).findings == ()


def test_the_scan_command_reports_a_running_program_whose_file_was_deleted(tmp_path):
    import json

    from tests.conftest import run_cli

    program = copy_of_sleep(tmp_path / "bin", "update-helper")
    with running(program) as process:
        program.unlink()
        result = run_cli("scan", "--json", data_dir=tmp_path / "data")
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    (finding,) = [
        f for f in document["findings"] if f["process"] and f["process"]["pid"] == process.pid
    ]
    assert finding["kind"] == "hidden"
    assert finding["detail"]["sign"] == "deleted"
    assert finding["source"]["id"] == "behaviour"
