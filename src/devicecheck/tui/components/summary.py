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
from devicecheck.core.helplines import Region, fill_help
from devicecheck.core.protection import is_protected
from devicecheck.core.sessions import ActionStep, CaseworkerNote, Consent, Session
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.components.cover_tracks import cover_tracks_markdown
from devicecheck.tui.messages import ReportWritten
from devicecheck.tui.work import guarded, plain_message

FORMATS = (("Web page", "html"), ("PDF", "pdf"), ("Markdown", "md"), ("Plain text", "txt"))
REPORT_CONSENT = (
    "A report of this session will be written to a file on this computer: your answers, the "
    "notes, anything found, and whether the evidence log is intact. It is not sent anywhere; "
    "you decide who sees it."
)
CANNOT_RULE_OUT = (
    "These checks cannot prove that nobody is watching. Software can hide, accounts can be "
    "reached from devices not checked here, and new tools appear all the time."
)


def _concern_lines(item: Item, answer: Any, region_code: str) -> list[str]:
    label = "Found" if answer.value == "yes" else "Not sure"
    lines = [f"- **{fill_help(item.title, region_code)}** ({label}, {item.severity})"]
    if answer.note:
        lines.append(f"  - Your note: {answer.note}")
    lines.append(f"  - Next step: {' '.join(fill_help(item.if_yes, region_code).split())}")
    if item.caution:
        lines.append(f"  - **Caution:** {' '.join(fill_help(item.caution, region_code).split())}")
    return lines


def _found_by(finding: dict[str, Any]) -> str:
    """Where a saved finding came from and what it is, in words (never its kind id)."""
    from devicecheck.core.finding_labels import kind_label
    from devicecheck.tui.components.findings import how_sure

    phone = finding.get("origin") == "phone-scan"
    where = "found by the phone check" if phone else "found by the scan of this computer"
    kind = kind_label(str(finding.get("kind", "")), phone=phone)
    sure = how_sure(str(finding.get("confidence", "")))
    return f"{where}: {kind}, {sure}" if kind else f"{where}, {sure}"


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
            parts += _concern_lines(item, answer, region.code)
        for finding in found:
            parts.append(f"- **{finding.get('app', 'Software')}** ({_found_by(finding)})")
            if finding.get("advice"):
                parts.append(f"  - Next step: {plain_message(str(finding['advice']))}")
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


STEP_WORDS = {
    "walkthrough": "The questions",
    "scan": "Scanning this computer",
    "evidence": "Keeping evidence in the log",
    "report": "Producing a report",
    "phone-scan": "Checking the phone",
}
NOTE_HINT = (
    "A note on the whole session, kept apart from the client's answers and attributed to you. "
    "While the client agrees to evidence being kept, it also goes to the evidence log, where "
    "it cannot be removed later."
)


def _receipt_text(data_dir: Any) -> str | None:
    """The evidence log's receipt and what it proves (core.evidence.receipts), if it verifies."""
    from devicecheck.core.evidence import EvidenceLog
    from devicecheck.core.evidence.receipts import current_receipt_advice

    with EvidenceLog(data_dir) as log:
        return current_receipt_advice(log)


def _when(stamp: str) -> str:
    return stamp[:16].replace("T", " ")


def _action_line(step: ActionStep) -> list[str]:
    lines = [f"- **{step.what}**: {step.who}, by {step.by_when}"]
    if step.caution:
        lines.append(f"  - **Caution:** {step.caution}")
    return lines


def _consent_line(consent: Consent) -> str:
    step = STEP_WORDS.get(consent.step, consent.step)
    answer = "agreed" if consent.answer == "given" else "did not agree"
    return f"- {step}: the client {answer} ({_when(consent.recorded_at)} UTC)"


def _scan_line(scan: dict[str, Any]) -> str:
    target = "the phone" if scan.get("target") == "android-phone" else "this computer"
    count = scan.get("finding_count", len(scan.get("findings", ()) or ()))
    when = _when(str(scan.get("finished_at") or scan.get("started_at") or ""))
    return f"- Scan of {target}{f' ({when} UTC)' if when else ''}: {count} found"


def casework_markdown(session: Session, checklists: Sequence[Checklist] = ()) -> str:
    """What the caseworker needs beside the client's answers: the case, the consents, the
    scans, their notes (per question and on the session) and the action plan."""
    caseworker = session.caseworker
    parts = ["## The case", ""]
    if caseworker is not None:
        parts.append(f"- Case reference: {caseworker.client_ref or 'none given'}")
        org = f", {caseworker.organisation}" if caseworker.organisation else ""
        parts.append(f"- Caseworker: {caseworker.name}{org}")
        if caseworker.devices:
            parts.append(f"- Devices examined: {', '.join(caseworker.devices)}")
    parts += ["", "## Consents", ""]
    parts += [_consent_line(c) for c in session.consents] or ["None recorded yet."]
    parts += ["", "## Scans", ""]
    parts += [_scan_line(scan) for scan in session.scans] or ["No scan saved in this session."]
    titles = {item.id: item.title for checklist in checklists for item in checklist.all_items()}
    per_question = [n for n in session.caseworker_notes if n.item_id is not None]
    parts += ["", "## Caseworker's notes on questions", ""]
    if not per_question:
        parts.append("None yet.")
    for note in per_question:
        title = titles.get(str(note.item_id), str(note.item_id))
        parts.append(f"- {title}: {note.text} ({_when(note.written_at)} UTC)")
    parts += ["", "## Action plan: agreed next steps", ""]
    if not session.action_plan:
        parts.append("No steps agreed yet. Add one with the button below.")
    for step in session.action_plan:
        parts += _action_line(step)
    notes: list[CaseworkerNote] = [n for n in session.caseworker_notes if n.item_id is None]
    parts += ["", "## Caseworker's notes on the session", ""]
    if not notes:
        parts.append("No notes yet. Add one with the button below.")
    for note in notes:
        parts.append(f"- {note.text} (caseworker {note.author}, {_when(note.written_at)} UTC)")
    return "\n".join(parts) + "\n"


END_SESSION_TEXT = (
    "End this session now? The time it ended is kept in the session. When this session keeps "
    "evidence in your log, a line saying it ended is added there too: it cannot be removed "
    "later."
)


class SummaryScreen(BaseScreen):
    CSS_PATH = "summary.tcss"
    # Ctrl keys, not letters; not priority, so in the file box they keep their text meaning.
    BINDINGS = (
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+a", "add_action", "Add step"),
        Binding("ctrl+o", "add_note", "Note"),
        Binding("ctrl+d", "end_session", "End session"),
    )

    def __init__(self, session: Session, checklists: Sequence[Checklist]) -> None:
        super().__init__()
        self.session = session
        self.checklists = tuple(checklists)

    def compose_body(self) -> ComposeResult:
        answered = len(self.session.answers)
        questions = "question" if answered == 1 else "questions"
        yield Static(f"Summary: {answered} {questions} answered", classes="title", id="heading")
        with VerticalScroll(id="summary"):
            yield Markdown(summary_markdown(self.session, self.checklists, self.devicecheck.region))
            if self.is_caseworker:
                yield Markdown(casework_markdown(self.session, self.checklists), id="casework")
            yield Markdown(cover_tracks_markdown(self.devicecheck.data_dir.root), id="cover")
            receipt = _receipt_text(self.devicecheck.data_dir)
            if receipt:
                yield Static(receipt, id="receipt", markup=False)
        with Horizontal(classes="buttons", id="session-buttons"):
            if self.session.path == "essentials":
                yield Button("Go on to all areas", id="all-areas", compact=True)
            if self.is_caseworker:
                yield Button("Add a step Ctrl+A", id="add-action", compact=True)
                yield Button("Note Ctrl+O", id="add-note", compact=True)
            yield Button("End session Ctrl+D", id="end-session", compact=True)
        with Horizontal(id="export"):
            yield Select(FORMATS, value="html", allow_blank=False, id="format")
            yield Input(placeholder="File (optional)", id="output")
            yield Button("Export report", id="export-report", variant="primary")
        yield Footer()

    @property
    def is_caseworker(self) -> bool:
        return self.session.mode == "caseworker" and self.session.caseworker is not None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("add_action", "add_note"):
            return self.is_caseworker  # False also keeps them out of the footer
        return True

    @on(Button.Pressed, "#all-areas")
    def all_areas(self) -> None:
        """The essentials are done (or enough): the same session goes on with every area."""
        self.session.path = "areas"
        try:
            self.devicecheck.store.save(self.session)
        except (DeviceCheckError, OSError) as error:
            self.notify(plain_message(str(error)), severity="error")
            return
        self.devicecheck.open_walkthrough(self.session)

    @on(Button.Pressed, "#end-session")
    def action_end_session(self) -> None:
        from devicecheck.tui.components.confirm import ConfirmScreen

        if self.session.ended_at:
            self.notify(f"This session ended at {_when(self.session.ended_at)} UTC.", timeout=6)
            return

        def after(end: bool | None) -> None:
            if end:
                self.end_session()

        self.app.push_screen(
            ConfirmScreen("End the session", END_SESSION_TEXT, "End it", "Not now"), after
        )

    @work(thread=True, exit_on_error=False, group="session", exclusive=True)
    def end_session(self) -> None:
        from devicecheck.core.casework import end_session

        data_dir = self.devicecheck.data_dir
        if guarded(self, lambda: end_session(data_dir, self.session) or True):
            self.app.call_from_thread(self._ended)

    def _ended(self) -> None:
        self.devicecheck.current_session = None
        self.notify(f"Session ended at {_when(str(self.session.ended_at))} UTC.", timeout=8)

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
        casework.update(casework_markdown(self.session, self.checklists))
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
        from devicecheck.core.report import write_checked_report

        data_dir = self.devicecheck.data_dir

        def write() -> None:
            target = output
            if target is None and is_protected(data_dir.root):
                # A plaintext report kept inside a protected folder would undo the protection.
                raise DeviceCheckError(
                    "this folder is protected, so the report is not kept inside it: type where "
                    "to save it (the report itself is not encrypted)"
                )
            if target is None:
                folder = data_dir.ensure(data_dir.root / "reports")
                target = folder / f"report-{self.session.id}.{fmt}"
            written = write_checked_report(
                data_dir, self.session, fmt, target, region=self.devicecheck.region
            )
            self.post_message(ReportWritten(str(written.path), written.intact))

        guarded(self, write)

    @on(ReportWritten)
    def report_written(self, message: ReportWritten) -> None:
        if message.intact:
            self.notify(f"Report saved: {message.path}", title="Report", timeout=15)
            return
        warning = (
            "Your evidence log has been changed since it was written: it no longer checks out. "
            f"The report was saved to {message.path} and says so on every page. Keep a copy of "
            "the data folder as it is now, and tell your caseworker or the police."
        )
        self.query("#altered").remove()
        summary = self.query_one("#summary", VerticalScroll)
        summary.mount(Static(warning, id="altered", markup=False), before=0)
        summary.scroll_home(animate=False)
        self.notify(warning, title="Evidence log altered", severity="error", timeout=30)
