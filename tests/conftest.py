"""Shared fixtures: every test gets its own data directory; the CLI runs as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# CI runs on a shared 2-core machine: a stalled moment must not fail a fuzz test as "too slow".
# Only timing checks are relaxed; every property is still checked on every example.
settings.register_profile(
    "devicecheck", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("devicecheck")

REPO_ROOT = Path(__file__).resolve().parents[1]
TEST_DATA = Path(__file__).resolve().parent / "data"


def devicecheck_command() -> list[str]:
    """The installed console script beside this Python, or `python -m devicecheck`."""
    script = Path(sys.executable).parent / "devicecheck"
    return [str(script)] if script.exists() else [sys.executable, "-m", "devicecheck"]


def run_cli(
    *args: str,
    data_dir: Path | None = None,
    input: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Run `devicecheck ARGS` as a real process and capture its output."""
    environment = {k: v for k, v in os.environ.items() if k != "DEVICECHECK_HOME"}
    environment.pop("DEVICECHECK_DEBUG", None)
    if data_dir is not None:
        environment["DEVICECHECK_HOME"] = str(data_dir)
    environment.update(env or {})
    return subprocess.run(
        [*devicecheck_command(), *args],
        input=input,
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )


async def wait_for(pilot, condition, tries: int = 200) -> None:
    """Let the app run until `condition()` holds (workers finish in their own time)."""
    for _ in range(tries):
        if condition():
            return
        await pilot.pause(0.05)
    raise AssertionError("the app did not get there")


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], code: int | Sequence[int] = 2
) -> None:
    """A failure the person can read: the exit code, one line on stderr, no traceback."""
    codes = (code,) if isinstance(code, int) else tuple(code)
    assert result.returncode in codes, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert result.stderr.strip(), "expected an error message"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh data directory, also set as DEVICECHECK_HOME for in-process calls."""
    home = tmp_path / "devicecheck-home"
    monkeypatch.setenv("DEVICECHECK_HOME", str(home))
    return home
