"""One evidence-log entry shown whole, with its corrections, and a way to add a correction."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Markdown, Static

from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import EntryLoaded, EvidenceSaved
from devicecheck.tui.work import guarded

FIELD_WORDS = {
    "what": "What happened",
    "when": "When",
    "where": "Where",
    "how": "How",
    "who": "Who was involved",
    "witnesses": "Witnesses",
    "impact": "How it affected you",
    "police_ref": "Police reference",
    "text": "Text",
    "note": "Note",
    "title": "Title",
    "question": "Question",
    "answer": "Answer",
    "severity": "How serious",
    "confidence": "How sure",
    "category": "What it may be",
    "kind": "Found as",
    "app": "Software",
    "name": "File name",
    "original_name": "File name",
    "size": "Size in bytes",
    "amends_seq": "Corrects entry",
    "host": "Computer",
    "platform": "System",
    "started_at": "Started",
    "finished_at": "Finished",
    "examined": "Looked at",
    "not_examined": "Could not look at",
    "coverage": "Compared",
    "indicators": "Lists of known software used",
    "limits": "What it cannot rule out",
    "finding_count": "Things found",
    "matched": "Matched",
    "process": "Program",
    "source": "Listed by",
    "detail": "Details",
    "advice": "What to do",
}
# Internal links and check values: they mean nothing read aloud, and reports carry them.
HIDDEN_FIELDS = frozenset(
    {"amends", "sha256", "stored_as", "item_id", "checklist_id", "origin", "app_id", "scan_entry"}
)


def _examined_words(value: dict[str, Any]) -> str:
    from devicecheck.core.report.model import EXAMINED_LABELS

    return "; ".join(
        f"{EXAMINED_LABELS.get(key, key.replace('_', ' '))}: {_value_words(count)}"
        for key, count in value.items()
    )


def _field_words(key: str, value: Any) -> str:
    """One field of an entry in words: scan and finding records have their own shapes."""
    from devicecheck.core.finding_labels import category_label, kind_label
    from devicecheck.tui.components.findings import how_serious, how_sure, plain_reason

    if key == "examined" and isinstance(value, dict):
        return _examined_words(value)
    if key == "not_examined" and isinstance(value, list):
        return (
            "; ".join(
                f"{item.get('what', '')}: {plain_reason(str(item.get('reason', '')))}"
                for item in value
                if isinstance(item, dict)
            )
            or "none"
        )
    if key == "coverage" and isinstance(value, list):
        return "; ".join(str(item.get("how", "")) for item in value if isinstance(item, dict))
    if key in ("indicators", "source") and isinstance(value, (list, dict)):
        sources = value if isinstance(value, list) else [value]
        return "; ".join(
            str(item.get("name") or item.get("id") or "")
            for item in sources
            if isinstance(item, dict)
        )
    if key == "matched" and isinstance(value, dict):
        return str(value.get("value") or value.get("indicator") or "-")
    if key == "process" and isinstance(value, dict):
        return f"{value.get('name', '')} (running as number {value.get('pid', '-')})"
    if key == "confidence" and isinstance(value, str):
        return how_sure(value)
    if key == "severity" and isinstance(value, str):
        return how_serious(value, in_full=True)
    if key == "category" and isinstance(value, str):
        return category_label(value)
    if key == "kind" and isinstance(value, str):
        return kind_label(value)
    return _value_words(value)


def _value_words(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(
            f"{FIELD_WORDS.get(key, key.replace('_', ' '))}: {_value_words(inner)}"
            for key, inner in value.items()
            if key not in HIDDEN_FIELDS
        )
    if isinstance(value, list):
        return "; ".join(_value_words(inner) for inner in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "-" if value in (None, "") else str(value)


def entry_markdown(entry: Any, corrections: list[Any]) -> str:
    from devicecheck.tui.components.diary import kind_words

    when = entry.recorded_at[:16].replace("T", " ")
    who = "you" if entry.author == "self" else entry.author
    lines = [
        f"## Entry {entry.seq}: {kind_words(entry.kind)}",
        "",
        f"Recorded {when} UTC by {who}.",
        "",
    ]
    for key, value in entry.data.items():
        if key in HIDDEN_FIELDS:
            continue
        label = FIELD_WORDS.get(key, key.replace("_", " ").capitalize())
        lines.append(f"- **{label}:** {_field_words(key, value)}")
    lines += ["", "## Corrections added later", ""]
    if not corrections:
        lines.append("None. The entry itself is never changed; a correction is a new entry.")
    for correction in corrections:
        stamp = correction.recorded_at[:16].replace("T", " ")
        lines.append(f"- {stamp} UTC (entry {correction.seq}): {correction.data.get('note', '')}")
    return "\n".join(lines) + "\n"


def _correction_text(text: str) -> str:
    if not text.strip():
        raise DeviceCheckError("The correction is empty: say what was wrong or missing.")
    return text.strip()


class EntryScreen(BaseScreen):
    """Dismissed with True when a correction was added (so the diary reloads)."""

    CSS_PATH = "entry.tcss"
    BINDINGS = (Binding("escape", "back", "Back"),)

    def __init__(self, entry_id: str) -> None:
        super().__init__()
        self.entry_id = entry_id
        self.corrected = False

    def compose_body(self) -> ComposeResult:
        yield Static("An entry in your evidence log", classes="title")
        with VerticalScroll(id="entry"):
            yield Markdown("Reading...", id="text")
        with Horizontal(classes="buttons", id="actions"):
            yield Button("Add a correction", id="correct", compact=True)
            yield Button("Back (Esc)", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.load()
        self.query_one("#entry", VerticalScroll).focus()

    @work(thread=True, exit_on_error=False, group="entry", exclusive=True)
    def load(self) -> None:
        def read() -> None:
            from devicecheck.core.evidence import EvidenceLog

            with EvidenceLog(self.devicecheck.data_dir) as log:
                entry = log.get(self.entry_id)
                self.post_message(EntryLoaded(entry, log.amendments_of(self.entry_id)))

        guarded(self, read)

    @on(EntryLoaded)
    def show(self, message: EntryLoaded) -> None:
        self.query_one("#text", Markdown).update(entry_markdown(message.entry, message.corrections))

    @on(Button.Pressed, "#correct")
    def correct(self) -> None:
        from devicecheck.tui.components.confirm import confirm_write
        from devicecheck.tui.components.note import NoteModal

        def typed(text: str | None) -> None:
            if text:
                confirm_write(self, f"Correction: {text}", lambda: self.amend(text))

        modal = NoteModal(
            "Add a correction",
            "Say what was wrong or missing. The entry stays as it was; the correction is added "
            "after it, with today's date.",
            "what to correct",
            _correction_text,
        )
        self.app.push_screen(modal, typed)

    @work(thread=True, exit_on_error=False, group="evidence", exclusive=True)
    def amend(self, text: str) -> None:
        def write() -> None:
            from devicecheck.core.evidence import EvidenceLog

            with EvidenceLog(self.devicecheck.data_dir) as log:
                entry = log.amend(self.entry_id, text)
            self.post_message(EvidenceSaved("Your correction was added.", entry.id))

        guarded(self, write)

    @on(EvidenceSaved)
    def saved(self, message: EvidenceSaved) -> None:
        self.corrected = True
        self.notify(message.what, timeout=6)
        self.load()

    @on(Button.Pressed, "#back")
    def action_back(self) -> None:
        self.dismiss(self.corrected)
