"""The report as a PDF, drawn with fpdf2 using fonts shipped in the package.

DejaVu Sans covers Latin (Polish included), Greek, Cyrillic, Hebrew and Arabic; Droid Sans
Fallback covers Chinese, Japanese and Korean and is used glyph by glyph where DejaVu has none.
Text shaping (HarfBuzz, through uharfbuzz) joins Arabic letters and orders right-to-left runs;
it is switched on only for text that holds right-to-left characters, because shaping every line
makes a large report several times slower.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

from devicecheck.core.report.layout import Document, Field, Record, Section

FONT_DIR = "data/fonts"
REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
CJK = "DroidSansFallbackFull.ttf"
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
TONE_COLOURS = {
    "high": (170, 0, 0),
    "medium": (200, 100, 0),
    "low": (120, 120, 120),
    "unsure": (50, 100, 170),
}
LINE = 5.0  # mm per line of body text


def font_path(name: str) -> Path:
    return Path(str(resources.files("devicecheck").joinpath(FONT_DIR, name)))


def _pdf_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        footer_text = ""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.set_text_color(80, 80, 80)
            self.cell(0, 5, f"{self.footer_text}    page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

    return ReportPDF


class _Writer:
    def __init__(self, document: Document) -> None:
        from fpdf.enums import XPos, YPos

        self.next_line = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
        pdf = _pdf_class()(format="A4", unit="mm")
        pdf.footer_text = f"devicecheck report, session {document.session_id}"
        pdf.set_title(document.title)
        pdf.set_creator("devicecheck")
        pdf.set_auto_page_break(True, margin=16)
        pdf.set_margins(16, 16, 16)
        pdf.add_font("DejaVu", "", str(font_path(REGULAR)))
        pdf.add_font("DejaVu", "B", str(font_path(BOLD)))
        pdf.add_font("DroidSansFallback", "", str(font_path(CJK)))
        pdf.set_fallback_fonts(["DroidSansFallback"], exact_match=False)
        self.pdf = pdf
        self.shaping = False

    def write(
        self, text: str, *, size: float = 10, bold: bool = False, height: float = LINE
    ) -> None:
        pdf = self.pdf
        wants_shaping = bool(_RTL.search(text))
        if wants_shaping != self.shaping:
            pdf.set_text_shaping(wants_shaping)
            self.shaping = wants_shaping
        pdf.set_font("DejaVu", "B" if bold else "", size)
        pdf.multi_cell(0, height, text, **self.next_line)

    def heading(self, text: str, size: float) -> None:
        if self.pdf.will_page_break(size * 2.5):
            self.pdf.add_page()
        self.pdf.ln(size * 0.3)
        self.write(text, size=size, bold=True, height=size * 0.5)

    def field(self, field: Field) -> None:
        self.write(f"{field.label}: {field.value}", size=8.5 if field.mono else 9.5, height=4.6)

    def record(self, record: Record) -> None:
        pdf = self.pdf
        lines = 2 + len(record.fields) + record.text.count("\n")
        if pdf.will_page_break(min(lines * 4.6, 60)):
            pdf.add_page()
        top = pdf.get_y()
        pdf.set_x(pdf.l_margin + 3)
        colour = TONE_COLOURS.get(record.tone)
        pdf.set_left_margin(pdf.l_margin + 3)
        self.write(record.heading, size=10.5, bold=True)
        for field in record.fields:
            self.field(field)
        if record.text:
            self.write(record.text, size=9.5, height=4.6)
        pdf.set_left_margin(pdf.l_margin - 3)
        if colour and pdf.get_y() > top:
            pdf.set_draw_color(*colour)
            pdf.set_line_width(1.2)
            pdf.line(pdf.l_margin + 0.6, top, pdf.l_margin + 0.6, pdf.get_y())
        pdf.ln(2)

    def section(self, section: Section) -> None:
        self.heading(section.title, 14)
        for paragraph in section.paragraphs:
            self.write(paragraph, size=9.5)
        for item in section.items:
            self.write(f"•  {item}", size=9.5)
        for record in section.records:
            self.record(record)
        if not section.records and section.empty:
            self.write(section.empty, size=9.5)

    def render(self, document: Document) -> bytes:
        pdf = self.pdf
        pdf.add_page()
        self.write(document.title, size=18, bold=True, height=9)
        self.write(f"Session {document.session_id}. Made {document.generated_at}.", size=10)
        pdf.ln(2)
        for line in document.banner:
            pdf.set_text_color(150, 0, 0)
            self.write(line, size=10.5, bold=True)
            pdf.set_text_color(0, 0, 0)
        for section in document.sections:
            self.section(section)
        return bytes(pdf.output())


def render_pdf(document: Document) -> bytes:
    return _Writer(document).render(document)
