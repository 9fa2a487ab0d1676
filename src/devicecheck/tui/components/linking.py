"""Which session a new evidence entry belongs to, so a caseworker's report holds only their
client's evidence."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from devicecheck.tui.components.base import BaseModal

if TYPE_CHECKING:
    from devicecheck.core.sessions import Session

NO_SESSION = "-"


def session_label(session: Session) -> str:
    when = session.created_at[:16].replace("T", " ")
    if session.mode == "caseworker" and session.caseworker is not None:
        ref = session.caseworker.client_ref or "no client reference"
        return f"With {session.caseworker.name}, {ref} (started {when} UTC)"
    return f"Your own check (started {when} UTC)"


class SessionChoiceScreen(BaseModal[str]):
    """Pick the session to link to; dismissed with its id, NO_SESSION, or None (cancelled)."""

    CSS_PATH = "linking.tcss"
    BINDINGS = (Binding("escape", "cancel", "Cancel"),)

    def __init__(self, current: Session, others: list[Session]) -> None:
        super().__init__()
        self.current = current
        self.others = others

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Which session is this about?", classes="title")
            yield Static(
                "This computer holds sessions with more than one caseworker. Choose the one "
                "this belongs to, so each report holds only its own evidence.",
                classes="hint",
            )
            options = [Option(session_label(self.current), id=self.current.id)]
            options += [Option(session_label(s), id=s.id) for s in self.others]
            options.append(Option("None of these", id=NO_SESSION))
            yield OptionList(*options, id="sessions")

    def on_mount(self) -> None:
        choices = self.query_one("#sessions", OptionList)
        choices.highlighted = 0
        choices.focus()

    @on(OptionList.OptionSelected, "#sessions")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(str(event.option.id))

    def action_cancel(self) -> None:
        self.dismiss(None)


def choose_session(screen: Screen, proceed: Callable[[str | None], None]) -> None:
    """Call `proceed` with the session id a new entry belongs to (None: no session).

    The session opened in this run is the answer, except in a person's own session on a
    computer holding more than one caseworker session: then they are asked.
    """
    app = screen.app
    current: Session | None = getattr(app, "current_session", None)
    if current is None:
        proceed(None)
        return
    if current.mode == "caseworker":
        proceed(current.id)
        return
    listing = app.store.list()  # type: ignore[attr-defined]
    others = [s for s in listing.sessions if s.mode == "caseworker"]
    if len(others) <= 1:
        proceed(current.id)
        return

    def after(choice: str | None) -> None:
        if choice is not None:
            proceed(None if choice == NO_SESSION else choice)

    app.push_screen(SessionChoiceScreen(current, others), after)
