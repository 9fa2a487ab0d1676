"""The summary: concerns by severity with next steps and cautions, help numbers, report export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Markdown, Select, Static

from devicecheck.core.checklists import SEVERITY_RANK, Checklist, Item
from devicecheck.core.helplines import Region
from devicecheck.core.sessions import ActionStep, CaseworkerNote, Session
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import ReportWritten
from devicecheck.tui.work import guarded

FORMATS = (("Web page (HTML)", "html"), ("PDF", "pdf"), ("Markdown", "md"), ("Plain text", "txt"))
REPORT_CONSENT = (
    "A report of this session will be written to a file on this computer: the answers, notes, "
    "anything found, and the evidence log's integrity details. It is not sent anywhere; the "
    "client decides who sees it."
)
CANNOT_RULE_OUT = (
    "These checks cannot prove that nobody is watching. Software can hide, accounts can be "
    "reached from devices not checked here, and new tools appear all the time."
)


def _concern_lines(item: Item, answer: Any) -> list[str]:
    label = "Found" if answer.value == "yes" else "Not sure"
    lines = [f"- **{item.title}** ({label}, {item.severity})"]
    if answer.note:
        lines.append(f"  - Your note: {answer.note}")
    lines.append(f"  - Next step: {' '.join(item.if_yes.split())}")
    if item.caution:
        lines.append(f"  - **Caution:** {' '.join(item.caution.split())}")
    return lines


def summary_markdown(session: Session, checklists: Sequence[Checklist], region: Region) -> str:
    items = {item.id: item for checklist in checklists for item in checklist.all_items()}
    concerns = [
        (items[item_id], answer)
        for item_id, answer in session.answers.items()
        if item_id in items and answer.value in ("yes", "unsure")
    ]
    concerns.sort(key=lambda pair: (SEVERITY_RANK[pair[0].severity], pair[1].value != "yes"))
    parts = ["## Concerns, most serious first", ""]
    if not concerns and not session.findings:
        parts.append("You did not mark any concern. " + CANNOT_RULE_OUT)
    for severity in ("high", "medium", "low"):
        group = [pair for pair in concerns if pair[0].severity == severity]
        found = [f for f in session.findings if f.get("severity") == severity]
        if not group and not found:
            continue
        parts += ["", f"### {severity.capitalize()}", ""]
        for item, answer in group:
            parts += _concern_lines(item, answer)
        for finding in found:
            parts.append(f"- **{finding.get('app', 'Software')}** (found by the scan, {severity})")
            if finding.get("advice"):
                parts.append(f"  - Next step: {finding['advice']}")
    parts += [
        "",
        "Before you remove, change or block anything: the other person may notice. Record it "
        "first and talk to a helpline about a safe time to act.",
        "",
        "## Help",
        "",
        f"- **{region.emergency.text}**",
    ]
    for line in region.lines:
        hours = f" ({line.hours})" if line.hours else ""
        parts.append(f"- {line.name}: **{line.number}**{hours}. {line.about}")
    parts += ["", "## What these checks cannot rule out", "", CANNOT_RULE_OUT, ""]
    return "\n".join(parts)


NOTE_HINT = (
    "A note on the whole session, kept apart from the client's answers and attributed to you."
)


def _when(stamp: str) -> str:
    return stamp[:16].replace("T", " ")


def _action_line(step: ActionStep) -> list[str]:
    lines = [f"- **{step.what}**: {step.who}, by {step.by_when}"]
    if step.caution:
        lines.append(f"  - **Caution:** {step.caution}")
    return lines


def casework_markdown(session: Session) -> str:
    """The action plan and the caseworker's notes on the whole session (not the client's)."""
    parts = ["## Action plan: agreed next steps", ""]
    if not session.action_plan:
        parts.append("No steps agreed yet. Add one with **a**.")
    for step in session.action_plan:
        parts += _action_line(step)
    notes: list[CaseworkerNote] = [n for n in session.caseworker_notes if n.item_id is None]
    parts += ["", "## Caseworker's notes on the session", ""]
    if not notes:
        parts.append("No notes yet. Add one with **o**.")
    for note in notes:
        parts.append(f"- {note.text} (caseworker {note.author}, {_when(note.written_at)} UTC)")
    return "\n".join(parts) + "\n"


class SummaryScreen(BaseScreen):
    CSS_PATH = "summary.tcss"
    BINDINGS = (
        Binding("escape", "app.pop_screen", "Back"),
        Binding("e", "export", "Export"),
        Binding("a", "add_action", "Add step"),
        Binding("o", "add_note", "Note"),
    )

    def __init__(self, session: Session, checklists: Sequence[Checklist]) -> None:
        super().__init__()
        self.session = session
        self.checklists = tuple(checklists)

    def compose_body(self) -> ComposeResult:
        answered = len(self.session.answers)
        yield Static(f"Summary: {answered} questions answered", classes="title")
        with VerticalScroll(id="summary"):
            yield Markdown(summary_markdown(self.session, self.checklists, self.devicecheck.region))
            if self.is_caseworker:
                yield Markdown(casework_markdown(self.session), id="casework")
        if self.is_caseworker:
            with Horizontal(classes="buttons", id="casework-buttons"):
                yield Button("Add a step to the plan (a)", id="add-action", compact=True)
                yield Button("Caseworker's note (o)", id="add-note", compact=True)
        with Horizontal(id="export"):
            yield Select(FORMATS, value="html", allow_blank=False, id="format")
            yield Input(placeholder="File (empty: the reports folder)", id="output")
            yield Button("Export report", id="export-report", variant="primary")
        yield Footer()

    @property
    def is_caseworker(self) -> bool:
        return self.session.mode == "caseworker" and self.session.caseworker is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_action", "add_note"):
            return self.is_caseworker  # False also keeps them out of the footer
        return True

    @on(Button.Pressed, "#add-action")
    def action_add_action(self) -> None:
        from devicecheck.tui.components.action import ActionModal

        self.app.push_screen(ActionModal(self.session), self._casework_saved)

    @on(Button.Pressed, "#add-note")
    def action_add_note(self) -> None:
        from devicecheck.core.casework import add_note
        from devicecheck.tui.components.note import NoteModal

        data_dir = self.devicecheck.data_dir
        modal = NoteModal(
            "Caseworker's note on the session",
            NOTE_HINT,
            "what you observed or agreed",
            lambda text: add_note(data_dir, self.session, text),
        )
        self.app.push_screen(modal, self._casework_saved)

    def _casework_saved(self, saved: object) -> None:
        if saved is None:
            return
        what = "Step added to the action plan." if isinstance(saved, ActionStep) else "Note saved."
        self.notify(what, timeout=6)
        casework = self.query_one("#casework", Markdown)
        casework.update(casework_markdown(self.session))
        casework.scroll_visible(animate=False)

    @on(Input.Submitted, "#output")
    @on(Button.Pressed, "#export-report")
    def action_export(self) -> None:
        from devicecheck.tui.components.consent import with_consent

        fmt = str(self.query_one("#format", Select).value)
        given = self.query_one("#output", Input).value.strip()
        output = Path(given).expanduser() if given else None
        with_consent(self, self.session, "report", REPORT_CONSENT, lambda: self.export(fmt, output))

    @work(thread=True, exit_on_error=False, group="report")
    def export(self, fmt: str, output: Path | None) -> None:
        from devicecheck.core.report import write_report

        data_dir = self.devicecheck.data_dir

        def write() -> None:
            target = output
            if target is None:
                folder = data_dir.ensure(data_dir.root / "reports")
                target = folder / f"report-{self.session.id}.{fmt}"
            written = write_report(
                data_dir, self.session, fmt, target, region=self.devicecheck.region
            )
            self.post_message(ReportWritten(str(written)))

        guarded(self, write)

    @on(ReportWritten)
    def report_written(self, message: ReportWritten) -> None:
        self.notify(f"Report saved: {message.path}", title="Report", timeout=15)
