"""The evidence diary: the log's entries in order, its integrity in words, each entry whole
(with a way to add a correction), and ways to add to it."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, DataTable, Footer, Static

from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import DiaryLoaded
from devicecheck.tui.work import guarded, plain_message

# An entry's kind as a person says it (the log's own kind ids otherwise read as words).
KIND_WORDS = {
    "amendment": "correction",
    "case-note": "caseworker's note",
    "action": "action step",
    "scan": "scan",
}
CONSENT_STEP_WORDS = {
    "walkthrough": "the questions",
    "scan": "scanning this computer",
    "evidence": "keeping evidence",
    "report": "a report",
    "phone-scan": "checking the phone",
}


def kind_words(kind: str) -> str:
    return KIND_WORDS.get(kind, kind.replace("-", " "))


def entry_summary(entry: Any) -> str:
    """One line saying what an entry holds."""
    from devicecheck.core.sessions import ANSWER_LABELS

    data = entry.data
    kind = entry.kind
    if kind == "incident":
        when = f" ({data['when'][:16].replace('T', ' ')})" if data.get("when") else ""
        return f"{data.get('what', '')}{when}"
    if kind == "finding":
        return str(data.get("title") or data.get("app") or "")
    if kind == "scan":
        what = (
            "check of a phone" if data.get("target") == "android-phone" else "scan of this computer"
        )
        return f"{what}: {data.get('finding_count', 0)} found"
    if kind == "attachment":
        name = data.get("name") or data.get("original_name") or data.get("sha256", "")[:12]
        return f"{name} {data.get('note', '')}".strip()
    if kind == "amendment":
        return f"correction to entry {data.get('amends_seq', '?')}: {data.get('note', '')}"
    if kind == "answer":
        value = str(data.get("value", ""))
        note = f": {data['note']}" if data.get("note") else ""
        return f"answered {ANSWER_LABELS.get(value, value)}{note}"
    if kind == "consent":
        step = str(data.get("step", ""))
        return f"{data.get('answer', '')}: consent to {CONSENT_STEP_WORDS.get(step, step)}"
    if kind == "action":
        who = f" ({data['who']}, by {data.get('by_when', '-')})" if data.get("who") else ""
        return f"{data.get('what', '')}{who}"
    return str(data.get("text") or data.get("note") or data.get("what") or "")


def integrity_words(report: Any) -> str:
    if report.entries == 0 and report.ok:
        return "The evidence log is empty: nothing has been recorded yet."
    if report.ok:
        entries = "the 1 entry is" if report.entries == 1 else f"all {report.entries} entries are"
        return (
            f"Integrity checked: {entries} intact as a chain (only a receipt kept elsewhere "
            "also shows none were cut off or rebuilt)."
        )
    bad = report.first_bad
    return (
        f"Integrity problem at entry {bad.seq}: {plain_message(bad.detail)} The entries before "
        "it are intact. "
        "Nothing has been changed; keep a copy and ask for help before you add more."
    )


class DiaryScreen(BaseScreen):
    CSS_PATH = "diary.tcss"
    # Ctrl with a letter, never a plain letter: a sentence typed here must not start anything.
    BINDINGS = (
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+g", "incident", "Add an incident"),
        Binding("ctrl+f", "attach", "Attach a file"),
    )

    def compose_body(self) -> ComposeResult:
        yield Static("Evidence diary", classes="title")
        yield Static("Checking the evidence log...", id="integrity", markup=False)
        table: DataTable[str] = DataTable(id="entries", cursor_type="row", zebra_stripes=True)
        table.add_columns("#", "Recorded (UTC)", "Kind", "What")
        yield table
        yield Static(
            "Enter on an entry shows it whole; you can add a correction there.", classes="hint"
        )
        with Horizontal(classes="buttons", id="actions"):
            yield Button("New incident Ctrl+G", id="incident", compact=True)
            yield Button("Attach a file Ctrl+F", id="attach", compact=True)
            yield Button("Back Esc", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exit_on_error=False, group="diary", exclusive=True)
    def reload(self) -> None:
        def read() -> None:
            from devicecheck.core.evidence import EvidenceLog

            log = EvidenceLog(self.devicecheck.data_dir)
            report = log.verify()
            self.post_message(DiaryLoaded(log.entries(), report))

        guarded(self, read)

    @on(DiaryLoaded)
    def show_entries(self, message: DiaryLoaded) -> None:
        self.query_one("#integrity", Static).update(integrity_words(message.verify))
        table = self.query_one("#entries", DataTable)
        table.clear()
        for entry in message.entries:
            table.add_row(
                str(entry.seq),
                entry.recorded_at[:16].replace("T", " "),
                kind_words(entry.kind),
                entry_summary(entry),
                key=entry.id,
            )
        if message.entries:
            table.move_cursor(row=len(message.entries) - 1)
        table.focus()

    @on(DataTable.RowSelected, "#entries")
    def open_entry(self, event: DataTable.RowSelected) -> None:
        from devicecheck.tui.components.entry import EntryScreen

        if event.row_key.value is not None:
            self.app.push_screen(EntryScreen(str(event.row_key.value)), self._after_adding)

    @on(Button.Pressed, "#back")
    def go_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#incident")
    def action_incident(self) -> None:
        from devicecheck.tui.components.incident import IncidentScreen

        self.app.push_screen(IncidentScreen(), self._after_adding)

    @on(Button.Pressed, "#attach")
    def action_attach(self) -> None:
        from devicecheck.tui.components.attach import AttachScreen

        self.app.push_screen(AttachScreen(), self._after_adding)

    def _after_adding(self, added: bool | None) -> None:
        if added:
            self.reload()
