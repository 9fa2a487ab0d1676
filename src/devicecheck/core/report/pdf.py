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
        self.covered = frozenset(pdf.fonts["dejavu"].cmap).intersection(pdf.fonts["dejavuB"].cmap)
        self.width_cache: dict[tuple[str, float], dict[str, float]] = {}
        self.pdf = pdf
        self.shaping = False
        self.fallback = False

    def write(
        self, text: str, *, size: float = 10, bold: bool = False, height: float = LINE
    ) -> None:
        """One paragraph. Text the main font covers is wrapped here and drawn line by line:
        fpdf2's own line breaker measures a line again for every character it adds, which
        made a large report take many times longer. Other text goes through multi_cell, with
        the CJK fallback font and, for right-to-left scripts, shaping switched on just for it."""
        pdf = self.pdf
        style = "B" if bold else ""
        pdf.set_font("DejaVu", style, size)
        uncovered = not self.covered.issuperset(map(ord, text))
        shaped = bool(_RTL.search(text))
        if shaped != self.shaping:
            pdf.set_text_shaping(shaped)
            self.shaping = shaped
        if uncovered != self.fallback:
            pdf.set_fallback_fonts(["DroidSansFallback"] if uncovered else [], exact_match=False)
            self.fallback = uncovered
        if uncovered or shaped:
            pdf.multi_cell(0, height, text, **self.next_line)
            return
        widths = self._widths(style, size)
        for line in _wrap(text, self.line_width(), widths, pdf.get_string_width):
            if pdf.y + height > pdf.page_break_trigger:
                pdf.add_page()
            pdf.text(pdf.l_margin, pdf.y + height * 0.75, line)
            pdf.y += height
        pdf.x = pdf.l_margin

    def line_width(self) -> float:
        return self.pdf.w - self.pdf.r_margin - self.pdf.l_margin

    def fields(self, fields: tuple[Field, ...]) -> None:
        """Short plain fields share a line; hashes, paths and commands get lines of their own."""
        size, height = 9.5, 4.6
        self.pdf.set_font("DejaVu", "", size)
        widths = self._widths("", size)
        pending = ""
        for field in fields:
            text = f"{field.label}: {field.value}"
            if field.mono or "\n" in text:
                if pending:
                    self.write(pending, size=size, height=height)
                    pending = ""
                self.write(text, size=8.5, height=height)
                continue
            joined = f"{pending}     {text}" if pending else text
            if pending and _width(joined, widths, self.pdf.get_string_width) > self.line_width():
                self.write(pending, size=size, height=height)
                pending = text
            else:
                pending = joined
        if pending:
            self.write(pending, size=size, height=height)

    def _widths(self, style: str, size: float) -> dict[str, float]:
        key = (style, size)
        if key not in self.width_cache:
            self.width_cache[key] = {}
        return self.width_cache[key]

    def heading(self, text: str, size: float) -> None:
        if self.pdf.will_page_break(size * 2.5):
            self.pdf.add_page()
        self.pdf.ln(size * 0.3)
        self.write(text, size=size, bold=True, height=size * 0.5)

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
        self.fields(record.fields)
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


def _width(text: str, widths: dict[str, float], measure) -> float:
    total = 0.0
    for char in text:
        if char not in widths:
            widths[char] = measure(char)
        total += widths[char]
    return total


def _wrap(text: str, width: float, widths: dict[str, float], measure) -> list[str]:
    """Greedy word wrap; a word wider than the line (a path, a hash) breaks between characters."""

    def size(char: str) -> float:
        if char not in widths:
            widths[char] = measure(char)
        return widths[char]

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in re.split(r"(?<= )", paragraph):
            word_width = sum(size(char) for char in word)
            if line and line_width + word_width - size(" ") * word.endswith(" ") > width:
                lines.append(line.rstrip(" "))
                line, line_width = "", 0.0
            if word_width > width:
                for char in word:
                    if line and line_width + size(char) > width:
                        lines.append(line)
                        line, line_width = "", 0.0
                    line += char
                    line_width += size(char)
                continue
            line += word
            line_width += word_width
        lines.append(line.rstrip(" "))
    return lines


def render_pdf(document: Document) -> bytes:
    return _Writer(document).render(document)
