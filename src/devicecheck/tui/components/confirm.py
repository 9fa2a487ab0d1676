"""A yes-or-no question in a dialog; the careful answer ("Not now") has the focus."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from devicecheck.tui.components.base import BaseModal

SAVE_QUESTION = "Save this to your evidence log? It cannot be removed later."


class ConfirmScreen(BaseModal[bool]):
    """Dismissed with True only when the "yes" button is pressed; Enter alone says no."""

    CSS_PATH = "confirm.tcss"
    BINDINGS = (Binding("escape", "decline", "Not now"),)

    def __init__(self, title: str, text: str, yes: str, no: str) -> None:
        super().__init__()
        self.title_text = title
        self.text = text
        self.yes = yes
        self.no = no

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(self.title_text, classes="title", markup=False)
            yield Static(self.text, id="text", markup=False)
            with Horizontal(classes="buttons"):
                yield Button(self.no, id="no", variant="primary")
                yield Button(self.yes, id="yes")

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    @on(Button.Pressed)
    def answer(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_decline(self) -> None:
        self.dismiss(False)


def confirm_write(screen: Screen, what: str, proceed: Callable[[], None]) -> None:
    """Ask before anything is written to the evidence log; run `proceed` only on "Save it"."""

    def after(save: bool | None) -> None:
        if save:
            proceed()

    text = f"{what}\n\n{SAVE_QUESTION}" if what else SAVE_QUESTION
    screen.app.push_screen(ConfirmScreen("Your evidence log", text, "Save it", "Not now"), after)
