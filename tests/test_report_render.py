"""Renderers on their own: any text a person types stays text in every format; files are
written privately and atomically."""

from __future__ import annotations

import dataclasses
import html
import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.report import build_report, render, write_report
from devicecheck.core.report.markdown import escape_markdown
from devicecheck.core.report.model import NoteRow, ReportData
from devicecheck.core.sessions import SessionStore
from devicecheck.core.textsafety import lines as safe_lines
from devicecheck.errors import DeviceCheckError


@pytest.fixture(scope="module")
def base_report(tmp_path_factory: pytest.TempPathFactory) -> ReportData:
    home = DataDir(tmp_path_factory.mktemp("render") / "home")
    session = SessionStore(home).create()
    return build_report(home, session, generated_at="2026-11-24T10:00:00+00:00")


def _with_note(report: ReportData, text: str) -> ReportData:
    note = NoteRow(text, "Case Worker", "2026-11-24T10:00:00+00:00", "the whole session")
    return dataclasses.replace(report, caseworker_notes=(note,))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(min_size=1, max_size=80))
def test_any_note_is_escaped_in_html_and_kept_in_text(base_report: ReportData, text: str) -> None:
    page = render(_with_note(base_report, text), "html").decode("utf-8")
    assert html.escape(text) in page
    plain = render(_with_note(base_report, text), "txt").decode("utf-8")
    # Kept, with control and direction-changing characters shown escaped (core.textsafety).
    assert all(safe_lines(line.strip()) in plain for line in text.splitlines() if line.strip())
    render(_with_note(base_report, text), "md")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("<>[]()!#*_`|\\-+=1. \nabc"), max_size=40))
def test_markdown_escaping_leaves_no_markup_characters_bare(text: str) -> None:
    escaped = escape_markdown(text)
    for index, char in enumerate(escaped):
        if char in "<>[]#*_`|":
            backslashes = len(escaped[:index]) - len(escaped[:index].rstrip("\\"))
            assert backslashes % 2 == 1, (text, escaped)


@pytest.mark.parametrize("fmt", ["html", "md", "txt", "pdf"])
def test_write_report_is_private_and_refuses_a_symlink(tmp_path: Path, fmt: str) -> None:
    home = DataDir(tmp_path / "home")
    session = SessionStore(home).create()
    output = write_report(home, session, fmt, tmp_path / f"out.{fmt}")
    assert stat.S_IMODE(output.stat().st_mode) == 0o600
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # no temp left
    target = tmp_path / "elsewhere"
    target.write_text("keep me")
    link = tmp_path / f"link.{fmt}"
    os.symlink(target, link)
    with pytest.raises(DeviceCheckError, match="symbolic link"):
        write_report(home, session, fmt, link)
    assert target.read_text() == "keep me"


def test_write_report_rejects_an_unknown_format(tmp_path: Path) -> None:
    home = DataDir(tmp_path / "home")
    session = SessionStore(home).create()
    with pytest.raises(DeviceCheckError, match="report format must be one of"):
        write_report(home, session, "docx", tmp_path / "out.docx")
    assert not (tmp_path / "out.docx").exists()


def test_an_empty_session_says_nothing_was_checked_not_no_concerns(tmp_path: Path) -> None:
    home = DataDir(tmp_path / "home")
    session = SessionStore(home).create()
    text = render(build_report(home, session), "txt").decode("utf-8")
    assert "No checks were answered" in text
    assert "found no concerns" not in text
    assert "No scan of this computer was run in this session." in text
    assert "No phone was checked in this session." in text
    assert "There is no evidence log in this data folder yet" in text


def test_findings_sharing_advice_print_it_once() -> None:
    from bench.report import report_data

    data = report_data(findings=300, incidents=2)
    text = render(data, "txt").decode("utf-8")
    advice = data.findings[0].advice
    assert text.count(advice) == 1
    assert text.count("Monitor App") >= 300


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_redact_also_takes_known_kinds_or_gives_one_error(text: str) -> None:
    from devicecheck.core.report.redaction import ALSO, parse_also

    try:
        kinds = parse_also(text)
    except DeviceCheckError as error:
        assert "\n" not in error.message.strip()
        return
    assert set(kinds) <= set(ALSO)


@settings(max_examples=200, deadline=None)
@given(
    st.text(max_size=40),
    st.sampled_from(["Margaret", "OKONKWO", "reyes", "Okonkwo-Reyes"]),
    st.text(max_size=40),
)
def test_a_name_part_never_survives_redaction_in_free_text(
    before: str, name: str, after: str
) -> None:
    from devicecheck.core.report.redaction import _scrubber

    scrub = _scrubber(["Margaret Okonkwo-Reyes"], "SS-2024-00917", [], [], ())
    text = scrub(f"{before} {name} {after}")
    assert not __import__("re").search(r"(?i)(?<!\w)(margaret|okonkwo|reyes)(?!\w)", text), text
    assert scrub("posted a photo of my front door") == "posted a photo of my front door"


def test_phone_check_section_from_phone_scan_entries(tmp_path: Path) -> None:
    from devicecheck.core.evidence import EvidenceLog

    home = DataDir(tmp_path / "home")
    session = SessionStore(home).create()
    log = EvidenceLog(home)
    scan = log.append(
        "scan",
        {
            "target": "android-phone",
            "device": {"manufacturer": "Google", "model": "Pixel 7", "serial": "ABC123"},
            "examined": {"packages": 212},
            "not_examined": [{"what": "app usage history", "reason": "needs root"}],
            "indicators": [{"id": "echap", "version": "abc123"}],
            "limits": ["A phone check cannot see apps removed before it ran."],
            "finding_count": 1,
            "started_at": "2026-11-21T09:15:00+00:00",
        },
        session=session.id,
    )
    finding = {
        "origin": "phone-scan",
        "scan_entry": scan.id,
        "kind": "package",
        "app": "TheTruthSpy",
        "category": "stalkerware",
        "severity": "high",
        "confidence": "high",
        "advice": "Do not remove it yet: the other person may notice.",
        "package": "com.example.truthspy",
        "installer": "sideloaded",
        "access": ["location", "SMS"],
    }
    log.append("finding", finding, session=session.id)
    text = render(build_report(home, session), "txt").decode("utf-8")
    phone = text[text.index("Phone check\n") :]
    for expected in (
        "Google Pixel 7",
        "212 installed apps",
        "app usage history: needs root",
        "TheTruthSpy",
        "Echap stalkerware indicators (version abc123)",
        "App package: com.example.truthspy",
        "Access it holds: location, SMS",
        "Serial number: ABC123",
    ):
        assert expected in phone, expected
    computer = text[text.index("Scan of this computer") : text.index("Phone check\n")]
    assert "TheTruthSpy" not in computer
    redacted = render(build_report(home, session, redact=True), "txt").decode("utf-8")
    assert "Pixel 7" not in redacted and "ABC123" not in redacted and "TheTruthSpy" in redacted


@pytest.mark.parametrize("payload", [b"\x89PNG\r\n\x1a\nbroken", b"GIF89a" + b"\xff" * 50, b""])
def test_a_broken_image_attachment_is_listed_by_name_not_a_crash(
    tmp_path: Path, payload: bytes
) -> None:
    from devicecheck.core.evidence import EvidenceLog

    home = DataDir(tmp_path / "home")
    session = SessionStore(home).create()
    picture = tmp_path / "evil.png"
    picture.write_bytes(payload)
    EvidenceLog(home).attach(picture, session=session.id)
    data = build_report(home, session)
    assert data.attachments[0].thumbnail is None
    for fmt in ("html", "pdf", "txt"):
        assert render(data, fmt)
    assert "evil.png" in render(data, "txt").decode("utf-8")


def test_a_decompression_bomb_is_not_decoded(tmp_path: Path) -> None:
    from PIL import Image

    from devicecheck.core.report.evidence_files import thumbnail_of

    bomb = tmp_path / "bomb.png"
    Image.new("1", (12000, 12000)).save(bomb)  # 144 megapixels in a few kilobytes
    assert bomb.stat().st_size < 1_000_000
    assert thumbnail_of(bomb.read_bytes()) is None
    small = tmp_path / "small.png"
    Image.new("RGB", (800, 600), (1, 2, 3)).save(small)
    assert thumbnail_of(small.read_bytes())[:3] == b"\xff\xd8\xff"  # a JPEG


def _pdf_pages(data: ReportData, tmp_path: Path) -> list[str]:
    import subprocess

    path = tmp_path / "layout.pdf"
    path.write_bytes(render(data, "pdf"))
    text = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [page for page in text.split("\f") if page.strip()]


@pytest.mark.skipif(
    __import__("shutil").which("pdftotext") is None, reason="pdftotext is not installed"
)
def test_pdf_keeps_headings_with_text_marks_continued_records_and_keeps_integrity_whole(
    base_report: ReportData, tmp_path: Path
) -> None:
    import re

    long_note = "\n".join(f"Line {n} of a long account of what happened." for n in range(90))
    data = _with_note(base_report, long_note)
    pages = _pdf_pages(data, tmp_path)
    joined = "\f".join(pages)
    assert "(this record continues on the next page)" in joined
    assert "(continued) Caseworker note" in joined
    heading = re.compile(r"^\d+\. [A-Z]")
    for page in pages:
        body = [line.strip() for line in page.splitlines() if line.strip()]
        body = [line for line in body if "page " not in line and "continues" not in line]
        assert body and not heading.match(body[-1]), body[-3:]
    integrity = [p for p in pages if "Is the record intact?" in p]
    assert len(integrity) == 1 and "Evidence log" in integrity[0]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["GB", "US", "PL", "xx", ""]))
def test_format_moment_never_fails_on_any_stored_time(text: str, region: str) -> None:
    from devicecheck.core.dates import format_moment

    words = format_moment(text, region or "GB")
    assert isinstance(words, str)


@pytest.mark.skipif(
    __import__("shutil").which("pdftotext") is None, reason="pdftotext is not installed"
)
def test_arabic_after_hebrew_is_joined_as_it_is_alone(tmp_path: Path) -> None:
    """Joined Arabic letters are narrower than unjoined ones: the Arabic words after Hebrew in
    one paragraph must come out exactly as wide as the same words alone."""
    import re
    import subprocess

    from devicecheck.core.report.layout import Document, Section
    from devicecheck.core.report.pdf import render_pdf

    def arabic_widths(text: str) -> list[float]:
        document = Document("t", "now", "20261130-abcdef", (), (Section("s", "S", (text,)),))
        path = tmp_path / "shaped.pdf"
        path.write_bytes(render_pdf(document))
        boxes = subprocess.run(
            ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
        ).stdout
        words = re.findall(r'xMin="([\d.]+)"[^>]*xMax="([\d.]+)"[^>]*>([^<]+)<', boxes)
        return [
            round(float(x1) - float(x0), 1)
            for x0, x1, word in words
            if re.search("[\u0600-\u06ff]", word)
        ]

    alone = arabic_widths("مرحبا بكم")
    assert len(alone) == 2
    assert arabic_widths("שלום עולם مرحبا بكم") == alone


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.text(max_size=60), st.text(max_size=30))
def test_incident_text_never_breaks_the_table_or_escapes_html(
    base_report: ReportData, what: str, where: str
) -> None:
    from devicecheck.core.report.model import IncidentRow

    row = IncidentRow(
        1,
        1,
        "2026-11-21T09:15:00+00:00",
        "2026-11-21T10:00:00+00:00",
        "self",
        what or "x",
        where,
        "text",
        "",
        "",
        "",
        "",
        "",
        (),
        (),
    )
    data = dataclasses.replace(base_report, incidents=(row,))
    markdown = render(data, "md").decode("utf-8")
    table = markdown[markdown.index("| No. |") :].split("\n\n", 1)[0].splitlines()
    assert len(table) == 3 and all(line.startswith("|") and line.endswith("|") for line in table)
    page = render(data, "html").decode("utf-8")
    assert page.count("<tr") == 2 and "<script" not in page.lower().replace("&lt;script", "")


def test_a_device_name_is_scrubbed_however_it_is_spaced_or_punctuated() -> None:
    from devicecheck.core.report.redaction import _scrubber

    scrub = _scrubber([], "", [], ["Jo's iPhone", "KITCHEN-PC"], ())
    for written in ("Jo’s iPhone", "JO'S IPHONE", "Jo's  iPhone", "Jo's\niPhone", "Jos iPhone"):
        assert scrub(f"seen on {written} today") == "seen on [redacted] today", written
    assert scrub("the kitchen pc and kitchen_pc") == "the [redacted] and [redacted]"
    assert scrub("an iPhone in the kitchen") == "an iPhone in the kitchen"
