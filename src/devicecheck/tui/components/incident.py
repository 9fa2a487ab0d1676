"""Add an incident to the diary: every field police and helplines ask for, and a file."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Select, Static

from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import EvidenceSaved
from devicecheck.tui.work import guarded

HOW_CHOICES = (
    ("In person", "in-person"),
    ("Phone call", "phone"),
    ("Text message", "text"),
    ("Email", "email"),
    ("Social media", "social-media"),
    ("Through a device", "device"),
    ("Other", "other"),
)
TEXT_FIELDS = (
    ("what", "What happened (required)", ""),
    ("when", "When (your local time)", "YYYY-MM-DD HH:MM; empty if not sure"),
    ("where", "Where", ""),
)
MORE_FIELDS = (
    ("who", "Who was involved", ""),
    ("witnesses", "Witnesses", ""),
    ("impact", "How it affected you", ""),
    ("police-ref", "Police reference", "if you reported it"),
    ("attachment", "Attach a file (its path)", "e.g. ~/Pictures/screenshot.png"),
)


class IncidentScreen(BaseScreen):
    CSS_PATH = "incident.tcss"
    BINDINGS = (Binding("escape", "cancel", "Cancel"),)

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Add an incident. It is written to the evidence log with the time it was recorded "
            "and cannot be changed afterwards (you can add a correction). You are asked before "
            "it is saved.",
            classes="hint",
        )
        with VerticalScroll(id="form"):
            for key, label, placeholder in TEXT_FIELDS:
                yield Label(label)
                yield Input(placeholder=placeholder, id=key)
            yield Label("How it happened")
            yield Select(HOW_CHOICES, prompt="Choose (optional)", id="how")
            for key, label, placeholder in MORE_FIELDS:
                yield Label(label)
                yield Input(placeholder=placeholder, id=key)
        with Horizontal(classes="buttons", id="actions"):
            yield Button("Save incident", id="save", variant="primary", compact=True)
            yield Button("Cancel (Esc)", id="cancel", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#what", Input).focus()

    def value(self, key: str) -> str:
        return self.query_one(f"#{key}", Input).value.strip()

    @on(Input.Submitted)
    def next_field(self) -> None:
        self.focus_next()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @on(Button.Pressed, "#save")
    def save_pressed(self) -> None:
        if not self.value("what"):
            self.notify("Please say what happened.", severity="warning")
            self.query_one("#what", Input).focus()
            return
        how = self.query_one("#how", Select).value
        fields = {key: self.value(key) for key in ("what", "when", "where", "who", "witnesses")}
        fields["impact"] = self.value("impact")
        fields["police_ref"] = self.value("police-ref")
        fields["how"] = how if isinstance(how, str) else ""
        attachment = self.value("attachment")
        path = Path(attachment).expanduser() if attachment else None
        from devicecheck.tui.components.confirm import confirm_write
        from devicecheck.tui.components.linking import choose_session

        confirm_write(
            self,
            f"Incident: {fields['what']}",
            lambda: choose_session(self, lambda session: self.save(fields, path, session)),
        )

    @work(thread=True, exit_on_error=False, group="evidence", exclusive=True)
    def save(self, fields: dict[str, str], attachment: Path | None, session: str | None) -> None:
        def write() -> None:
            from devicecheck.core.evidence import EvidenceLog, Incident
            from devicecheck.core.evidence.incidents import parse_when

            when = parse_when(fields["when"]) if fields["when"] else None
            incident = Incident(**{**fields, "when": when})
            with EvidenceLog(self.devicecheck.data_dir) as log:
                entry = log.add_incident(
                    incident, attachments=(attachment,) if attachment else (), session=session
                )
            self.post_message(
                EvidenceSaved("The incident was saved to your evidence log.", entry.id)
            )

        guarded(self, write)

    @on(EvidenceSaved)
    def saved(self, message: EvidenceSaved) -> None:
        self.notify(message.what, timeout=6)
        self.dismiss(True)
