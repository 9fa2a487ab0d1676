"""Reports from a real caseworker session: answers, a scan of a real process, incidents with
attachments, consent, notes and an action plan, rendered in all four formats by the real CLI."""

from __future__ import annotations

import getpass
import hashlib
import json
import re
import shutil
import socket
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devicecheck.core import casework
from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog, Incident
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.core.scan import AutostartRoots, run_scan, save_scan
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from tests.conftest import assert_one_line_error, run_cli

# Every test here reads the PDF back through pdftotext; .ci/run installs poppler-utils.
pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)
FORMATS = ("html", "pdf", "md", "txt")
CASEWORKER = "Ewa Zielińska"
ORGANISATION = "Safe Steps Trust"
CLIENT_REF = "CLIENT-REF-93"
PROGRAM = "stalkmon-agent"
POLISH = "Zażółć gęślą jaźń"
CHINESE = "我的手机被监控了"
RTL = "שלום עולם مرحبا بكم"
SCRIPT = "<script>alert(1)</script>"
SCREENSHOT = "screenshot-from-him.png"
BILL = "phone-bill-november.pdf"
RETIRED = "retired-item-xyz"


@dataclass(frozen=True)
class Case:
    data_dir: Path
    session_id: str
    exe: Path
    exe_sha256: str
    screenshot_sha256: str
    bill_sha256: str
    yes_title: str
    yes_severity: str
    unsure_title: str
    no_title: str
    reports: dict[str, str]  # format -> text (PDF through pdftotext)
    redacted: dict[str, str]


def _pdf_text(path: Path) -> str:
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    )
    return result.stdout


def _render_all(case_dir: Path, data_dir: Path, session_id: str, *extra: str) -> dict[str, str]:
    texts = {}
    for fmt in FORMATS:
        output = case_dir / f"report{'-redacted' if extra else ''}.{fmt}"
        result = run_cli(
            "report", session_id, "--format", fmt, "-o", str(output), *extra, data_dir=data_dir
        )
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(output.stat().st_mode) == 0o600
        texts[fmt] = _pdf_text(output) if fmt == "pdf" else output.read_text(encoding="utf-8")
    return texts


def _build_case(case_dir: Path) -> Iterator[Case]:
    data_dir = case_dir / "home"
    home = DataDir(data_dir)
    store = SessionStore(home)
    details = CaseworkerDetails(CASEWORKER, ORGANISATION, CLIENT_REF, ("Lenovo laptop",))
    session = store.create(mode="caseworker", region="GB", caseworker=details)
    for step in ("walkthrough", "scan", "evidence", "report"):
        casework.record_consent(home, session, step, f"We explained the {step} step", "given")

    items = [item for checklist in load_checklists().checklists for item in checklist.items]
    yes_item, unsure_item, no_item = items[0], items[1], items[2]
    session.record_answer(no_item.id, "no")
    session.record_answer(yes_item.id, "yes", note=POLISH)
    session.record_answer(unsure_item.id, "unsure", note="The iPad in the kitchen")
    session.record_answer(RETIRED, "yes", note="answered before the item was retired")
    store.save(session)

    program = case_dir / "bin" / PROGRAM
    program.parent.mkdir()
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", program)
    process = subprocess.Popen([str(program), "120"])
    try:
        source = SourceInfo("test", "Test indicators", "CC0", "", "", "1")
        indicator = AppIndicator(
            id="test:stalkmon",
            name="StalkMon",
            category="stalkerware",
            source="test",
            process_names=(PROGRAM,),
        )
        (case_dir / "autostart-home").mkdir()
        (case_dir / "autostart-root").mkdir()
        roots = AutostartRoots(case_dir / "autostart-home", case_dir / "autostart-root")
        result = run_scan(IndicatorSet((source,), (indicator,)), autostart_roots=roots)
    finally:
        process.kill()
        process.wait(timeout=10)
    log = EvidenceLog(home)
    save_scan(result, log, session=session, store=store, author=CASEWORKER)
    assert any(f.app == "StalkMon" for f in result.findings)

    screenshot = case_dir / SCREENSHOT
    screenshot.write_bytes(b"\x89PNG pretend screenshot of a message")
    bill = case_dir / BILL
    bill.write_bytes(b"%PDF pretend phone bill")
    later = log.add_incident(
        Incident(
            what="He sent a photo of my car outside work",
            when="2026-11-20T21:15:00+00:00",
            how="text",
            who="ex-partner",
            impact="Frightened to drive to work",
        ),
        attachments=[screenshot],
        session=session.id,
        author=CASEWORKER,
    )
    log.add_incident(
        Incident(what="He knew where I had lunch", when="2026-11-01T08:00:00+00:00"),
        session=session.id,
    )
    log.amend(later.id, "The photo arrived at 21:45, not 21:15")
    log.attach(bill, note="Shows an unknown second SIM", session=session.id)
    log.add_note("Told my sister about the car photo", session=session.id)

    casework.record_consent(home, session, "report", "A copy for your solicitor", "given")
    casework.add_note(home, session, SCRIPT)
    casework.add_note(home, session, CHINESE)
    casework.add_note(home, session, RTL, item_id=yes_item.id)
    casework.add_note(home, session, f"Client ref {CLIENT_REF} confirmed with {CASEWORKER}")
    casework.add_action(
        home,
        session,
        "Turn off location sharing with him",
        "client",
        "2026-12-01",
        "He may notice: screenshot the sharing first",
    )

    reports = _render_all(case_dir, data_dir, session.id)
    redacted = _render_all(case_dir, data_dir, session.id, "--redact")
    yield Case(
        data_dir=data_dir,
        session_id=session.id,
        exe=program,
        exe_sha256=hashlib.sha256(program.read_bytes()).hexdigest(),
        screenshot_sha256=hashlib.sha256(screenshot.read_bytes()).hexdigest(),
        bill_sha256=hashlib.sha256(bill.read_bytes()).hexdigest(),
        yes_title=yes_item.title,
        yes_severity=yes_item.severity,
        unsure_title=unsure_item.title,
        no_title=no_item.title,
        reports=reports,
        redacted=redacted,
    )


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    yield from _build_case(tmp_path_factory.mktemp("report-case"))


def _flat(text: str) -> str:
    """Text with runs of whitespace as one space (PDF lines wrap where they like)."""
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_whole_case(case: Case, fmt: str) -> None:
    text = case.reports[fmt]
    flat = _flat(text)
    for expected in (
        case.session_id,
        ORGANISATION,
        CASEWORKER,
        CLIENT_REF,
        "StalkMon",
        PROGRAM,
        case.exe_sha256,
        "0808 802 0300",  # the GB National Stalking Helpline
        "What these checks cannot rule out",
        "Stalkerware indicators by Echap, https://github.com/AssoEchap/stalkerware-indicators, "
        "CC BY 4.0",
        "devicecheck log verify",
        case.screenshot_sha256,
        case.bill_sha256,
        "The photo arrived at 21:45, not 21:15",
        "Told my sister about the car photo",
        "Turn off location sharing with him",
        "He may notice: screenshot the sharing first",
        "2026-12-01",
        "We explained the scan step",
        RETIRED,
        POLISH,
        CHINESE,
    ):
        assert _flat(expected) in flat, (fmt, expected)
    # Found first, then not sure, then the rest; incidents in the order they happened.
    assert flat.index(case.yes_title) < flat.index(case.unsure_title) < flat.index(case.no_title)
    assert flat.index("He knew where I had lunch") < flat.index("He sent a photo of my car")
    # Concerns by severity: the "yes" answer at its item's severity, the scan's finding, and
    # the answer to the retired item under "Unknown".
    from_list = 1 if case.yes_severity == "high" else 0
    assert f"High: {1 + from_list} ({from_list} from the checklists, 1 from the scan)" in flat
    assert "Unknown: 1 (1 from the checklists, 0 from the scan)" in flat


def test_head_hash_in_every_report_is_what_log_verify_reports(case: Case) -> None:
    verified = run_cli("log", "verify", "--json", data_dir=case.data_dir)
    assert verified.returncode == 0, verified.stderr
    document = json.loads(verified.stdout)
    assert document["ok"] is True
    head = document["head_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", head)
    for fmt in FORMATS:
        flat = _flat(re.sub(r"<[^>]+>", " ", case.reports[fmt]))  # HTML as its visible text
        assert re.search(rf"Head hash:?\W*{head}", flat), fmt
        assert re.search(rf"Entries:?\W*{document['entries']}\b", flat), fmt
        assert "Intact." in flat


def test_html_escapes_user_text_and_fetches_nothing(case: Case) -> None:
    page = case.reports["html"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    for attribute in re.findall(r"\bsrc\s*=\s*[\"']?([^\"'\s>]*)", page, re.IGNORECASE):
        assert "http" not in attribute.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page.lower()
    assert "url(" not in page.lower()
    assert "<iframe" not in page.lower() and "<img" not in page.lower()
    assert "@page" in page and "@media print" in page and "break-inside: avoid" in page


def test_markdown_and_text_keep_user_text_from_becoming_markup(case: Case) -> None:
    assert r"\<script\>alert(1)\</script\>" in case.reports["md"]
    assert SCRIPT in case.reports["txt"]


def test_pdf_has_page_numbers_and_embedded_fonts(case: Case) -> None:
    text = case.reports["pdf"]
    pages = re.findall(r"page (\d+) of (\d+)", text)
    assert pages and pages[0] == ("1", pages[0][1])
    assert all(total == pages[0][1] for _, total in pages)
    assert len(pages) == int(pages[0][1])
    fonts = subprocess.run(
        ["pdffonts", str(case.data_dir.parent / "report.pdf")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "DejaVuSans" in fonts and "DroidSansFallback" in fonts
    assert " no " not in fonts.split("\n", 2)[2]  # every font embedded


def _redacted_values(case: Case) -> list[str]:
    return [
        CLIENT_REF,
        CASEWORKER,
        str(case.exe),
        str(case.exe.parent),
        SCREENSHOT,
        BILL,
    ]


@pytest.mark.parametrize("fmt", FORMATS)
def test_redacted_reports_leave_out_people_machines_and_paths(case: Case, fmt: str) -> None:
    text = case.redacted[fmt]
    flat = _flat(text)
    for value in _redacted_values(case):
        assert value not in text and _flat(value) not in flat, (fmt, value)
    for name in {getpass.getuser(), socket.gethostname()}:
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (fmt, name)
    # What stays: the organisation, the evidence and the fingerprints.
    for kept in (ORGANISATION, "StalkMon", case.exe_sha256, case.screenshot_sha256, POLISH):
        assert _flat(kept) in flat, (fmt, kept)
    assert "Redacted copy" in flat


def test_report_needs_one_session_and_a_real_folder(case: Case, tmp_path: Path) -> None:
    neither = run_cli("report", "--format", "txt", "-o", str(tmp_path / "r.txt"))
    assert_one_line_error(neither, 2)
    missing = tmp_path / "no-such-folder" / "r.txt"
    result = run_cli(
        "report", case.session_id, "--format", "txt", "-o", str(missing), data_dir=case.data_dir
    )
    assert_one_line_error(result, 2)
    assert "does not exist" in result.stderr
    latest = run_cli(
        "report", "--latest", "--format", "md", "-o", str(tmp_path / "r.md"), data_dir=case.data_dir
    )
    assert latest.returncode == 0, latest.stderr
    assert case.session_id in (tmp_path / "r.md").read_text(encoding="utf-8")


def test_consent_changes_are_on_the_evidence_record(case: Case) -> None:
    log = EvidenceLog(DataDir(case.data_dir))
    consent_notes = [e for e in log.entries(kind="note") if "consent" in e.data]
    # Consent recorded before the scan created the log stays in the session file only; the
    # consent recorded afterwards is also an entry, attributed to the caseworker.
    assert [(e.data["consent"]["step"], e.data["consent"]["explained"]) for e in consent_notes] == [
        ("report", "A copy for your solicitor")
    ]
    assert consent_notes[0].author == CASEWORKER
    assert consent_notes[0].session == case.session_id
    assert "Consent for producing a report: given" in consent_notes[0].data["text"]
