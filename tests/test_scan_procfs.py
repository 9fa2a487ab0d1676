"""The Linux /proc process reader gives what psutil gives, on real processes (Linux only).

The scan reads /proc itself because psutil costs several times more per process; these tests
hold the reader to psutil's answers: the whole process table, long names, arguments with
spaces, a deleted executable, a zombie, and (when run as root) an unprivileged user's view.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.core.scan.findings import ProcessInfo
from devicecheck.core.scan.processes import observe_processes, procfs_processes, psutil_processes

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.path.isdir("/proc/self"),
    reason="the /proc reader is for Linux",
)
SLEEP = shutil.which("sleep") or "/bin/sleep"
UNPRIVILEGED = 65534  # nobody


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen]]:
    running: list[subprocess.Popen] = []
    yield running
    for process in running:
        process.kill()
        process.wait(timeout=10)


def start(running: list, folder: Path, name: str, *arguments: str) -> subprocess.Popen:
    program = folder / name
    shutil.copy2(SLEEP, program)
    process = subprocess.Popen([str(program), *(arguments or ("60",))])
    running.append(process)
    return process


def wait_for_state(pid: int, state: str) -> None:
    for _ in range(500):
        stat = Path(f"/proc/{pid}/stat").read_bytes()
        if stat[stat.rfind(b")") + 2 :].split()[0] == state.encode():
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never reached state {state}")


def mismatches() -> list[str]:
    """Processes whose /proc record differs from psutil's in both of two readings (so a
    process that changed its name or exited between readings is not a mismatch)."""
    first, first_denied = procfs_processes()
    reference, reference_denied = psutil_processes()
    second, second_denied = procfs_processes()
    ours = [{p.pid: p for p in first}, {p.pid: p for p in second}]
    found = []
    for process in reference:
        if _is_zombie(process.pid):  # psutil calls a zombie's path denied; see below
            continue
        candidates = [by_pid[process.pid] for by_pid in ours if process.pid in by_pid]
        if len(candidates) == 2 and process not in candidates:
            found.append(f"{process} != {candidates[0]}")
    expected = reference_denied - _zombies()  # psutil counts a zombie's path as denied
    if expected not in (first_denied, second_denied):
        found.append(f"denied: ours {first_denied}/{second_denied}, psutil {reference_denied}")
    return found


def _zombies() -> int:
    return sum(1 for pid in os.listdir("/proc") if pid.isdigit() and _is_zombie(int(pid)))


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] == b"Z"


def test_every_process_reads_as_psutil_reads_it(started, tmp_path):
    start(started, tmp_path, "an-agent-with-a-very-long-name")  # > 15 characters
    start(started, tmp_path, "spaced", "60", "two words", "")
    assert mismatches() == []


def test_the_table_is_the_same_set_of_processes(started, tmp_path):
    start(started, tmp_path, "counted")
    ours = {p.pid for p in procfs_processes()[0]}
    theirs = {p.pid for p in psutil_processes()[0]}
    assert os.getpid() in ours
    assert started[0].pid in ours & theirs
    assert len(ours ^ theirs) <= 2  # at most processes started or ended between the two reads


def test_a_long_name_is_completed_from_the_command_line(started, tmp_path):
    process = start(started, tmp_path, "an-agent-with-a-very-long-name")
    [found] = [p for p in procfs_processes()[0] if p.pid == process.pid]
    assert found.name == "an-agent-with-a-very-long-name"
    assert found.exe == str(tmp_path / "an-agent-with-a-very-long-name")
    assert found.cmdline == (str(tmp_path / "an-agent-with-a-very-long-name"), "60")
    assert found.ppid == os.getpid()
    assert found.started_at is not None and "T" in found.started_at


def test_a_deleted_executable_keeps_its_path(started, tmp_path):
    process = start(started, tmp_path, "vanishing-agent")
    (tmp_path / "vanishing-agent").unlink()
    [ours] = [p for p in procfs_processes()[0] if p.pid == process.pid]
    [theirs] = [p for p in psutil_processes()[0] if p.pid == process.pid]
    assert ours.exe == str(tmp_path / "vanishing-agent") == theirs.exe
    assert ours == theirs


def test_a_zombie_is_listed_without_program_and_not_counted_as_denied(started, tmp_path):
    process = start(started, tmp_path, "short-lived", "0")
    wait_for_state(process.pid, "Z")  # ended, and not reaped: Popen has not been waited on
    processes, denied = procfs_processes()
    [zombie] = [p for p in processes if p.pid == process.pid]
    assert zombie == ProcessInfo(
        pid=process.pid,
        name="short-lived",
        exe=None,
        cmdline=(),
        username=zombie.username,
        started_at=zombie.started_at,
        ppid=os.getpid(),
    )
    assert denied == procfs_processes()[1]  # the zombie is not what makes any count
    assert observe_processes()[0]  # and the scan's entry point uses this reader without error


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_an_unprivileged_user_sees_what_psutil_sees(started, tmp_path):
    # Root reads everything; an ordinary user is denied other users' program paths. A forked
    # child drops to `nobody` and compares there, reporting back through a pipe.
    import psutil  # imported before the fork: the child may not read the venv as nobody

    start(started, tmp_path, "root-owned-agent")
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.setgid(UNPRIVILEGED)
            os.setuid(UNPRIVILEGED)
            psutil.process_iter.cache_clear()  # it remembers root's readings of program paths
            _, denied = procfs_processes()
            report = {"mismatches": mismatches(), "denied": denied}
        except BaseException as error:
            report = {"error": repr(error)}
        os.write(writing, json.dumps(report).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        report = json.loads(pipe.read())
    os.waitpid(child, 0)
    assert "error" not in report, report
    assert report["mismatches"] == []
    assert report["denied"] > 0  # root's processes' paths are not readable to nobody
