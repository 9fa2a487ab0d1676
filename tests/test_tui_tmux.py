"""The installed `devicecheck` in a real terminal (tmux): the welcome, then Ctrl+X leaves nothing."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it via .ci/run)"
)
APP_WORDS = ("danger", "Quick exit", "devicecheck", "Caseworker-assisted session", "999")


def tmux(*args: str) -> str:
    return subprocess.run(
        ["tmux", *args], capture_output=True, text=True, check=True, timeout=30
    ).stdout


def wait_until(condition, seconds: float = 60) -> bool:
    # A deadline only to stop waiting for ever; nothing is asserted about speed.
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_quick_exit_in_a_real_terminal_leaves_nothing_on_screen(tmp_path: Path) -> None:
    program = Path(sys.executable).parent / "devicecheck"
    session = f"devicecheck-test-{uuid.uuid4().hex[:8]}"
    home = tmp_path / "home"
    # The exit status goes to a file: tmux sometimes marks the pane dead without ever
    # recording its status, which made waiting for `#{pane_dead_status}` flaky.
    status_file = tmp_path / "status"
    command = f"{shlex.quote(str(program))}; echo $? > {shlex.quote(str(status_file))}"
    tmux(
        "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
        "-e", f"DEVICECHECK_HOME={home}", "-e", "TERM=xterm-256color",
        "sh", "-c", command,
    )  # fmt: skip
    try:
        tmux("set-option", "-t", session, "remain-on-exit", "on")

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", session)

        assert wait_until(lambda: "Caseworker-assisted session" in screen()), screen()
        assert "If you are in danger now, call 999." in screen()
        assert "Quick exit: Ctrl+X or F12" in screen()

        tmux("send-keys", "-t", session, "C-x")

        assert wait_until(lambda: status_file.exists() and status_file.read_text().strip()), (
            screen()
        )
        assert status_file.read_text().strip() == "0"
        history = tmux("capture-pane", "-p", "-S", "-", "-t", session)
        for word in APP_WORDS:
            assert word not in history, history
        # What is left is at most tmux's own "Pane is dead" line.
        leftover = [line for line in history.splitlines() if line.strip()]
        assert all(line.startswith("Pane is dead") for line in leftover), leftover
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def shell_session(tmp_path: Path, home: Path) -> str:
    """A tmux session running an interactive shell, as a person's terminal would."""
    session = f"devicecheck-test-{uuid.uuid4().hex[:8]}"
    tmux(
        "new-session", "-d", "-s", session, "-x", "80", "-y", "24",
        "-e", f"DEVICECHECK_HOME={home}", "-e", "TERM=xterm-256color", "-e", "PS1=$ ",
        "-e", "HISTFILE=/dev/null",
        "bash", "--norc", "--noprofile", "-i",
    )  # fmt: skip
    return session


def typed(session: str, text: str) -> None:
    tmux("send-keys", "-t", session, "-l", text)
    tmux("send-keys", "-t", session, "Enter")


def test_f12_started_from_a_shell_leaves_no_earlier_output_in_the_scrollback(
    tmp_path: Path,
) -> None:
    program = Path(sys.executable).parent / "devicecheck"
    session = shell_session(tmp_path, tmp_path / "home")
    secret = f"SECRET-{uuid.uuid4().hex[:8]}"
    try:

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", session)

        def everything() -> str:
            return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", session)

        typed(session, f"echo He followed me home; echo {secret}")
        assert wait_until(lambda: everything().count(secret) >= 2), everything()
        typed(session, shlex.quote(str(program)))
        assert wait_until(lambda: "Caseworker-assisted session" in screen()), screen()
        tmux("send-keys", "-t", session, "F12")
        # Back at the prompt: the shell printed a fresh "$ " and the app is gone.
        assert wait_until(lambda: "Caseworker-assisted session" not in screen() and "$" in screen())
        time.sleep(0.5)
        history = everything()
        assert secret not in history, history
        assert "He followed me home" not in history, history
        for word in APP_WORDS:
            assert word not in history, history
        leftover = [line.strip() for line in history.splitlines() if line.strip()]
        assert leftover == ["$"], leftover
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


@pytest.mark.parametrize("stop", ["q", "C-c"])
def test_plain_walk_stopped_on_a_terminal_clears_screen_and_scrollback(
    tmp_path: Path, stop: str
) -> None:
    program = Path(sys.executable).parent / "devicecheck"
    session = shell_session(tmp_path, tmp_path / "home")
    secret = f"SECRET-{uuid.uuid4().hex[:8]}"
    try:

        def everything() -> str:
            return tmux("capture-pane", "-p", "-J", "-S", "-", "-t", session)

        typed(session, f"echo {secret}")
        typed(session, f"{shlex.quote(str(program))} walk --plain")
        assert wait_until(lambda: "> " in everything() and "stays in this terminal" in everything())
        assert "Answer y (found a concern)" in everything()
        if stop == "q":
            typed(session, "q")
        else:
            tmux("send-keys", "-t", session, "C-c")
        assert wait_until(lambda: "Answer y" not in everything()), everything()
        time.sleep(0.5)
        history = everything()
        assert secret not in history, history
        assert [line.strip() for line in history.splitlines() if line.strip()] == ["$"], history
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)


def test_a_sentence_typed_at_a_question_in_a_real_terminal_answers_nothing(
    tmp_path: Path,
) -> None:
    import json

    home = tmp_path / "home"
    created = subprocess.run(
        [str(Path(sys.executable).parent / "devicecheck"), "session", "new", "--json"],
        capture_output=True, text=True, check=True, env={**os.environ, "DEVICECHECK_HOME": str(home)},
    )  # fmt: skip
    session_id = json.loads(created.stdout)["id"]
    program = Path(sys.executable).parent / "devicecheck"
    session = shell_session(tmp_path, home)
    try:

        def screen() -> str:
            return tmux("capture-pane", "-p", "-t", session)

        typed(session, f"{shlex.quote(str(program))} walk --session {session_id}")
        assert wait_until(lambda: "Typing only fills the note" in screen()), screen()
        sentence = "not sure which email is the recovery one, yes? skip. check every device"
        typed(session, sentence)
        typed(session, sentence)
        assert wait_until(lambda: "Note kept" in screen()), screen()
        time.sleep(0.5)
        tmux("send-keys", "-t", session, "F12")
        assert wait_until(lambda: "Typing only fills" not in screen())
        saved = json.loads((home / "sessions" / f"{session_id}.json").read_text("utf-8"))
        assert saved["answers"] == {} and saved["scans"] == [] and saved["findings"] == []
        assert not (home / "evidence" / "log.jsonl").exists()
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True, check=False)
