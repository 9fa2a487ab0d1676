"""What the computer scan and the phone check share: the findings table and its details, and
saving the result to the evidence log (asked first, then linked to a session if the person
chooses). Each screen says what it found in its own words; this module says how sure and how
serious, and does the saving."""

from __future__ import annotations

import re
from typing import Any

from textual import on, work
from textual.binding import Binding
from textual.widgets import Button, DataTable, Markdown, Static

from devicecheck.core.finding_labels import HOW_SERIOUS, HOW_SERIOUS_IN_FULL, HOW_SURE
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import EvidenceSaved
from devicecheck.tui.work import guarded, plain_message

# What a finding's category means, in words (the phone screen says "app" and "phone").
WHAT_IT_IS = {
    "stalkerware": "an app made to spy on a person",
    "spyware": "spying software",
    "keylogger": "software that records what you type",
    "remote-access": "software that lets someone use this computer from elsewhere",
    "parental-control": "parental-control software",
    "employee-monitoring": "workplace monitoring software",
}


_ACCESS_DENIED = re.compile(r"(access|permission) denied( even to root)?", re.IGNORECASE)


def plain_reason(reason: str) -> str:
    """Why something was not examined, without system words."""
    reason = _ACCESS_DENIED.sub("this computer did not let devicecheck look", reason)
    return plain_message(reason.replace("root", "an administrator"))


def limits_markdown(result: Any, not_read: str, cannot_see: str) -> str:
    """What a scan or phone check could not read (headed `not_read`) and what it cannot rule
    out (headed `cannot_see`)."""
    lines = []
    if result.not_examined:
        lines += [f"### {not_read}", ""]
        for item in result.not_examined:
            count = f" ({item.count})" if getattr(item, "count", 1) > 1 else ""
            lines.append(f"- {item.what}{count}: {plain_reason(item.reason)}")
        lines.append("")
    lines += [f"### {cannot_see}", ""]
    lines += [f"- {limit}" for limit in result.limits]
    return "\n".join(lines)


def how_sure(confidence: str) -> str:
    return HOW_SURE.get(confidence, "not sure")


def how_serious(severity: str, *, in_full: bool = False) -> str:
    words = HOW_SERIOUS_IN_FULL if in_full else HOW_SERIOUS
    return words.get(severity, "worth checking")


def things(count: int) -> str:
    return f"{count} thing{'s' if count != 1 else ''}"


class FindingsScreen(BaseScreen):
    """A screen with a `#findings` table, a `#finding` details pane, a `#status` line and a
    `#save` button. Subclasses give the words (`finding_markdown`, `finding_row`,
    `SAVE_WHAT`, `EVIDENCE_CONSENT`, `SAVED_WORDS`) and `save_to_log`."""

    BINDINGS = (
        Binding("escape", "app.pop_screen", "Back"),
        Binding("ctrl+s", "save", "Save to evidence log"),
    )
    SAVE_WHAT = "This check"  # "... and the N things it found."
    EVIDENCE_CONSENT = ""
    SAVED_WORDS = "It was saved to your evidence log."

    result: Any = None
    session: Any = None
    saved = False

    def finding_markdown(self, finding: Any) -> str:
        raise NotImplementedError

    def finding_row(self, finding: Any) -> tuple[str, ...]:
        raise NotImplementedError

    def save_to_log(self, result: Any, log: Any, session: Any, store: Any) -> Any:
        """Write `result` to `log`; return the scan's entry."""
        raise NotImplementedError

    def show_findings(self, findings: tuple[Any, ...]) -> None:
        """Fill the table and the details of the first finding (or focus Save when none)."""
        table = self.query_one("#findings", DataTable)
        table.clear()
        table.display = bool(findings)
        for number, finding in enumerate(findings):
            table.add_row(*self.finding_row(finding), key=str(number))
        self.query_one("#save", Button).disabled = False
        if findings:
            self.query_one("#finding", Markdown).update(self.finding_markdown(findings[0]))
            table.focus()
        else:
            self.query_one("#save", Button).focus()

    @on(DataTable.RowHighlighted, "#findings")
    def highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.result is None or event.row_key.value is None:
            return
        finding = self.result.findings[int(event.row_key.value)]
        self.query_one("#finding", Markdown).update(self.finding_markdown(finding))

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
        found = f"and the {things(count)} it found" if count else "(it found nothing)"
        confirm_write(
            self,
            f"{self.SAVE_WHAT} {found}.",
            lambda: with_consent(
                self,
                self.session,
                "evidence",
                self.EVIDENCE_CONSENT,
                lambda: choose_session(self, self.save),
            ),
        )

    @work(thread=True, exit_on_error=False, group="evidence", exclusive=True)
    def save(self, session_id: str | None) -> None:
        result = self.result

        def write() -> None:
            from devicecheck.core.evidence import EvidenceLog

            session = self.session
            if session_id is None:
                session = None
            elif session is None or session.id != session_id:
                session = self.devicecheck.store.load(session_id)
            store: Any = self.devicecheck.store if session is not None else None
            with EvidenceLog(self.devicecheck.data_dir) as log:
                entry = self.save_to_log(result, log, session, store)
            self.post_message(EvidenceSaved(self.SAVED_WORDS, entry.id))

        guarded(self, write)

    @on(EvidenceSaved)
    def evidence_saved(self, message: EvidenceSaved) -> None:
        self.saved = True
        self.query_one("#save", Button).disabled = True
        self.query_one("#status", Static).update(message.what)
        self.notify(message.what, timeout=6)
