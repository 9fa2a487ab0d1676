"""Consent, asked before a step happens in a caseworker session, and recorded in the session."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Static

from devicecheck.core.casework import record_consent
from devicecheck.core.sessions import Session
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseModal
from devicecheck.tui.work import plain_message

STEP_TITLES = {
    "walkthrough": "Before the questions",
    "scan": "Before scanning this computer",
    "evidence": "Before saving to the evidence log",
    "report": "Before producing a report",
    "phone-scan": "Before checking the phone",
}


class ConsentScreen(BaseModal[bool]):
    """Explain the step, then record the client's answer (given or declined) with the time."""

    CSS_PATH = "consent.tcss"

    def __init__(self, session: Session, step: str, explained: str) -> None:
        super().__init__()
        self.session = session
        self.step = step
        self.explained = explained

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static(f"Consent: {STEP_TITLES[self.step]}", classes="title")
            yield Static("Please read this to the client:", classes="hint")
            yield Static(self.explained, id="explained", markup=False)
            yield Static("Does the client agree?", classes="title")
            with Horizontal(classes="buttons"):
                yield Button("Client agrees", id="given", variant="primary")
                yield Button("Client does not agree", id="declined")

    @on(Button.Pressed)
    def record(self, event: Button.Pressed) -> None:
        answer = "given" if event.button.id == "given" else "declined"
        try:
            record_consent(
                self.devicecheck.data_dir, self.session, self.step, self.explained, answer
            )
        except (DeviceCheckError, OSError) as error:
            self.notify(
                plain_message(str(error)), title="Could not save the consent", severity="error"
            )
            return
        self.dismiss(answer == "given")


def with_consent(
    screen: Screen, session: Session | None, step: str, explained: str, proceed: Callable[[], None]
) -> None:
    """Run `proceed` now, or in a caseworker session once the client has agreed to `step`.

    Consent given earlier in the session stands; otherwise it is asked (and recorded) first.
    """
    if session is None or session.mode != "caseworker":
        proceed()
        return
    earlier = session.consent_for(step)
    if earlier is not None and earlier.answer == "given":
        proceed()
        return

    def after(given: bool | None) -> None:
        if given:
            proceed()
        else:
            screen.notify("The client did not agree, so this was not done.", timeout=8)

    screen.app.push_screen(ConsentScreen(session, step, explained), after)
