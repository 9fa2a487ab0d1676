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
from devicecheck.core.sessions import Session
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


class SummaryScreen(BaseScreen):
    CSS_PATH = "summary.tcss"
    BINDINGS = (Binding("escape", "app.pop_screen", "Back"), Binding("e", "export", "Export"))

    def __init__(self, session: Session, checklists: Sequence[Checklist]) -> None:
        super().__init__()
        self.session = session
        self.checklists = tuple(checklists)

    def compose_body(self) -> ComposeResult:
        answered = len(self.session.answers)
        yield Static(f"Summary: {answered} questions answered", classes="title")
        with VerticalScroll(id="summary"):
            yield Markdown(summary_markdown(self.session, self.checklists, self.devicecheck.region))
        with Horizontal(id="export"):
            yield Select(FORMATS, value="html", allow_blank=False, id="format")
            yield Input(placeholder="File (empty: the reports folder)", id="output")
            yield Button("Export report", id="export-report", variant="primary")
        yield Footer()

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
