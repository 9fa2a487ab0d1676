"""The real `devicecheck` in a real terminal (tmux): `protect` asks twice without echoing, a
command asks once, and the walkthrough opens on its lock screen and unlocks."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.test_tui_tmux import tmux, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it via .ci/run)"
)
PASSPHRASE = "terminal passphrase 7"
PROGRAM = Path(sys.executable).parent / "devicecheck"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A tmux session with a shell, its data folder, and a way to read its screen."""
    session = f"devicecheck-protect-{uuid.uuid4().hex[:8]}"
    home = tmp_path / "home"
    tmux(
        "new-session", "-d", "-s", session, "-x", "100", "-y", "30",
        "-e", f"DEVICECHECK_HOME={home}", "-e", "TERM=xterm-256color", "-e", "PS1=$ ",
        "sh",
    )  # fmt: skip
    try:
        yield session, home
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def _screen(session: str) -> str:
    return tmux("capture-pane", "-p", "-S", "-", "-t", session)


def _type(session: str, text: str) -> None:
    tmux("send-keys", "-t", session, "-l", text)
    tmux("send-keys", "-t", session, "Enter")


def test_protect_asks_twice_then_commands_ask_and_never_show_it(
    terminal: tuple[str, Path], tmp_path: Path
) -> None:
    session, home = terminal
    done = tmp_path / "done"
    program = shlex.quote(str(PROGRAM))
    _type(session, f"{program} log add-note 'first note' && {program} protect; echo $? > {done}")
    assert wait_until(lambda: "Passphrase (at least" in _screen(session)), _screen(session)
    _type(session, PASSPHRASE)
    assert wait_until(lambda: "Passphrase again" in _screen(session)), _screen(session)
    _type(session, PASSPHRASE)
    assert wait_until(lambda: done.exists() and done.read_text().strip()), _screen(session)
    assert done.read_text().strip() == "0", _screen(session)
    assert (home / "protection.json").exists()

    listed = tmp_path / "listed"
    _type(session, f"{program} log list; echo $? > {listed}")
    assert wait_until(lambda: "Passphrase for this protected" in _screen(session))
    _type(session, PASSPHRASE)
    assert wait_until(lambda: listed.exists() and listed.read_text().strip()), _screen(session)
    assert listed.read_text().strip() == "0"
    screen = _screen(session)
    assert "first note" in screen
    assert PASSPHRASE not in screen  # never echoed, never in the scrollback


def test_the_walkthrough_opens_on_its_lock_screen(
    terminal: tuple[str, Path], tmp_path: Path
) -> None:
    from devicecheck.core import protect_folder, protection

    session, home = terminal
    protect_folder.protect(home, PASSPHRASE, protection.KdfParameters(n=2**12))
    protection.forget_keys()
    status = tmp_path / "status"
    _type(session, f"{shlex.quote(str(PROGRAM))}; echo $? > {status}")
    assert wait_until(lambda: "devicecheck is locked" in _screen(session)), _screen(session)
    assert "Quick exit: Ctrl+X or F12" in _screen(session)
    _type(session, PASSPHRASE)
    assert wait_until(lambda: "Caseworker-assisted session" in _screen(session)), _screen(session)
    tmux("send-keys", "-t", session, "C-x")
    assert wait_until(lambda: status.exists() and status.read_text().strip()), _screen(session)
    assert status.read_text().strip() == "0"
    assert PASSPHRASE not in _screen(session)
