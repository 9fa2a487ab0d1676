"""The offer at set-up: protect the data folder with a passphrase when others use this computer."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Static

from devicecheck.tui.components.base import BaseModal

OFFER_LABEL = "Someone else uses this computer?"
EXPLAINED = (
    "devicecheck can lock what it keeps (your answers, notes, photos and the evidence log) "
    "with a passphrase, so someone else using this computer cannot read it. It will ask for "
    "the passphrase each time, and lock itself after 10 minutes without use. If the passphrase "
    "is lost, nothing kept here can be read: choose one you will remember, and keep it safe."
)


class ProtectModal(BaseModal[bool]):
    """Asks for a new passphrase twice; dismissed with True once the folder is protected."""

    CSS_PATH = "protect.tcss"
    BINDINGS = (Binding("escape", "cancel", "Not now"),)

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static(OFFER_LABEL, classes="title")
            yield Static(EXPLAINED, classes="hint")
            yield Input(placeholder="passphrase (8 characters or more)", password=True, id="first")
            yield Input(placeholder="the same passphrase again", password=True, id="second")
            yield Static("", id="protect-status")
            with Horizontal(classes="buttons"):
                yield Button("Protect", id="protect", variant="primary", compact=True)
                yield Button("Not now (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#first", Input).focus()

    @on(Input.Submitted, "#first")
    def next_field(self) -> None:
        self.query_one("#second", Input).focus()

    @on(Input.Submitted, "#second")
    @on(Button.Pressed, "#protect")
    def protect_pressed(self) -> None:
        from devicecheck.core.protection import MIN_PASSPHRASE_LENGTH

        first = self.query_one("#first", Input).value
        second = self.query_one("#second", Input).value
        if len(first) < MIN_PASSPHRASE_LENGTH:
            self._say(f"Please use at least {MIN_PASSPHRASE_LENGTH} characters.")
        elif first != second:
            self._say("The two passphrases are not the same. Please type them again.")
            for name in ("#first", "#second"):
                self.query_one(name, Input).value = ""
            self.query_one("#first", Input).focus()
        else:
            self._say("Protecting… (this takes a moment)")
            self.protect(first)

    @work(thread=True, exit_on_error=False, group="protect", exclusive=True)
    def protect(self, passphrase: str) -> None:
        from devicecheck.core.protect_folder import protect
        from devicecheck.errors import DeviceCheckError

        try:
            protect(self.devicecheck.data_dir.root, passphrase)
        except (DeviceCheckError, OSError) as error:
            message = getattr(error, "message", None) or str(error)
            self.app.call_from_thread(self._say, f"Could not protect the folder: {message}")
            return
        self.app.call_from_thread(self.dismiss, True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    def _say(self, text: str) -> None:
        self.query_one("#protect-status", Static).update(text)
