"""Every screen of the walkthrough, read as a person reads it: no command-line text, no jargon.

Each screen is opened under Pilot and every piece of text on it (labels, buttons, placeholders,
Markdown, table cells, list choices, the footer, notices) is checked against the words issue 12
found on screen: commands ("devicecheck scan --save"), options ("--by must be a date"),
"SHA-256 fingerprint", "confidence medium", "access denied even to root".
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from rich.console import Console
from textual.screen import Screen
from textual.widgets import (
    Button,
    Checkbox,
    DataTable,
    Input,
    Markdown,
    OptionList,
    Static,
)

from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.scan import NotExamined
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.action import ActionModal
from devicecheck.tui.components.attach import AttachScreen
from devicecheck.tui.components.caseworker import CaseworkerScreen
from devicecheck.tui.components.confirm import ConfirmScreen
from devicecheck.tui.components.consent import STEP_TITLES, ConsentScreen
from devicecheck.tui.components.cover_tracks import CoverTracksScreen
from devicecheck.tui.components.diary import DiaryScreen
from devicecheck.tui.components.entry import EntryScreen
from devicecheck.tui.components.incident import IncidentScreen
from devicecheck.tui.components.linking import SessionChoiceScreen
from devicecheck.tui.components.lock import LockScreen
from devicecheck.tui.components.phone import PhoneScreen
from devicecheck.tui.components.protect import ProtectModal
from devicecheck.tui.components.resume import ResumeScreen
from devicecheck.tui.components.scan import ScanScreen
from devicecheck.tui.components.setup import WALKTHROUGH_CONSENT, SetupScreen
from devicecheck.tui.components.summary import REPORT_CONSENT, SummaryScreen
from devicecheck.tui.components.walkthrough import EVIDENCE_CONSENT, WalkthroughScreen
from devicecheck.tui.work import guarded
from tests.conftest import wait_for
from tests.test_tui_snapshots import fixed_scan_result

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
SIZE = (80, 24)
WORKER = CaseworkerDetails("Sam Worker", "Safe Org", "C-17", ("phone",))
JARGON = {
    "a command": re.compile(
        r"\bdevicecheck (scan|log|session|report|walk|checklists|indicators|pack|protect|phone)\b"
    ),
    "an option": re.compile(r"(?<![\w-])--[a-z]"),
    "code marks": re.compile(r"`"),
    "SHA-256": re.compile(r"sha-?256", re.IGNORECASE),
    "confidence": re.compile(r"\bconfidence\b", re.IGNORECASE),
    "root": re.compile(r"(?<![\w/-])root(?![\w/-])", re.IGNORECASE),  # not in a path
    "access denied": re.compile(r"access denied", re.IGNORECASE),
    "a field name": re.compile(r"\b(process_names|exe_sha256|pid|cmdline|stdout|stdin)\b"),
    "the client's accounts": re.compile(r"the client's accounts"),
}


def static_text(widget: Static) -> str:
    """A Static's words, whether it holds text or Rich renderables (the question view)."""
    content = widget.content
    if isinstance(content, str):
        return content
    console = Console(width=100, record=True, file=io.StringIO(), color_system=None)
    console.print(content)
    return console.export_text()


def screen_texts(screen: Screen) -> list[str]:
    """Everything a person can read on `screen`."""
    texts: list[str] = []
    for widget in screen.walk_children(with_self=False):
        if isinstance(widget, Markdown):
            texts.append(widget.source)
        elif isinstance(widget, (Button, Checkbox)):
            texts.append(str(widget.label))
        elif isinstance(widget, Input):
            texts += [widget.placeholder, widget.value]
        elif isinstance(widget, OptionList):
            texts += [str(option.prompt) for option in widget.options]
        elif isinstance(widget, DataTable):
            texts += [str(column.label) for column in widget.columns.values()]
            for row in range(widget.row_count):
                texts += [str(cell) for cell in widget.get_row_at(row)]
        elif isinstance(widget, Static):
            texts.append(static_text(widget))
    texts += [binding.description for _, binding, *_ in screen.active_bindings.values()]
    return texts


def jargon_in(texts: list[str]) -> list[tuple[str, str]]:
    return [
        (name, text)
        for text in texts
        for name, pattern in JARGON.items()
        if text and pattern.search(text)
    ]


class Reader:
    """Collects the text of each screen visited, named, for one assertion at the end."""

    def __init__(self) -> None:
        self.found: list[tuple[str, str, str]] = []
        self.seen: list[str] = []

    def read(self, name: str, screen: Screen) -> None:
        self.seen.append(name)
        self.found += [(name, kind, text) for kind, text in jargon_in(screen_texts(screen))]


async def visit(pilot, reader: Reader, name: str, screen: Screen) -> None:
    app = pilot.app
    await app.push_screen(screen)
    await pilot.pause(0.2)
    reader.read(name, app.screen)
    await app.pop_screen()


def sessions(data_dir: Path):
    store = SessionStore(DataDir(data_dir))
    self_session = store.create(checklists=["sample-area"])
    self_session.record_answer("sample-devices", "yes", "an iPad")
    self_session.findings.append({**fixed_scan_result().findings[0].to_dict(), "origin": "scan"})
    store.save(self_session)
    cw = store.create(mode="caseworker", checklists=["sample-area"], caseworker=WORKER)
    cw.record_consent("walkthrough", "explained", "given", WORKER.name)
    cw.add_caseworker_note("client unsure", WORKER.name, "sample-devices")
    cw.scans.append({"finished_at": "2026-11-24T10:00:05+00:00", "finding_count": 2})
    store.save(cw)
    return self_session, cw


def not_examined_result():
    result = fixed_scan_result()
    return result._replace(
        not_examined=(
            NotExamined("other users' processes", "access denied even to root", 31),
            NotExamined("the autostart folder", "permission denied", 1),
        )
    )


async def test_no_screen_shows_command_line_text_or_jargon(data_dir: Path, tmp_path: Path) -> None:
    self_session, cw = sessions(data_dir)
    with EvidenceLog(DataDir(data_dir)) as log:
        entry = log.add_note("He was at the station")
        log.amend(entry.id, "It was the bus stop")
    checklists = load_checklists([SAMPLE]).checklists
    reader = Reader()
    app = DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE])
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        choices = app.screen.query_one("#choices")
        await wait_for(pilot, lambda: "all areas, about" in str(choices.get_option("alone").prompt))
        reader.read("welcome", app.screen)
        screens = {
            "cover your tracks": CoverTracksScreen(),
            "set-up": SetupScreen(),
            "set-up, essentials": SetupScreen(path="essentials"),
            "set-up, caseworker": SetupScreen(caseworker=WORKER),
            "caseworker details": CaseworkerScreen(),
            "resume": ResumeScreen(),
            "scan": ScanScreen(result=not_examined_result()),
            "diary": DiaryScreen(),
            "an entry": EntryScreen(entry.id),
            "incident": IncidentScreen(),
            "attach": AttachScreen(),
            "action": ActionModal(cw),
            "which session": SessionChoiceScreen(self_session, [cw]),
            "summary": SummaryScreen(self_session, checklists),
            "summary, caseworker": SummaryScreen(cw, checklists),
            "walkthrough": WalkthroughScreen(self_session, checklists),
            "walkthrough, caseworker": WalkthroughScreen(cw, checklists),
            "save a finding": ConfirmScreen("You found a concern", "text", "Save it", "Not now"),
            "phone": PhoneScreen(),
            "protect offer": ProtectModal(),
            "lock": LockScreen(),
        }
        for step, text in {
            "walkthrough": WALKTHROUGH_CONSENT,
            "evidence": EVIDENCE_CONSENT,
            "report": REPORT_CONSENT,
        }.items():
            screens[f"consent: {STEP_TITLES[step]}"] = ConsentScreen(cw, step, text)
        for name, screen in screens.items():
            await visit(pilot, reader, name, screen)
        # Problems from the core, as a worker meets them, shown as notices.
        for message in (
            "no checklist item 'x' (see `devicecheck checklists show ID`)",
            "the evidence log ends in an incomplete line; run `devicecheck log repair` first",
            "--by must be a date like 2026-12-01, not 'Tuesday'",
        ):

            def fail(message: str = message) -> None:
                raise DeviceCheckError(message)

            guarded(app.screen, fail)
        await pilot.pause(0.2)
        notices = [notification.message for notification in app._notifications]
    reader.found += [("notices", kind, text) for kind, text in jargon_in(notices)]
    assert len(reader.seen) == len(screens) + 1
    assert reader.found == [], "\n".join(f"{n} | {k} | {t[:150]!r}" for n, k, t in reader.found)
    assert len(notices) == 3 and all(notice.strip() for notice in notices)


def test_the_patterns_catch_what_issue_12_found() -> None:
    found = jargon_in(
        [
            "Record it first (run `devicecheck scan --save`)",
            "--by must be a date",
            "with its SHA-256 fingerprint",
            "(category: stalkerware; severity high; confidence medium)",
            "other users' processes: access denied even to root",
            "questions about the client's accounts",
        ]
    )
    assert {kind for kind, _ in found} == {
        "a command",
        "an option",
        "code marks",
        "SHA-256",
        "confidence",
        "root",
        "access denied",
        "the client's accounts",
    }


async def test_every_scan_finding_kind_shows_a_plain_label_and_plain_advice(
    data_dir: Path,
) -> None:
    """Each kind of finding the scan reports, as the scan screen shows it: its label (never the
    id), how sure and how serious in words, the check's own advice, and no field ids."""
    from devicecheck.core.finding_labels import kind_label
    from devicecheck.core.scan.findings import (
        KINDS,
        Match,
        access_denied_reason,
        advice_for_behaviour,
        make_behaviour_finding,
    )

    fields = ("input_devices", "ld_preload", "authorized_keys", "packet_socket", "profiles")
    findings = tuple(
        make_behaviour_finding(
            kind=kind,
            app=f"thing-{number}",
            category=("spyware", "keylogger", "remote-access", "stalkerware")[number % 4],
            severity=("high", "medium")[number % 2],
            confidence=("high", "medium", "low")[number % 3],
            matched=Match("something seen here", fields[number % len(fields)], f"value-{number}"),
            advice=advice_for_behaviour(f"Sign number {number} was seen.", "GB"),
        )
        for number, kind in enumerate(KINDS)
    )
    result = fixed_scan_result()._replace(
        findings=findings,
        not_examined=(NotExamined("environment of some processes", access_denied_reason()),),
    )
    app = DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE])
    texts: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(ScanScreen(result=result))
        await pilot.pause()
        details = app.screen.query_one("#finding", Markdown)
        for number in range(len(KINDS)):
            await wait_for(pilot, lambda n=number: f"thing-{n}" in details.source)
            texts += screen_texts(app.screen)
            await pilot.press("down")
    words = "\n".join(texts)
    for number, kind in enumerate(KINDS):
        assert f"a {kind_label(kind)}" in words, kind
        assert f"Sign number {number} was seen." in words
    for raw in ("input-capture", "traffic-capture", "remote-access", *fields):
        assert raw not in words, raw
    assert not re.search(r"\b(HIGH|MEDIUM|LOW|high|medium|low)\b", words), "raw levels shown"
    assert "How sure: possible: check it." in words
    assert "even to root" not in words and "denied" not in words.lower()
    assert not jargon_in(texts)


async def test_a_saved_scan_and_session_entries_read_in_words_in_the_diary(
    data_dir: Path,
) -> None:
    """A scan, its findings, an answer and a consent, opened from the diary: no field ids,
    no True/False, no raw kinds."""
    from devicecheck.core.scan import save_scan
    from devicecheck.core.scan.findings import Coverage
    from devicecheck.core.session_log import record_answer
    from devicecheck.tui.components.diary import entry_summary, kind_words
    from devicecheck.tui.components.entry import entry_markdown

    root = DataDir(data_dir)
    store = SessionStore(root)
    cw = store.create(mode="caseworker", caseworker=WORKER, checklists=["sample-area"])
    cw.record_consent("evidence", "explained", "given", WORKER.name)
    store.save(cw)
    result = fixed_scan_result()._replace(
        coverage=(Coverage("process_names", True, "compared with 84 running programs"),)
    )
    with EvidenceLog(root) as log:
        save_scan(result, log, session=cw, store=store)
    record_answer(root, cw, "sample-item", "no", "checked on Monday")
    with EvidenceLog(root) as log:
        log.append(
            "consent",
            {
                "step": "report",
                "explained": "x",
                "answer": "given",
                "recorded_at": "2026-11-30T09:00:00+00:00",
            },
            session=cw.id,
            author=WORKER.name,
        )
        entries = list(log.entries())
    texts = []
    for entry in entries:
        texts += [kind_words(entry.kind), entry_summary(entry), entry_markdown(entry, [])]
    words = "\n".join(texts)
    for raw in (
        "process_names",
        "kind:",
        "; used",
        "True",
        "False",
        "item_id",
        "answered_at",
        "case-note",
        "finding_count",
        "not_examined",
    ):
        assert raw not in words, raw
    assert "compared with 84 running programs" in words
    assert "answered No concern: checked on Monday" in words
    assert "given: consent to a report" in words
    assert "How sure: likely" in words.replace("**", "")
    assert not jargon_in(texts)


def test_the_summary_names_saved_findings_by_label_and_where_they_came_from(
    data_dir: Path,
) -> None:
    from devicecheck.core.helplines import region_for
    from devicecheck.tui.components.summary import summary_markdown

    session = SessionStore(DataDir(data_dir)).create(checklists=["sample-area"])
    base = fixed_scan_result().findings[0].to_dict()
    session.findings += [
        {**base, "kind": "input-capture", "app": "keysnoop", "origin": "scan"},
        {**base, "kind": "package", "app": "Watchware", "origin": "phone-scan"},
    ]
    text = summary_markdown(session, load_checklists([SAMPLE]).checklists, region_for("GB"))
    assert "keysnoop** (found by the scan of this computer: keyboard reading, likely)" in text
    assert "Watchware** (found by the phone check: app, likely)" in text
    assert "input-capture" not in text and "found by the scan, high" not in text


def test_a_phone_finding_the_check_made_itself_is_not_said_to_be_listed() -> None:
    from devicecheck.core.phone.findings import PhoneFinding
    from devicecheck.core.scan.findings import Match
    from devicecheck.tui.components.phone import finding_markdown

    def finding(source: dict[str, str]) -> PhoneFinding:
        return PhoneFinding(
            kind="access",
            app="net.fitsync.tracker",
            category="dangerous-access",
            severity="high",
            confidence="medium",
            matched=Match("accessibility", "permissions", "accessibility"),
            advice="Record it first.",
            source=source,
        )

    own = finding_markdown(
        finding({"id": "phone-access", "name": "devicecheck phone access check"})
    )
    listed = finding_markdown(finding({"id": "echap", "name": "Echap stalkerware indicators"}))
    assert "Listed by: no list; the check saw it on the phone" in own
    assert "phone access check" not in own
    assert "Listed by: Echap stalkerware indicators" in listed
    assert "How serious: serious if you did not expect it. How sure: likely." in own


async def test_the_scan_progress_names_an_extra_check_in_words(data_dir: Path) -> None:
    from devicecheck.tui.messages import ScanProgress

    app = DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE])
    async with app.run_test(size=SIZE) as pilot:
        screen = ScanScreen(result=fixed_scan_result())
        await app.push_screen(screen)
        await pilot.pause()
        screen.post_message(ScanProgress("browser_history", 1, 3))
        await pilot.pause(0.2)
        status = static_text(screen.query_one("#status", Static))
    assert "Checking browser history (1 of 3)" in status and "_" not in status
