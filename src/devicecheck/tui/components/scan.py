"""Scan this computer: progress while it runs, findings in a table, details, save to evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, DataTable, Footer, Markdown, ProgressBar, Static

from devicecheck.core.finding_labels import category_label, kind_label
from devicecheck.tui.components.findings import (
    WHAT_IT_IS,
    FindingsScreen,
    how_serious,
    how_sure,
    limits_markdown,
    things,
)
from devicecheck.tui.messages import ScanFinished, ScanProgress
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
# How a listed product was matched, by the indicator field it matched on.
MATCHED_AS = {
    "process_names": "a running program called",
    "processes": "a running program called",
    "exe_paths": "a program file at",
    "cmdline_patterns": "a program started with",
    "autostart_names": "something that starts with the computer:",
    "ports": "a program waiting for connections on port",
    "domains": "a connection to",
    "ips": "a connection to",
    "paths": "a file at",
    "autostart": "something that starts with the computer:",
    "packages": "an app called",
    "extension_id": "a browser extension with the id",
}


def is_sign(finding: Finding) -> bool:
    """A sign this scan saw itself (a program reading the keyboard...), not a list entry."""
    return finding.source.get("id") == "behaviour"


def matched_words(finding: Finding) -> str:
    matched = finding.matched
    if is_sign(finding):
        return f"{matched.indicator}: {matched.value}" if matched.indicator else matched.value
    lead = MATCHED_AS.get(matched.field, "a match on")
    return f"{lead} {matched.value}"


def finding_markdown(finding: Finding) -> str:
    what = WHAT_IT_IS.get(finding.category, category_label(finding.category))
    how = (
        f"How serious: {how_serious(finding.severity, in_full=True)}. "
        f"How sure: {how_sure(finding.confidence)}."
    )
    if is_sign(finding):
        about = f"Seen on this computer: a {kind_label(finding.kind)}. It may be {what}. {how}"
        listed = "- Listed by: no list; this scan saw it on this computer"
    else:
        kind = "may be used to watch you" if finding.dual_use else "is known monitoring software"
        about = f"{finding.app} {kind}: {what}. {how}"
        listed = f"- Listed by: {finding.source.get('name') or finding.source.get('id', '-')}"
    lines = [f"### {finding.app}", "", about, "", f"- Found as: {matched_words(finding)}", listed]
    process = finding.process
    if process is not None:
        lines.append(f"- Program: {process.name} (running as number {process.pid})")
        if process.exe:
            lines.append(f"- File: {process.exe}")
    if finding.detail.get("location"):
        lines.append(f"- Where: {finding.detail['location']}")
    lines += ["", plain_message(finding.advice), "", CAUTION]
    return "\n".join(lines)


class ScanScreen(FindingsScreen):
    CSS_PATH = "scan.tcss"
    SAVE_WHAT = "This scan"
    EVIDENCE_CONSENT = EVIDENCE_CONSENT
    SAVED_WORDS = "The scan was saved to your evidence log."

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
        table.add_columns("How serious", "How sure", "What", "Found as")
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
        # An extra check (core.scan.checks) is named after its function: "browser_history".
        words = STAGE_WORDS.get(message.stage) or f"Checking {message.stage.replace('_', ' ')}"
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
            status = f"Found {things(count)} to look at. Nothing was changed."
        else:
            status = (
                "No known monitoring software was found. That does not prove there is none: "
                "see below."
            )
        self.query_one("#status", Static).update(status)
        self.query_one("#limits", Markdown).update(
            limits_markdown(result, "Not examined", "What this scan cannot rule out")
        )
        self.show_findings(result.findings)

    def finding_markdown(self, finding: Finding) -> str:
        return finding_markdown(finding)

    def finding_row(self, finding: Finding) -> tuple[str, ...]:
        return (
            how_serious(finding.severity),
            how_sure(finding.confidence),
            finding.app,
            matched_words(finding),
        )

    def save_to_log(self, result: ScanResult, log: Any, session: Any, store: Any) -> Any:
        from devicecheck.core.scan import save_scan

        return save_scan(result, log, session=session, store=store)
