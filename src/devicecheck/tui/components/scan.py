"""Scan this computer: progress while it runs, findings in a table, details, save to evidence."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Markdown, ProgressBar, Static

from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import EvidenceSaved, ScanFinished, ScanProgress
from devicecheck.tui.work import ProgressRelay, guarded, plain_message

if TYPE_CHECKING:
    from devicecheck.core.scan import Finding, ScanResult
    from devicecheck.core.sessions import Session

STAGE_WORDS = {
    "processes": "Looking at running programs",
    "connections": "Looking at network connections",
    "autostart": "Looking at what starts with the computer",
}
SCAN_CONSENT = (
    "We will look at the programs running on this computer, its network connections and what "
    "starts with it, and compare them with lists of known monitoring software. This only "
    "reads: it changes nothing, removes nothing and sends nothing anywhere."
)
EVIDENCE_CONSENT = (
    "The scan and what it found will be written to the evidence log on this computer: a "
    "permanent, dated record that cannot be changed afterwards. Nothing is sent anywhere."
)
CAUTION = (
    "**Caution:** before you stop, uninstall or block anything, the other person may notice. "
    "Save this to the evidence log first, and talk to a helpline about a safe time to act."
)
HOW_SURE = {"high": "very likely", "medium": "likely", "low": "possible: check it"}
WHAT_IT_IS = {
    "stalkerware": "an app made to spy on a person",
    "spyware": "spying software",
    "keylogger": "software that records what you type",
    "remote-access": "software that lets someone use this computer from elsewhere",
    "parental-control": "parental-control software",
    "employee-monitoring": "workplace monitoring software",
}
MATCHED_AS = {
    "process_names": "a running program called",
    "processes": "a running program called",
    "ports": "a program waiting for connections on port",
    "domains": "a connection to",
    "ips": "a connection to",
    "paths": "a file at",
    "autostart": "something that starts with the computer:",
    "packages": "an app called",
}
_ACCESS_DENIED = re.compile(r"(access|permission) denied( even to root)?", re.IGNORECASE)


def matched_words(finding: Finding) -> str:
    lead = MATCHED_AS.get(finding.matched.field, "a match on")
    return f"{lead} {finding.matched.value}"


def plain_reason(reason: str) -> str:
    """Why something was not examined, without system words."""
    reason = _ACCESS_DENIED.sub("this computer did not let devicecheck look", reason)
    return plain_message(reason.replace("root", "an administrator"))


def finding_markdown(finding: Finding) -> str:
    kind = "may be used to watch you" if finding.dual_use else "is known monitoring software"
    what = WHAT_IT_IS.get(finding.category, finding.category)
    sure = HOW_SURE.get(finding.confidence, finding.confidence)
    lines = [
        f"### {finding.app}",
        "",
        f"{finding.app} {kind}: {what}. How serious: {finding.severity}. How sure: {sure}.",
        "",
        f"- Found as: {matched_words(finding)}",
        f"- Listed by: {finding.source.get('name', finding.source.get('id', '-'))}",
    ]
    process = finding.process
    if process is not None:
        lines.append(f"- Program: {process.name} (running as number {process.pid})")
        if process.exe:
            lines.append(f"- File: {process.exe}")
    lines += ["", plain_message(finding.advice), "", CAUTION]
    return "\n".join(lines)


def limits_markdown(result: ScanResult) -> str:
    lines = []
    if result.not_examined:
        lines += ["### Not examined", ""]
        for item in result.not_examined:
            count = f" ({item.count})" if item.count > 1 else ""
            lines.append(f"- {item.what}{count}: {plain_reason(item.reason)}")
        lines.append("")
    lines += ["### What this scan cannot rule out", ""]
    lines += [f"- {limit}" for limit in result.limits]
    return "\n".join(lines)


class ScanScreen(BaseScreen):
    CSS_PATH = "scan.tcss"
    BINDINGS = (
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+s", "save", "Save to evidence log"),
    )

    def __init__(self, result: ScanResult | None = None, session: Session | None = None) -> None:
        super().__init__()
        self.result = result
        self.session = session
        self.saved = False

    def compose_body(self) -> ComposeResult:
        yield Static("Scan of this computer", classes="title")
        yield Static("Getting ready...", id="status", markup=False)
        yield ProgressBar(id="scan-bar", show_eta=False)
        table: DataTable[str] = DataTable(id="findings", cursor_type="row", zebra_stripes=True)
        table.add_columns("How serious", "How sure", "Software", "Found as")
        yield table
        with VerticalScroll(id="details"):
            yield Markdown(id="finding")
            yield Markdown(id="limits")
        with Horizontal(classes="buttons", id="actions"):
            yield Button("Save to evidence log (Ctrl+S)", id="save", disabled=True, compact=True)
            yield Button("Back (Esc)", id="back", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        if self.result is not None:
            self.show_result(self.result)
            return
        from devicecheck.tui.components.consent import with_consent

        with_consent(self, self.session, "scan", SCAN_CONSENT, self.start_scan)

    def start_scan(self) -> None:
        self.query_one("#status", Static).update("Starting the scan...")
        self.scan()

    @work(thread=True, exit_on_error=False, group="scan", exclusive=True)
    def scan(self) -> None:
        def run() -> None:
            from devicecheck.core.scan import run_scan

            indicators = self.devicecheck.indicators
            if indicators is None:
                from devicecheck.core.indicators import load_indicators

                indicators = load_indicators(self.devicecheck.data_dir)
            result = run_scan(
                indicators,
                ProgressRelay(self),
                region=self.devicecheck.region.code,
                data_dir=self.devicecheck.data_dir,
            )
            self.post_message(ScanFinished(result))

        guarded(self, run)

    @on(ScanProgress)
    def progress(self, message: ScanProgress) -> None:
        words = STAGE_WORDS.get(message.stage, message.stage)
        self.query_one("#status", Static).update(f"{words} ({message.done} of {message.total})")
        self.query_one("#scan-bar", ProgressBar).update(total=message.total, progress=message.done)

    @on(ScanFinished)
    def finished(self, message: ScanFinished) -> None:
        self.result = message.result
        self.show_result(message.result)

    def show_result(self, result: ScanResult) -> None:
        self.query_one("#scan-bar", ProgressBar).display = False
        count = len(result.findings)
        if count:
            status = (
                f"Found {count} thing{'s' if count != 1 else ''} to look at. Nothing was changed."
            )
        else:
            status = (
                "No known monitoring software was found. That does not prove there is none: "
                "see below."
            )
        self.query_one("#status", Static).update(status)
        table = self.query_one("#findings", DataTable)
        table.clear()
        table.display = bool(count)
        for number, finding in enumerate(result.findings):
            table.add_row(
                finding.severity.upper(),
                HOW_SURE.get(finding.confidence, finding.confidence),
                finding.app,
                matched_words(finding),
                key=str(number),
            )
        self.query_one("#limits", Markdown).update(limits_markdown(result))
        self.query_one("#save", Button).disabled = False
        if count:
            self.query_one("#finding", Markdown).update(finding_markdown(result.findings[0]))
            table.focus()
        else:
            self.query_one("#save", Button).focus()

    @on(DataTable.RowHighlighted, "#findings")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.result is None or event.row_key.value is None:
            return
        finding = self.result.findings[int(event.row_key.value)]
        self.query_one("#finding", Markdown).update(finding_markdown(finding))

    @on(Button.Pressed, "#back")
    def go_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.result is None or self.saved:
            return
        from devicecheck.tui.components.confirm import confirm_write
        from devicecheck.tui.components.consent import with_consent
        from devicecheck.tui.components.linking import choose_session

        count = len(self.result.findings)
        confirm_write(
            self,
            f"This scan and the {count} thing{'s' if count != 1 else ''} it found.",
            lambda: with_consent(
                self,
                self.session,
                "evidence",
                EVIDENCE_CONSENT,
                lambda: choose_session(self, self.save),
            ),
        )

    @work(thread=True, exit_on_error=False, group="evidence", exclusive=True)
    def save(self, session_id: str | None) -> None:
        result = self.result

        def write() -> None:
            from devicecheck.core.evidence import EvidenceLog
            from devicecheck.core.scan import save_scan

            data_dir = self.devicecheck.data_dir
            session = self.session
            if session_id is None:
                session = None
            elif session is None or session.id != session_id:
                session = self.devicecheck.store.load(session_id)
            store: Any = self.devicecheck.store if session is not None else None
            with EvidenceLog(data_dir) as log:
                entry = save_scan(result, log, session=session, store=store)
            self.post_message(EvidenceSaved("The scan was saved to your evidence log.", entry.id))

        guarded(self, write)

    @on(EvidenceSaved)
    def evidence_saved(self, message: EvidenceSaved) -> None:
        self.saved = True
        self.query_one("#save", Button).disabled = True
        self.query_one("#status", Static).update(message.what)
        self.notify(message.what, timeout=6)
