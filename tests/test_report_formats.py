"""Reports from a real caseworker case, rendered in all four formats by the real CLI: scope (one
client's evidence only), redaction by field, integrity first, the police-diary layout, the scan
section, rendering (emoji, right-to-left text, images) and the evidence in the chain."""

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
from PIL import Image

from devicecheck.core import casework
from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog, Incident
from devicecheck.core.indicators.model import AppIndicator
from devicecheck.core.report.redaction import SYSTEM_ACCOUNTS
from devicecheck.core.scan import AutostartRoots, run_scan, save_scan
from devicecheck.core.session_log import record_answer
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from tests.conftest import assert_one_line_error, run_cli
from tests.indicator_sets import indicator_set

# Every test here reads the PDF back through pdftotext; .ci/run installs poppler-utils.
pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)
FORMATS = ("html", "pdf", "md", "txt")
CASEWORKER = "Margaret Okonkwo-Reyes"
ORGANISATION = "Safe Steps Trust"
CLIENT_REF = "SS-2024-00917"
REF_SPELLINGS = ("SS-2024-00917", "SS 2024 00917", "ss-2024-00917", "SS2024/00917", "ss 202400917")
PROGRAM = "stalkmon-agent"
POLISH = "Zażółć gęślą jaźń"
CHINESE = "我的手机被监控了"
HEBREW_ARABIC = "שלום עולם مرحبا بكم"
EMOJI = "He left a pin 📍 on the map"
SCRIPT = "<script>alert(1)</script>"
FRONT_DOOR = "He posted a photo of my front door"
OTHER_CLIENT = "Client B: he followed me to the bus stop"
PHOTO = "photo"  # an attachment name that is also an ordinary word
SCREENSHOT = "IMG_2041.png"
BILL = "phone-bill-november.pdf"


@dataclass(frozen=True)
class Case:
    case_dir: Path
    data_dir: Path
    session_id: str
    exe: Path
    exe_sha256: str
    photo_sha256: str
    bill_sha256: str
    yes_title: str
    unsure_title: str
    no_title: str
    reports: dict[str, str]  # format -> text (PDF through pdftotext -layout)
    redacted: dict[str, str]


def pdf_text(path: Path, *pages: int) -> str:
    first_last = ["-f", str(pages[0]), "-l", str(pages[-1])] if pages else []
    result = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", *first_last, str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout


def _visible(path: Path, fmt: str) -> str:
    if fmt == "pdf":
        return pdf_text(path)
    text = path.read_text(encoding="utf-8")
    if fmt == "html":
        import html

        text = html.unescape(
            re.sub(r"<[^>]+>", " ", re.sub(r"<style>.*?</style>", "", text, flags=re.S))
        )
    return text


def render_all(
    case_dir: Path, data_dir: Path, session_id: str, *extra: str, tag: str = ""
) -> dict[str, str]:
    texts = {}
    for fmt in FORMATS:
        output = case_dir / f"report{tag}.{fmt}"
        result = run_cli(
            "report", session_id, "--format", fmt, "-o", str(output), *extra, data_dir=data_dir
        )
        assert result.returncode == 0, result.stderr
        assert stat.S_IMODE(output.stat().st_mode) == 0o600
        texts[fmt] = _visible(output, fmt)
    return texts


def _png(path: Path, colour: tuple[int, int, int]) -> Path:
    Image.new("RGB", (640, 480), colour).save(path, "PNG")
    return path


def _build_case(case_dir: Path) -> Iterator[Case]:
    data_dir = case_dir / "home"
    home = DataDir(data_dir)
    store = SessionStore(home)
    details = CaseworkerDetails(CASEWORKER, ORGANISATION, CLIENT_REF, ("Lenovo laptop",))
    session = store.create(mode="caseworker", region="GB", caseworker=details)
    for step in ("walkthrough", "scan", "evidence", "report"):
        casework.record_consent(home, session, step, f"We explained the {step} step", "given")
    other = store.create(
        mode="caseworker",
        region="GB",
        caseworker=CaseworkerDetails(CASEWORKER, ORGANISATION, "B-1"),
    )

    items = [item for checklist in load_checklists().checklists for item in checklist.items]
    yes_item, unsure_item, no_item = items[0], items[1], items[2]
    record_answer(home, session, no_item.id, "no")
    record_answer(home, session, yes_item.id, "yes", note=f"{POLISH}; Margaret saw it too")
    record_answer(home, session, unsure_item.id, "unsure", note="The iPad in the kitchen")

    program = case_dir / "bin" / PROGRAM
    program.parent.mkdir()
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", program)
    process = subprocess.Popen([str(program), "120"])
    try:
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
        result = run_scan(indicator_set(indicator), autostart_roots=roots)
    finally:
        process.kill()
        process.wait(timeout=10)
    log = EvidenceLog(home)
    save_scan(result, log, session=session, store=store, author=CASEWORKER)
    assert any(f.app == "StalkMon" for f in result.findings)

    photo = _png(case_dir / PHOTO, (200, 30, 30))
    screenshot = _png(case_dir / SCREENSHOT, (30, 30, 200))
    bill = case_dir / BILL
    bill.write_bytes(b"%PDF pretend phone bill")
    later = log.add_incident(
        Incident(
            what=f"{FRONT_DOOR}. Okonkwo-Reyes told me to screenshot it.",
            when="2026-11-21T09:15:00+00:00",
            where="Home",
            how="social-media",
            who="ex-partner",
            witnesses="Jane Doe",
            impact="Frightened to open the door",
            police_ref="CAD 4411",
        ),
        attachments=[photo, screenshot],
        session=session.id,
        author=CASEWORKER,
    )
    log.add_incident(
        Incident(what=f"He knew where I had lunch. {EMOJI}", when="2026-11-01T08:00:00+00:00"),
        session=session.id,
    )
    log.amend(later.id, "The photo was posted at 09:45, not 09:15", author=CASEWORKER)
    log.attach(bill, note="Shows an unknown second SIM", session=session.id)
    log.add_note(
        f"Ref SS 2024 00917 and ss-2024-00917; call 07700 900123 or mail jo@example.org. "
        f"{HEBREW_ARABIC}",
        session=session.id,
    )
    log.add_incident(Incident(what=OTHER_CLIENT, when="2026-11-10T10:00:00+00:00"))  # no session
    log.add_note("client B's note, recorded without a session")
    assert other.id

    casework.add_note(home, session, SCRIPT)
    casework.add_note(home, session, CHINESE)
    casework.add_note(home, session, f"Client ref {CLIENT_REF} confirmed with Okonkwo")
    casework.add_action(
        home,
        session,
        "Turn off location sharing with him",
        "Margaret",
        "2026-12-01",
        "He may notice: screenshot the sharing first",
    )

    reports = render_all(case_dir, data_dir, session.id)
    redacted = render_all(case_dir, data_dir, session.id, "--redact", tag="-redacted")
    yield Case(
        case_dir=case_dir,
        data_dir=data_dir,
        session_id=session.id,
        exe=program,
        exe_sha256=hashlib.sha256(program.read_bytes()).hexdigest(),
        photo_sha256=hashlib.sha256(photo.read_bytes()).hexdigest(),
        bill_sha256=hashlib.sha256(bill.read_bytes()).hexdigest(),
        yes_title=yes_item.title,
        unsure_title=unsure_item.title,
        no_title=no_item.title,
        reports=reports,
        redacted=redacted,
    )


@pytest.fixture(scope="module")
def case(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Case]:
    yield from _build_case(tmp_path_factory.mktemp("report-case"))


def flat(text: str) -> str:
    """Text with runs of whitespace as one space (PDF lines wrap where they like)."""
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_whole_case(case: Case, fmt: str) -> None:
    text = flat(case.reports[fmt])
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
        case.photo_sha256,
        case.bill_sha256,
        "The photo was posted at 09:45, not 09:15",
        "Turn off location sharing with him",
        "We explained the scan step",
        "Statement of truth",
        "CAD 4411",
        POLISH,
        CHINESE,
        FRONT_DOOR,
    ):
        assert flat(expected) in text, (fmt, expected)
    # Found first, then not sure, then the rest.
    assert text.index(case.yes_title) < text.index(case.unsure_title) < text.index(case.no_title)


@pytest.mark.parametrize("fmt", FORMATS)
def test_police_diary_numbers_incidents_and_tables_them_first(case: Case, fmt: str) -> None:
    text = flat(case.reports[fmt])
    # The incident of 21 November 2026 was a Saturday; dates are written as people write them.
    assert "Saturday 21 November 2026, 09:15" in text
    assert "Sunday 1 November 2026, 08:00" in text
    table = text.index("Incidents at a glance")
    full = text.index("Incidents in full")
    assert table < text.index("Saturday 21") < full  # a PDF table cell wraps the date
    assert text.index("Incident 1: He knew where I had lunch") < text.index("Incident 2: He posted")
    for column in ("When", "Where", "What happened", "How", "Witnesses", "Evidence", "Reported to"):
        assert column in text[table:full], (fmt, column)
    assert "police, ref CAD 4411" in text
    # No internal ids: no ISO stamps, no item ids or checklist ids, no indicator field names.
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), fmt
    for item in load_checklists().checklists:
        assert f"{item.id}/" not in text
    assert "process_names" not in text


def test_client_b_unsessioned_evidence_stays_out_unless_asked(case: Case, tmp_path: Path) -> None:
    for fmt in FORMATS:
        assert OTHER_CLIENT not in flat(case.reports[fmt]), fmt
        assert "client B's note" not in flat(case.reports[fmt]), fmt
        assert OTHER_CLIENT not in flat(case.redacted[fmt]), fmt
    output = tmp_path / "wide.txt"
    result = run_cli(
        "report",
        case.session_id,
        "--format",
        "txt",
        "-o",
        str(output),
        "--include-unsessioned",
        data_dir=case.data_dir,
    )
    assert result.returncode == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    assert OTHER_CLIENT in text
    page_one = "\n".join(text.splitlines()[:12])
    assert "recorded outside any session" in page_one


def test_log_add_without_session_warns_when_several_clients_share_the_folder(
    case: Case, tmp_path: Path
) -> None:
    shared = tmp_path / "home"
    shutil.copytree(case.data_dir, shared)
    result = run_cli("log", "add-note", "which client is this?", data_dir=shared)
    assert result.returncode == 0, result.stderr
    assert "caseworker sessions" in result.stderr and "--session" in result.stderr


def _name_parts() -> list[str]:
    return ["Margaret", "Okonkwo", "Reyes", CASEWORKER]


@pytest.mark.parametrize("fmt", FORMATS)
def test_redaction_leaves_no_name_part_or_ref_spelling_and_keeps_ordinary_words(
    case: Case, fmt: str
) -> None:
    text = case.redacted[fmt]
    joined = flat(text)
    for part in _name_parts():
        assert not re.search(rf"(?i)(?<!\w){re.escape(part)}(?!\w)", joined), (fmt, part)
    squeezed = re.sub(r"[\W_]", "", joined).lower()
    assert "ss202400917" not in squeezed, fmt
    for spelling in REF_SPELLINGS:
        assert spelling.lower() not in joined.lower(), (fmt, spelling)
    for value in (str(case.exe), str(case.exe.parent), SCREENSHOT, "IMG_2041", BILL, "Lenovo"):
        assert value not in text, (fmt, value)
    for name in {getpass.getuser(), socket.gethostname()}:
        if name.casefold() in SYSTEM_ACCOUNTS:
            continue  # "root" names nobody, and is an ordinary word in the scan's own text
        assert not re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text), (fmt, name)
    # What stays: the evidence itself, ordinary words (an attachment was called "photo"),
    # the organisation, fingerprints, help numbers.
    for kept in (
        FRONT_DOOR,
        ORGANISATION,
        "StalkMon",
        case.exe_sha256,
        case.photo_sha256,
        POLISH,
        "0808 802 0300",
        "caseworker",
    ):
        assert flat(kept) in joined, (fmt, kept)
    first_page = (
        flat(pdf_text(case.case_dir / "report-redacted.pdf", 1)) if fmt == "pdf" else joined[:3000]
    )
    assert "REDACTED COPY" in first_page
    assert "may still identify people" in first_page
    assert "client reference" in first_page


def test_redact_also_takes_out_emails_phones_and_witnesses(case: Case, tmp_path: Path) -> None:
    output = tmp_path / "wider.txt"
    plain = case.reports["txt"]
    assert "jo@example.org" in plain and "07700 900123" in plain and "Jane Doe" in plain
    result = run_cli(
        "report",
        case.session_id,
        "--format",
        "txt",
        "-o",
        str(output),
        "--redact-also",
        "emails,phones,witnesses,addresses",
        data_dir=case.data_dir,
    )
    assert result.returncode == 0, result.stderr
    text = output.read_text(encoding="utf-8")
    for gone in ("jo@example.org", "07700 900123", "Jane", "Margaret"):
        assert gone not in text, gone
    assert "0808 802 0300" in text  # the report's own help numbers stay
    assert "email addresses" in text and "phone numbers" in text
    bad = run_cli(
        "report",
        case.session_id,
        "--format",
        "txt",
        "-o",
        str(output),
        "--redact-also",
        "everything",
        data_dir=case.data_dir,
    )
    assert_one_line_error(bad, 2)


def test_a_changed_byte_gives_exit_1_and_the_alert_first(case: Case, tmp_path: Path) -> None:
    altered = tmp_path / "home"
    shutil.copytree(case.data_dir, altered)
    log = altered / "evidence" / "log.jsonl"
    raw = log.read_bytes()
    spot = raw.index(b"He knew where")
    log.write_bytes(raw[:spot] + b"She" + raw[spot + 2 :])  # one entry's text edited
    for fmt in ("txt", "pdf", "html", "md"):
        output = tmp_path / f"altered.{fmt}"
        result = run_cli(
            "report", case.session_id, "--format", fmt, "-o", str(output), data_dir=altered
        )
        assert_one_line_error(result, 1)
        assert "ALTERED" in result.stderr
        assert output.exists(), fmt  # the report is still written
    txt = (tmp_path / "altered.txt").read_text(encoding="utf-8")
    head = "\n".join(txt.splitlines()[:25])
    assert re.search(r"THIS EVIDENCE LOG HAS BEEN ALTERED: see section \d+", head)
    assert "[ALTERED] Incident" in txt
    pdf = tmp_path / "altered.pdf"
    assert "THIS EVIDENCE LOG HAS BEEN ALTERED" in pdf_text(pdf, 1)
    pages = pdf_text(pdf).split("\f")
    footers = [p for p in pages if p.strip()]
    assert all("THIS EVIDENCE LOG HAS BEEN ALTERED" in p for p in footers)
    html_text = (tmp_path / "altered.html").read_text(encoding="utf-8")
    assert html_text.index("THIS EVIDENCE LOG HAS BEEN ALTERED") < html_text.index("<section")


def test_integrity_section_gives_the_receipt_and_how_to_check(case: Case) -> None:
    verified = json.loads(run_cli("log", "verify", "--json", data_dir=case.data_dir).stdout)
    head = verified["head_hash"]
    for fmt in FORMATS:
        text = flat(case.reports[fmt])
        assert head in text, fmt
        assert "log verify --receipt" in text and "verify.py" in text
        assert "What it cannot prove" in text and "Intact." in text


def test_scan_section_says_what_was_and_was_not_examined(case: Case) -> None:
    text = flat(case.reports["txt"])
    section = text[text.index("Scan of this computer") :]
    assert "running programs" in section and "Examined:" in section
    assert "Not examined:" in section and "Compared with: Test indicators" in section
    assert socket.gethostname() in section
    assert "What to do about the" in section
    assert "No phone was checked in this session." in text


def test_session_items_are_marked_from_the_chain_and_gaps_flagged(
    case: Case, tmp_path: Path
) -> None:
    text = case.reports["txt"]
    assert "From the evidence log" in text
    edited = tmp_path / "home"
    shutil.copytree(case.data_dir, edited)
    session_file = edited / "sessions" / f"{case.session_id}.json"
    document = json.loads(session_file.read_text(encoding="utf-8"))
    first = next(iter(document["answers"]))
    document["answers"][first]["value"] = "no"  # an edit made in the session file only
    planted = {**document["findings"][0], "app": "PlantedSpy", "process": None}
    document["findings"].append(planted)  # a finding no scan entry in the log holds
    session_file.write_text(json.dumps(document), encoding="utf-8")
    output = tmp_path / "gap.txt"
    result = run_cli(
        "report", case.session_id, "--format", "txt", "-o", str(output), data_dir=edited
    )
    assert result.returncode == 0, result.stderr
    report = output.read_text(encoding="utf-8")
    assert "Session file only: not in the evidence log" in report
    assert "have no matching entry in the evidence log" in report
    assert "the scan finding “PlantedSpy”" in report


def test_pdf_shows_emoji_images_and_page_numbers(case: Case) -> None:
    pdf = case.case_dir / "report.pdf"
    text = pdf_text(pdf)
    assert "📍" in text  # drawn with the bundled Noto Emoji, not dropped
    pages = re.findall(r"page (\d+) of (\d+)", text)
    assert pages and len(pages) == int(pages[0][1])
    fonts = subprocess.run(
        ["pdffonts", str(pdf)], capture_output=True, text=True, check=True
    ).stdout
    assert "NotoEmoji" in fonts and "DejaVuSans" in fonts
    assert " no " not in fonts.split("\n", 2)[2]  # every font embedded
    images = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True).stdout
    assert len(images.strip().splitlines()) >= 4  # header lines and two thumbnails


def test_html_prints_page_numbers_shows_thumbnails_and_fetches_nothing(case: Case) -> None:
    page = (case.case_dir / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<script" not in page.lower()
    sources = re.findall(r"\bsrc\s*=\s*\"([^\"]*)\"", page)
    assert len(sources) == 2 and all(s.startswith("data:image/jpeg;base64,") for s in sources)
    assert "<link" not in page.lower() and "@import" not in page.lower()
    assert "url(" not in page.lower()
    assert "counter(page)" in page and "counter(pages)" in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_a_glyph_no_font_has_is_printed_as_its_code_point(tmp_path: Path) -> None:
    from devicecheck.core.report.layout import Document
    from devicecheck.core.report.pdf import _Writer

    writer = _Writer(Document("t", "now", "20261130-abcdef", (), ()))
    assert writer.visible("a \U00013000 b") == "a [U+13000] b"
    assert writer.visible("📍") == "📍"


def test_hebrew_then_arabic_are_shaped_as_separate_runs() -> None:
    from devicecheck.core.report.pdf import _script_runs

    assert _script_runs(HEBREW_ARABIC) == [("hebr", "שלום עולם"), ("arab", "مرحبا بكم")]


def test_report_needs_one_session_and_a_real_folder(case: Case, tmp_path: Path) -> None:
    neither = run_cli("report", "--format", "txt", "-o", str(tmp_path / "r.txt"))
    assert_one_line_error(neither, 2)
    missing = tmp_path / "no-such-folder" / "r.txt"
    result = run_cli(
        "report", case.session_id, "--format", "txt", "-o", str(missing), data_dir=case.data_dir
    )
    assert_one_line_error(result, 2)
    assert "does not exist" in result.stderr
