"""Attach a file to the evidence log: it is copied in and its check value recorded."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from devicecheck.tui.components.base import BaseModal
from devicecheck.tui.messages import EvidenceSaved
from devicecheck.tui.work import guarded


class AttachScreen(BaseModal[bool]):
    CSS_PATH = "attach.tcss"
    BINDINGS = (Binding("escape", "cancel", "Cancel"),)

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Attach a file", classes="title")
            yield Static(
                "A copy is kept in your evidence folder, with a check value that shows later "
                "whether the copy was changed. The original is not touched.",
                classes="hint",
            )
            yield Label("The file's path")
            yield Input(placeholder="e.g. ~/Pictures/screenshot.png", id="path")
            yield Label("A note about it (optional)")
            yield Input(id="note")
            with Horizontal(classes="buttons"):
                yield Button("Attach", id="attach", variant="primary", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def path_submitted(self) -> None:
        self.query_one("#note", Input).focus()

    @on(Input.Submitted, "#note")
    @on(Button.Pressed, "#attach")
    def attach_pressed(self) -> None:
        path = self.query_one("#path", Input).value.strip()
        if not path:
            self.notify("Please give the path of the file.", severity="warning")
            return
        from devicecheck.tui.components.confirm import confirm_write
        from devicecheck.tui.components.linking import choose_session

        file, note = Path(path).expanduser(), self.query_one("#note", Input).value.strip()
        confirm_write(
            self,
            f"A copy of {file.name}",
            lambda: choose_session(self, lambda session: self.attach(file, note, session)),
        )

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

    @work(thread=True, exit_on_error=False, group="evidence", exclusive=True)
    def attach(self, path: Path, note: str, session: str | None) -> None:
        def write() -> None:
            from devicecheck.core.evidence import EvidenceLog

            with EvidenceLog(self.devicecheck.data_dir) as log:
                entry = log.attach(path, note=note, session=session)
            self.post_message(
                EvidenceSaved(f"Attached {path.name} to your evidence log.", entry.id)
            )

        guarded(self, write)

    @on(EvidenceSaved)
    def saved(self, message: EvidenceSaved) -> None:
        self.notify(message.what, timeout=6)
        self.dismiss(True)
