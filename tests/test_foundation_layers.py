"""Guard rails: the core never imports Textual; --version and --help stay light; data ships."""

from __future__ import annotations

import gc
import pkgutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import devicecheck
import devicecheck.core
from tests.conftest import REPO_ROOT, run_cli
from tests.scan_behaviour_support import copy_of_sleep


def _core_modules() -> list[str]:
    found = ["devicecheck.core", "devicecheck.errors"]
    for info in pkgutil.walk_packages(devicecheck.core.__path__, "devicecheck.core."):
        found.append(info.name)
    return found


def test_every_core_module_imports_without_textual() -> None:
    modules = _core_modules()
    assert len(modules) >= 8
    script = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "leaked = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(len(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "0"


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help_do_not_import_textual(flag: str) -> None:
    script = (
        "import sys\n"
        "from devicecheck.cli import main\n"
        "try:\n"
        f"    main([{flag!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('TEXTUAL' if 'textual' in sys.modules else 'CLEAN', file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert result.stderr.strip().splitlines()[-1] == "CLEAN", result.stderr


def test_version_prints_the_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"devicecheck {devicecheck.__version__}"


def test_usage_errors_are_one_line() -> None:
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_wheel_ships_checklists_and_data(tmp_path: Path) -> None:
    # Offline first (hatchling already here); with build isolation if it is not.
    for isolation in (["--no-build-isolation"], []):
        built = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                *isolation,
                "-q",
                "-w",
                str(tmp_path),
                str(REPO_ROOT),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if built.returncode == 0 or "hatchling" not in built.stderr:
            break
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("devicecheck-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted(p.name for p in (REPO_ROOT / "checklists").glob("*.yaml"))
    assert shipped
    for name in shipped:
        assert f"devicecheck/checklists/{name}" in names
    assert "devicecheck/data/helplines.yaml" in names


@pytest.mark.parametrize(
    "command",
    [("scan", "--json"), ("log", "add-note", "He was outside again at 9.")],
    ids=["scan", "log add-note"],
)
def test_quick_commands_load_none_of_the_slow_modules(
    data_dir: Path, tmp_path: Path, command
) -> None:
    """What these commands import is paid every time (docs/performance.md): once the
    indicators and the advice's help words are compiled, dataclasses (with inspect), shutil,
    orjson, YAML and Textual stay out of a scan, and orjson, YAML and Textual out of a diary note.

    The scan runs with a known product planted (a copy of sleep named `anydesk`), so the
    advice path is always taken, whatever else this computer runs. OpenSSL's hashlib is
    allowed only then: the matched program's file is hashed as evidence.
    """
    slow = ["orjson", "textual", "yaml"]
    planted = None
    if command[0] == "scan":
        slow += ["dataclasses", "inspect", "shutil"]
        planted = subprocess.Popen([str(copy_of_sleep(tmp_path, "anydesk")), "600"])
    try:
        if planted is not None:
            run_cli("scan", "--json", data_dir=data_dir)  # the first scan compiles the caches
        script = (
            "import contextlib, io, sys\n"
            "from devicecheck.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
            f"    code = main(['--data-dir', {str(data_dir)!r}, *{list(command)!r}])\n"
            f"print(code, 'anydesk' in out.getvalue().lower(), "
            f"sorted(m for m in {slow!r} if m in sys.modules))\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, check=False
        )
    finally:
        if planted is not None:
            planted.kill()
            planted.wait()
    assert result.returncode == 0, result.stderr
    code, found, loaded = result.stdout.strip().split(" ", 2)
    if planted is not None:
        assert (code, found) == ("1", "True")  # the planted product was found and advised on
    else:
        assert code == "0"
    assert loaded == "[]"


def test_one_shot_commands_give_the_cycle_collector_back(data_dir: Path, capsys) -> None:
    from devicecheck.cli import main

    assert gc.isenabled()
    assert main(["--data-dir", str(data_dir), "checklists", "list"]) == 0
    assert gc.isenabled()
    gc.disable()
    try:  # one that was off before stays off
        main(["--data-dir", str(data_dir), "checklists", "list"])
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_help_is_wrapped_to_the_terminal_width() -> None:
    narrow = run_cli("scan", "--help", env={"COLUMNS": "50"})
    wide = run_cli("scan", "--help", env={"COLUMNS": "120"})
    assert narrow.returncode == wide.returncode == 0
    # The description: the paragraph between the usage lines and the options.
    narrow_prose = narrow.stdout.split("\n\n")[1].splitlines()
    wide_prose = wide.stdout.split("\n\n")[1].splitlines()
    assert len(narrow_prose) > len(wide_prose) >= 1
    assert max(map(len, narrow_prose)) <= 50 < max(map(len, wide_prose))
    assert narrow.stdout.split() == wide.stdout.split()  # the same words, wrapped otherwise
