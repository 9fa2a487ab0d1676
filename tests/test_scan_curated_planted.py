"""The bundled lists against real running programs: every curated and LOLRMM product planted
under the first name its source gives, and ordinary programs planted under their own names.

Each planted program is a copy of /bin/sleep in its own folder, run under that file name, so
the scan sees a real process with that name, path and command line.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, is_name_pattern
from devicecheck.core.scan import AutostartRoots, ScanResult, run_scan

SLEEP = shutil.which("sleep") or "/bin/sleep"
# Ordinary programs, by group as in core.scan.ordinary_programs, planted under their names.
ORDINARY = {
    "terminal emulators": ["kitty", "alacritty", "konsole", "gnome-terminal-server", "xterm"],
    "shells": ["bash", "zsh", "fish", "dash"],
    "editors": ["vim", "nano", "emacs", "gedit", "code"],
    "browsers": ["firefox", "chromium", "chrome", "brave", "msedge"],
    "office": ["soffice.bin", "libreoffice", "winword"],
    "chat": ["signal-desktop", "telegram-desktop", "discord", "slack", "thunderbird", "qq"],
    "sync clients": ["dropbox", "nextcloud", "syncthing", "insync", "onedrive", "megasync"],
    "coreutils": ["dd", "cat", "tee", "sort", "tail", "sleep", "yes"],
    "windows system": ["dwm.exe", "explorer.exe"],
}


@pytest.fixture(scope="module")
def bundled(tmp_path_factory) -> IndicatorSet:
    return load_indicators(DataDir(tmp_path_factory.mktemp("data")))


@contextmanager
def planted(root: Path, names: list[str]) -> Iterator[dict[str, subprocess.Popen]]:
    """One running copy of sleep per name, each in its own folder; all killed afterwards."""
    running: dict[str, subprocess.Popen] = {}
    try:
        for number, name in enumerate(names):
            folder = root / f"p{number}"
            folder.mkdir(parents=True)
            program = folder / name
            shutil.copy2(SLEEP, program)
            running[name] = subprocess.Popen([str(program), "60"])
        yield running
    finally:
        for process in running.values():
            process.kill()
        for process in running.values():
            process.wait(timeout=10)


def scan(root: Path, indicators: IndicatorSet) -> ScanResult:
    empty = root / "no-autostart"
    empty.mkdir()
    return run_scan(
        indicators, platform="linux", autostart_roots=AutostartRoots(empty, empty), checks=[]
    )


def products_found(result: ScanResult, pid: int) -> set[str]:
    found: set[str] = set()
    for finding in result.findings:
        if finding.process is not None and finding.process.pid == pid:
            found.add(finding.app_id)
            found.update(other["app_id"] for other in finding.detail.get("other_products", ()))
    return found


def planted_name(app: AppIndicator) -> str | None:
    """The first exact name the source gives (globs cannot be planted as they are)."""
    return next((name for name in app.process_names if not is_name_pattern(name)), None)


@pytest.mark.parametrize("source", ["curated", "lolrmm"])
def test_products_planted_under_their_sourced_names_are_found(tmp_path, bundled, source):
    apps = [app for app in bundled.apps if app.source == source]
    named = {app.id: planted_name(app) for app in apps if planted_name(app)}
    names = sorted(set(named.values()))

    with planted(tmp_path, names) as running:
        result = scan(tmp_path, bundled)
        found_by_name = {name: products_found(result, p.pid) for name, p in running.items()}

    missed = sorted(app_id for app_id, name in named.items() if app_id not in found_by_name[name])
    assert (len(named) - len(missed)) / len(named) >= 0.9, f"missed: {missed}"
    assert len(named) >= 60


def test_ordinary_programs_planted_under_their_own_names_are_not_reported(tmp_path, bundled):
    names = [name for group in ORDINARY.values() for name in group]

    with planted(tmp_path, names) as running:
        result = scan(tmp_path, bundled)
        reported = {
            name: sorted(products_found(result, process.pid))
            for name, process in running.items()
            if products_found(result, process.pid)
        }

    assert reported == {}


def test_the_curated_list_holds_150_desktop_products_each_with_a_source(bundled):
    curated = [app for app in bundled.apps if app.source == "curated"]

    assert len(curated) >= 150
    assert all(app.references for app in curated)
    assert all(set(app.platforms) & {"windows", "macos", "linux"} for app in curated)
