"""A short text note in a dialog, saved by the caller's function in a thread worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from devicecheck.tui.components.base import BaseModal
from devicecheck.tui.work import guarded


class NoteModal(BaseModal[Any]):
    """Ask for one line of text and hand it to `save`; dismissed with what `save` returned.

    A problem (an empty note, a failed write) is one notice and the dialog stays open with
    the text, so nothing typed is lost.
    """

    CSS_PATH = "note.tcss"
    BINDINGS = (Binding("escape", "cancel", "Cancel"),)

    def __init__(self, title: str, hint: str, placeholder: str, save: Callable[[str], Any]) -> None:
        super().__init__()
        self.title_text = title
        self.hint = hint
        self.placeholder = placeholder
        self.save = save

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            yield Static(self.hint, classes="hint", markup=False)
            yield Input(placeholder=self.placeholder, id="text")
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#text", Input).focus()

    @on(Input.Submitted, "#text")
    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        self.store(self.query_one("#text", Input).value)

    @work(thread=True, exit_on_error=False, group="note", exclusive=True)
    def store(self, text: str) -> None:
        saved = guarded(self, lambda: self.save(text))
        if saved is not None:
            self.app.call_from_thread(self.dismiss, saved)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
