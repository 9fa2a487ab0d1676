"""Real processes for the behaviour-check tests: a copy of sleep under a chosen name, holding a
chosen file open, or started with a chosen environment."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from devicecheck.core.scan.findings import ProcessInfo
from devicecheck.core.scan.processes import observe_processes, read_process

SLEEP = shutil.which("sleep") or "/bin/sleep"
# In the command line of every process a test plants, so that the this-machine tests (which may
# run beside other tests) can leave them out.
PLANTED = "devicecheck-test-plant"


def copy_of_sleep(folder: Path, name: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    shutil.copy2(SLEEP, program)
    program.chmod(0o755)
    return program


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def _exec_done(process: subprocess.Popen, program: Path) -> bool:
    try:
        return os.readlink(f"/proc/{process.pid}/exe").startswith(os.path.realpath(program))
    except OSError:
        return False


@contextmanager
def running(
    program: Path,
    *,
    holding: Path | None = None,
    env: Mapping[str, str] | None = None,
    argv0: str | None = None,
) -> Iterator[subprocess.Popen]:
    """`program 600` as a real process; with `holding`, it has that file open as descriptor 3
    (the shell opens it, then `exec`s the program, which keeps the descriptor)."""
    redirect = ' 3<"$1"' if holding is not None else ""
    exec_argv0 = f"-a '{argv0}' " if argv0 else ""
    script = (
        f'exec{redirect} && exec {exec_argv0}"$2" 600' if holding else f'exec {exec_argv0}"$2" 600'
    )
    process = subprocess.Popen(
        ["bash", "-c", script, "bash", str(holding or ""), str(program)],
        env=dict(env) if env is not None else None,
    )
    try:
        wait_until(lambda: _exec_done(process, program))
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def info_of(pid: int) -> ProcessInfo:
    found = read_process(pid)
    assert found is not None
    return found


def ordinary_processes():
    """This machine's processes, less those planted by tests running at the same time (their
    program files are in pytest's temporary folders, or their command line says PLANTED)."""
    processes, _ = observe_processes()
    return [
        process
        for process in processes
        if not any(
            mark in " ".join([process.exe or "", *process.cmdline])
            for mark in ("/pytest-of-", PLANTED)
        )
    ]
