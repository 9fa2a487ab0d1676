"""The lock screen: a protected data folder asks for its passphrase at start and after the
walkthrough has been left alone for a while. It covers the whole screen (nothing of what was
shown stays visible behind it), keeps the safety strip, and the quick exit still works."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from devicecheck.tui.components.base import BaseScreen

if TYPE_CHECKING:
    from devicecheck.tui.app import DeviceCheckApp

IDLE_LOCK_SECONDS = 10 * 60

START_TEXT = (
    "This devicecheck folder is protected with a passphrase, so that nobody else using this "
    "computer can read it. Type the passphrase to open it."
)
IDLE_TEXT = (
    "devicecheck was locked because nothing was pressed for a while, so that nobody else can "
    "read it. Type the passphrase to go on where you were."
)
WRONG = "That passphrase does not open this folder. Check it and try again."


class LockScreen(BaseScreen):
    """Dismissed with True once the folder is unlocked; there is no way past it otherwise
    (the quick exit closes devicecheck from here too)."""

    CSS_PATH = "lock.tcss"

    def __init__(self, *, after_idle: bool = False) -> None:
        super().__init__()
        self.after_idle = after_idle

    def compose_body(self) -> ComposeResult:
        with Vertical(id="lock"):
            yield Static("devicecheck is locked", classes="title")
            yield Static(IDLE_TEXT if self.after_idle else START_TEXT, classes="hint")
            yield Input(placeholder="passphrase", password=True, id="passphrase")
            yield Static("", id="lock-status")
            with Horizontal(classes="buttons"):
                yield Button("Unlock", id="unlock", variant="primary", compact=True)

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    @on(Button.Pressed, "#unlock")
    def unlock_pressed(self) -> None:
        field = self.query_one("#passphrase", Input)
        passphrase, field.value = field.value, ""
        if not passphrase:
            self._say("Type the passphrase first.")
            return
        self._say("Opening…")
        self.try_passphrase(passphrase)

    @work(thread=True, exit_on_error=False, group="unlock", exclusive=True)
    def try_passphrase(self, passphrase: str) -> None:
        """The key derivation takes about half a second on purpose: off the screen's thread."""
        from devicecheck.core import protection
        from devicecheck.errors import DeviceCheckError

        try:
            protection.unlock(self.devicecheck.data_dir.root, passphrase)
        except protection.LockedError:
            self.app.call_from_thread(self._say, WRONG)
            return
        except DeviceCheckError as error:
            self.app.call_from_thread(self._say, error.message)
            return
        self.app.call_from_thread(self.dismiss, True)

    def _say(self, text: str) -> None:
        self.query_one("#lock-status", Static).update(text)


class IdleLock:
    """Locks a protected folder at start (until the passphrase is given) and again after
    `seconds` without a key press or click: the keys are forgotten and the lock screen covers
    everything. Nothing happens for a folder that is not protected."""

    def __init__(self, app: DeviceCheckApp, seconds: float = IDLE_LOCK_SECONDS) -> None:
        self.app = app
        self.seconds = seconds
        self.last_input = time.monotonic()
        self.locked = False

    def start(self, then: Callable[[], None]) -> None:
        """Ask for the passphrase first if the folder is protected and locked; then `then`."""
        from devicecheck.core import protection
        from devicecheck.errors import DeviceCheckError

        self.touched()  # the idle time counts from when the app is on screen
        self.app.set_interval(max(min(self.seconds / 4, 5.0), 0.05), self.check)
        root = self.app.data_dir.root
        if protection.is_protected(root) and not protection.is_unlocked(root):
            try:  # a passphrase file given on the command line (or its variable) opens it
                protection.keys_for(root)
            except DeviceCheckError:  # no passphrase given yet, or a wrong one: ask
                self._show(after_idle=False, then=then)
                return
        then()

    def touched(self) -> None:
        self.last_input = time.monotonic()

    def check(self) -> None:
        from devicecheck.core import protection

        root = self.app.data_dir.root
        if self.locked or time.monotonic() - self.last_input < self.seconds:
            return
        if protection.is_protected(root) and protection.is_unlocked(root):
            protection.forget_keys(root)
            self._show(after_idle=True, then=lambda: None)

    def _show(self, *, after_idle: bool, then: Callable[[], None]) -> None:
        self.locked = True

        def unlocked(_: object) -> None:
            self.locked = False
            self.touched()
            then()

        self.app.push_screen(LockScreen(after_idle=after_idle), unlocked)
