"""One agreed next step for the action plan of a caseworker session: what, who, by when."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Input, Label, Static

from devicecheck.core.sessions import ActionStep, Session
from devicecheck.tui.components.base import BaseModal
from devicecheck.tui.work import guarded

# Short enough to show whole in the field at 80 columns.
CAUTION_HINT = "the other person may notice lost access or a new password"
FIELDS = (
    ("what", "What", "the step, e.g. check the car for a tracker"),
    ("who", "Who", "e.g. client, caseworker, police"),
    ("by-when", "By when", "YYYY-MM-DD"),
    ("caution", "Caution", CAUTION_HINT),
)


class ActionModal(BaseModal[ActionStep]):
    """Add a step to the session's action plan; dismissed with the saved step, or None."""

    CSS_PATH = "action.tcss"
    BINDINGS = (Binding("escape", "cancel", "Cancel"),)

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="dialog"):
            yield Static("Add a step to the action plan", classes="title")
            yield Static(
                "Agree it with the client. Before a step that removes access, changes a "
                "password or disables a tracker: the other person may notice. While the "
                "client agrees to evidence being kept, the step also goes to the evidence log.",
                classes="hint",
            )
            for key, label, placeholder in FIELDS:
                with Horizontal(classes="field"):
                    yield Label(label)
                    yield Input(placeholder=placeholder, id=key)
            with Horizontal(classes="buttons"):
                yield Button("Save", id="save", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#what", Input).focus()

    def value(self, key: str) -> str:
        return self.query_one(f"#{key}", Input).value

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == FIELDS[-1][0]:
            self.save_pressed()
        else:
            self.focus_next()

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        import datetime as dt

        by_when = self.value("by-when").strip()
        try:
            dt.date.fromisoformat(by_when)
        except ValueError:
            self.notify(
                f"Please write the date as year-month-day, like 2026-12-01 (not {by_when!r}).",
                severity="error",
            )
            self.query_one("#by-when", Input).focus()
            return
        self.store(
            self.value("what"), self.value("who"), self.value("by-when"), self.value("caution")
        )

    @work(thread=True, exit_on_error=False, group="action", exclusive=True)
    def store(self, what: str, who: str, by_when: str, caution: str) -> None:
        from devicecheck.core.casework import add_action

        data_dir = self.devicecheck.data_dir
        step = guarded(
            self, lambda: add_action(data_dir, self.session, what, who, by_when, caution)
        )
        if step is not None:
            self.app.call_from_thread(self.dismiss, step)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
