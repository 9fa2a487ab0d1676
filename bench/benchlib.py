"""What every benchmark shares: the command to run, bytecode prepared as an install has it, and
the index lookups a scan of this computer builds.

pip compiles bytecode when it installs devicecheck; a source checkout run with
PYTHONDONTWRITEBYTECODE set would instead recompile every module on every start and measure the
compiler. `prepare_bytecode()` writes the bytecode once so both match what a user runs.
"""

from __future__ import annotations

import compileall
import contextlib
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

# What a scan looks up (IndicatorSet.index builds each on first use; never the domains).
SCAN_LOOKUPS = (
    "process_names",
    "process_name_patterns",
    "autostart_names",
    "ips",
    "ports",
    "exe_paths",
    "cmdlines",
)


def devicecheck_command() -> list[str]:
    """The installed console script beside this Python, or `python -m devicecheck`."""
    script = Path(sys.executable).parent / "devicecheck"
    return [str(script)] if script.exists() else [sys.executable, "-m", "devicecheck"]


def prepare_bytecode() -> None:
    import devicecheck

    compileall.compile_dir(str(Path(devicecheck.__file__).parent), quiet=1)


def timed(command: list[str], env: dict[str, str]) -> float:
    """Seconds `command` takes to run; exit status 0 or 1 (found nothing / found something) only."""
    started = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"{command[:3]} failed: {result.stderr.decode(errors='replace')}")
    return elapsed


@contextlib.contextmanager
def extra_processes(count: int) -> Iterator[None]:
    """`count` more processes on this computer (sleeping copies of `sleep`), killed after."""
    sleep = shutil.which("sleep") or "/bin/sleep"
    sleepers = [subprocess.Popen([sleep, "600"]) for _ in range(count)]
    try:
        time.sleep(0.5)
        yield
    finally:
        for process in sleepers:
            process.kill()
        for process in sleepers:
            process.wait(timeout=30)
