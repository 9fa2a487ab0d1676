"""The report as a PDF, drawn with fpdf2 using fonts shipped in the package.

DejaVu Sans covers Latin (Polish included), Greek, Cyrillic, Hebrew and Arabic; Droid Sans
Fallback covers Chinese, Japanese and Korean, and Noto Emoji (monochrome, OFL) covers emoji;
both are used glyph by glyph where DejaVu has none. A character no shipped font has is printed
as its code point ("[U+1F4CD]"), never silently dropped.

Text shaping (HarfBuzz, through uharfbuzz) joins Arabic letters and orders right-to-left runs;
it is switched on only for text that holds right-to-left characters, because shaping every line
makes a large report several times slower. HarfBuzz shapes a run with one script, so a paragraph
that mixes Hebrew and Arabic is drawn as one line per script run, each shaped with its own
script (otherwise the Arabic after Hebrew is left unjoined).

Layout rules: a heading is never the last thing on a page; a record that runs onto the next page
says so at the foot ("continues on the next page") and again at the top; the integrity section
and the statement of truth start a new page rather than split. When the log failed its check,
every page footer carries the alert.
"""

from __future__ import annotations

import io
import re
from functools import cache
from importlib import resources
from pathlib import Path

from devicecheck.core.report.layout import Document, Field, Image, Record, Section, Table

FONT_DIR = "data/fonts"
REGULAR = "DejaVuSans.ttf"
BOLD = "DejaVuSans-Bold.ttf"
CJK = "DroidSansFallbackFull.ttf"
EMOJI = "NotoEmoji-Regular.ttf"
# Fallback fonts, added to a PDF only when its text needs them (Droid Sans Fallback takes
# almost half a second to load): fpdf2 family name -> file.
FALLBACKS = {"DroidSansFallback": CJK, "NotoEmoji": EMOJI}
_RTL = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]")
_HEBREW = re.compile("[\u0590-\u05ff\ufb1d-\ufb4f]")
_ARABIC = re.compile("[\u0600-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
TONE_COLOURS = {
    "high": (170, 0, 0),
    "medium": (200, 100, 0),
    "low": (120, 120, 120),
    "unsure": (50, 100, 170),
}
LINE = 5.0  # mm per line of body text
_WORDS = re.compile(r"(?<= )")
THUMBNAIL_MM = 45.0
# Invisible characters that need no glyph (joiners, variation selectors, marks of direction).
_NO_GLYPH = frozenset(
    (0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0xFE0E, 0xFE0F, 0x2060, 0x20E3, 0x0A, 0x0D, 0x09)
)


def font_path(name: str) -> Path:
    return Path(str(resources.files("devicecheck").joinpath(FONT_DIR, name)))


@cache
def fallback_cmap(family: str) -> frozenset[int]:
    """The code points a fallback font covers, read once per process (only its cmap table)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path(FALLBACKS[family])), lazy=True) as font:
        return frozenset(font.getBestCmap())


def _pdf_class():
    from fpdf import FPDF

    class ReportPDF(FPDF):
        footer_text = ""
        alert = ""
        writer: _Writer | None = None

        def footer(self) -> None:
            if self.alert:
                self.set_font("DejaVu", "B", 8.5)
                self.set_text_color(170, 0, 0)
                self.centred(self.alert, self.h - 10)
            self.set_font("DejaVu", size=8)
            self.set_text_color(80, 80, 80)
            self.set_y(-9)  # a cell: fpdf2 fills in {nb} (the page count) only in cells
            self.cell(0, 4, f"{self.footer_text}    page {self.page_no()} of {{nb}}", align="C")
            self.set_text_color(0, 0, 0)

        def centred(self, line: str, y: float) -> None:
            self.text((self.w - self.get_string_width(line)) / 2, y, line)

        def header(self) -> None:
            if self.writer is not None:
                self.writer.resume_mark()

        @property
        def accept_page_break(self) -> bool:  # fpdf2's own breaks (shaped text) mark too
            if self.writer is not None:
                self.writer.mark_continuation()
            return True

    return ReportPDF


class _Writer:
    def __init__(self, document: Document) -> None:
        from fpdf.enums import XPos, YPos

        self.next_line = {"new_x": XPos.LMARGIN, "new_y": YPos.NEXT}
        pdf = _pdf_class()(format="A4", unit="mm")
        pdf.footer_text = document.footer or f"devicecheck record, session {document.session_id}"
        pdf.alert = document.alert
        pdf.set_title(document.title)
        pdf.set_creator("devicecheck")
        pdf.set_auto_page_break(True, margin=20 if document.alert else 16)
        pdf.set_margins(16, 16, 16)
        pdf.add_font("DejaVu", "", str(font_path(REGULAR)))
        pdf.add_font("DejaVu", "B", str(font_path(BOLD)))
        self.covered = frozenset(pdf.fonts["dejavu"].cmap).intersection(pdf.fonts["dejavuB"].cmap)
        self.fallback_cmaps = {name: fallback_cmap(name) for name in FALLBACKS}
        self.any_font = self.covered.union(*self.fallback_cmaps.values(), _NO_GLYPH)
        self.fallbacks_added: list[str] = []
        self.width_cache: dict[tuple[str, float], dict[str, float]] = {}
        self.pdf = pdf
        self.shaping: tuple[bool, str | None] = (False, None)
        self.fallback: tuple[str, ...] = ()  # the fallback fonts switched on
        self.current: str = ""  # the heading of the record being drawn
        self.pending_resume = ""  # that heading, to repeat at the top of the next page
        pdf.writer = self

    # --- text ----------------------------------------------------------------------------------

    def visible(self, text: str) -> str:
        """Characters no shipped font has, written as their code point instead of dropped."""
        if self.any_font.issuperset(map(ord, text)):
            return text
        return "".join(c if ord(c) in self.any_font else f"[U+{ord(c):04X}]" for c in text)

    def _shape(self, on: bool, script: str | None = None) -> None:
        if (on, script) != self.shaping:
            if on:
                self.pdf.set_text_shaping(True, script=script)
            else:
                self.pdf.set_text_shaping(False)
            self.shaping = (on, script)

    def write(
        self, text: str, *, size: float = 10, bold: bool = False, height: float = LINE
    ) -> None:
        """One paragraph. Text the main font covers is wrapped here and drawn line by line:
        fpdf2's own line breaker measures a line again for every character it adds, which
        made a large report take many times longer. Other text goes through multi_cell, with
        the fallback fonts and, for right-to-left scripts, shaping switched on just for it."""
        pdf = self.pdf
        style = "B" if bold else ""
        if (pdf.font_family, pdf.font_style, pdf.font_size_pt) != ("dejavu", style, size):
            pdf.set_font("DejaVu", style, size)
        text = self.visible(text)
        uncovered = not self.covered.issuperset(map(ord, text))
        self._use_fallbacks(text if uncovered else "")
        if _RTL.search(text):
            self._write_rtl(text, height)
            return
        self._shape(False)
        widths = self._widths(style, size)
        measure = self._measure_any if uncovered else pdf.get_string_width
        for line in _wrap(text, self.line_width(), widths, measure):
            if pdf.y + height > pdf.page_break_trigger:
                self.mark_continuation()
                pdf.add_page()
            if uncovered and not self.covered.issuperset(map(ord, line)):
                self._text_runs(line, pdf.l_margin, pdf.y + height * 0.75, widths)
            else:
                pdf.text(pdf.l_margin, pdf.y + height * 0.75, line)
            pdf.y += height
        pdf.x = pdf.l_margin

    def _use_fallbacks(self, text: str) -> None:
        """Fallback fonts on (added to the PDF the first time they are needed) or off."""
        if not text and not self.fallback:
            return
        wanted = [
            name
            for name, cmap in self.fallback_cmaps.items()
            if not cmap.isdisjoint(map(ord, text))
        ]
        for name in wanted:
            if name not in self.fallbacks_added:
                self.pdf.add_font(name, "", str(font_path(FALLBACKS[name])))
                self.fallbacks_added.append(name)
        desired = tuple(self.fallbacks_added) if text else ()
        if desired != self.fallback:
            self.pdf.set_fallback_fonts(list(desired), exact_match=False)
            self.fallback = desired

    def _text_runs(self, line: str, x: float, y: float, widths: dict[str, float]) -> None:
        """A line mixing fonts, drawn as one `text` call per run of one font (fpdf2's own
        fallback goes through its much slower fragment machinery)."""
        pdf = self.pdf
        font = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
        for family, run in self._font_runs(line):
            if family:
                pdf.set_font(family, "", font[2])
            else:
                pdf.set_font(*font)
            pdf.text(x, y, run)
            x += sum(widths.get(char) or self._measure_any(char) for char in run)
        pdf.set_font(*font)

    def _font_runs(self, line: str) -> list[tuple[str, str]]:
        runs: list[tuple[str, str]] = []
        for char in line:
            code = ord(char)
            family = ""
            if code not in self.covered:
                family = next(
                    (name for name, cmap in self.fallback_cmaps.items() if code in cmap), ""
                )
            if runs and runs[-1][0] == family:
                runs[-1] = (family, runs[-1][1] + char)
            else:
                runs.append((family, char))
        return runs

    def _measure_any(self, char: str) -> float:
        """A character's width in the font that will draw it."""
        pdf = self.pdf
        if ord(char) in self.covered:
            return pdf.get_string_width(char)
        family = next(
            (name for name, cmap in self.fallback_cmaps.items() if ord(char) in cmap), None
        )
        if family is None:
            return pdf.get_string_width(char)
        font = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
        pdf.set_font(family, "", font[2])
        width = pdf.get_string_width(char)
        pdf.set_font(*font)
        return width

    def _write_rtl(self, text: str, height: float) -> None:
        """Shaped text; a paragraph with both Hebrew and Arabic as one line per script run."""
        runs = _script_runs(text) if _HEBREW.search(text) and _ARABIC.search(text) else []
        if not runs:
            self._shape(True)
            self.pdf.multi_cell(0, height, text, **self.next_line)
            return
        for script, run in runs:
            self._shape(True, script)
            self.pdf.multi_cell(0, height, run, align="R", **self.next_line)

    def line_width(self) -> float:
        return self.pdf.w - self.pdf.r_margin - self.pdf.l_margin

    def fields(self, fields: tuple[Field, ...]) -> None:
        """Short plain fields share lines, first; then hashes, paths and commands, each on a
        line of its own (fewer, fuller lines: a large report draws a third fewer)."""
        size, height = 9.5, 4.6
        self.pdf.set_font("DejaVu", "", size)
        widths = self._widths("", size)
        pending = ""
        own_lines = []
        for field in fields:
            text = f"{field.label}: {field.value}"
            if field.mono or "\n" in text:
                own_lines.append(text)
                continue
            joined = f"{pending}     {text}" if pending else text
            if pending and _width(joined, widths, self.pdf.get_string_width) > self.line_width():
                self.write(pending, size=size, height=height)
                pending = text
            else:
                pending = joined
        if pending:
            self.write(pending, size=size, height=height)
        for text in own_lines:
            self.write(text, size=8.5, height=height)

    def _widths(self, style: str, size: float) -> dict[str, float]:
        key = (style, size)
        if key not in self.width_cache:
            self.width_cache[key] = {}
        return self.width_cache[key]

    # --- page breaks ---------------------------------------------------------------------------

    def mark_continuation(self) -> None:
        """At a page break inside a record: say so at the foot, and again on the next page."""
        if not self.current:
            return
        pdf = self.pdf
        heading, self.current = self.current, ""
        font = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(90, 90, 90)
        pdf.text(
            pdf.l_margin, pdf.page_break_trigger + 3, "(this record continues on the next page)"
        )
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(*font)
        self.pending_resume = heading

    def resume_mark(self) -> None:
        heading = self.pending_resume
        if not heading:
            return
        self.pending_resume = ""
        self.current = heading
        pdf = self.pdf
        font = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
        pdf.set_font("DejaVu", "", 8)
        pdf.set_text_color(90, 90, 90)
        simple = self.covered.issuperset(map(ord, heading)) and not _RTL.search(heading)
        pdf.text(pdf.l_margin, pdf.t_margin - 4, f"(continued) {heading[:90] if simple else ''}")
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(*font)

    def need(self, height: float) -> None:
        """Start a new page unless `height` mm still fit on this one."""
        if self.pdf.will_page_break(height):
            self.pdf.add_page()

    # --- blocks ----------------------------------------------------------------------------------

    def heading(self, text: str, size: float) -> None:
        self.need(size * 0.8 + 3 * LINE)  # the heading and the first lines after it
        self.pdf.ln(size * 0.3)
        self.write(text, size=size, bold=True, height=size * 0.5)

    def images(self, images: tuple[Image, ...]) -> None:
        pdf = self.pdf
        x = pdf.l_margin
        row_height = 0.0
        for image in images:
            width = THUMBNAIL_MM
            if x + width > pdf.w - pdf.r_margin:
                pdf.y += row_height + 2
                x, row_height = pdf.l_margin, 0.0
            try:
                info = pdf.image(io.BytesIO(image.jpeg), x=x, y=pdf.y, w=width)
            except Exception:  # a thumbnail is our own JPEG; if fpdf2 refuses it, say so
                self.write(f"(image {image.caption} could not be drawn)", size=8.5)
                continue
            height = float(info.rendered_height)
            self.caption(image.caption, x, pdf.y + height + 3, width)
            row_height = max(row_height, height + 4)
            x += width + 4
        pdf.y += row_height + 2
        pdf.x = pdf.l_margin

    def caption(self, text: str, x: float, y: float, width: float) -> None:
        """A thumbnail's caption, cut to the thumbnail's width."""
        pdf = self.pdf
        font = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
        pdf.set_font("DejaVu", "", 7)
        text = self.visible(text)
        self._use_fallbacks("" if self.covered.issuperset(map(ord, text)) else text)
        widths = self._widths("", 7)
        while len(text) > 1 and _width(text, widths, self._measure_any) > width:
            text = text[:-2] + "…"
        if self.covered.issuperset(map(ord, text)) and not _RTL.search(text):
            pdf.text(x, y, text)
        elif not _RTL.search(text):
            self._text_runs(text, x, y, widths)
        pdf.set_font(*font)

    def record(self, record: Record) -> None:
        pdf = self.pdf
        lines = 2 + len(record.fields) + record.text.count("\n")
        self.need(min(lines * 4.6, 60) + (THUMBNAIL_MM if record.images else 0))
        top, page = pdf.get_y(), pdf.page_no()
        colour = TONE_COLOURS.get(record.tone)
        pdf.set_left_margin(pdf.l_margin + 3)
        pdf.set_x(pdf.l_margin)
        self.current = record.heading
        self.write(record.heading, size=10.5, bold=True)
        self.fields(record.fields)
        if record.text:
            self.write(record.text, size=9.5, height=4.6)
        if record.images:
            self.need(THUMBNAIL_MM * 1.4)
            self.images(record.images)
        self.current = ""
        pdf.set_left_margin(pdf.l_margin - 3)
        if colour and pdf.page_no() == page and pdf.get_y() > top:
            pdf.set_draw_color(*colour)
            pdf.set_line_width(1.2)
            pdf.line(pdf.l_margin + 0.6, top, pdf.l_margin + 0.6, pdf.get_y())
        pdf.ln(2)

    def table(self, table: Table) -> None:
        pdf = self.pdf
        size, height = 8, 3.8
        total = sum(table.widths)
        widths = [self.line_width() * w / total for w in table.widths]

        def row(cells: tuple[str, ...], bold: bool, marked: bool) -> None:
            pdf.set_font("DejaVu", "B" if bold else "", size)
            measure = self._widths("B" if bold else "", size)
            wrapped = [
                _wrap(self.visible(c), w - 1.6, measure, pdf.get_string_width)
                for c, w in zip(cells, widths, strict=False)
            ]
            lines = max(len(w) for w in wrapped)
            if pdf.y + lines * height + 1.5 > pdf.page_break_trigger:
                pdf.add_page()
                header()
            top, x = pdf.y, pdf.l_margin
            if marked:
                pdf.set_fill_color(253, 215, 215)
                pdf.rect(x, top, sum(widths), lines * height + 1.5, style="F")
            for cell, width in zip(wrapped, widths, strict=False):
                for number, line in enumerate(cell):
                    if self.covered.issuperset(map(ord, line)) and not _RTL.search(line):
                        pdf.text(x + 0.8, top + 0.8 + height * (number + 0.75), line)
                    else:
                        pdf.set_xy(x + 0.8, top + 0.8 + height * number)
                        self._cell_text(line, width - 1.6, height)
                        pdf.set_font("DejaVu", "B" if bold else "", size)
                x += width
            pdf.set_draw_color(150, 150, 150)
            pdf.set_line_width(0.2)
            pdf.rect(pdf.l_margin, top, sum(widths), lines * height + 1.5)
            pdf.y = top + lines * height + 1.5

        def header() -> None:
            row(table.columns, True, False)

        header()
        for number, cells in enumerate(table.rows):
            row(cells, False, table.marked[number] if number < len(table.marked) else False)
        pdf.x = pdf.l_margin
        pdf.ln(2)

    def _cell_text(self, text: str, width: float, height: float) -> None:
        self._use_fallbacks(text)
        self._shape(bool(_RTL.search(text)))
        self.pdf.cell(width, height, text)

    def section(self, section: Section) -> None:
        if section.keep_together:
            self.need(_estimated_height(section))
        self.heading(section.heading, 14)
        for paragraph in section.paragraphs:
            self.write(paragraph, size=9.5)
        for item in section.items:
            self.write(f"•  {item}", size=9.5)
        has_table = section.table is not None and bool(section.table.rows)
        if has_table:
            self.table(section.table)
        for record in section.records:
            self.record(record)
        if not section.records and not section.items and not has_table and section.empty:
            self.write(section.empty, size=9.5)

    def render(self, document: Document) -> bytes:
        pdf = self.pdf
        pdf.add_page()
        self.write(document.title, size=18, bold=True, height=9)
        self.write(f"Session {document.session_id}. Made {document.generated_at}.", size=10)
        pdf.ln(2)
        for line in document.banner:
            pdf.set_text_color(150, 0, 0)
            self.write(line, size=12 if line == document.alert else 10.5, bold=True)
            pdf.set_text_color(0, 0, 0)
        for section in document.sections:
            self.section(section)
        return bytes(pdf.output())


def _estimated_height(section: Section) -> float:
    """Roughly how tall a section is (mm), to keep a short one on one page."""
    chars_per_line = 95
    lines = 3 + sum(len(p) // chars_per_line + 1 for p in section.paragraphs)
    lines += sum(2 + len(r.fields) + len(r.text) // chars_per_line for r in section.records)
    return lines * LINE + 10


def _script_runs(text: str) -> list[tuple[str | None, str]]:
    """Split at each change between Hebrew and Arabic letters; other characters stay with the
    run they follow."""
    runs: list[tuple[str | None, str]] = []
    script: str | None = None
    current = ""
    for char in text:
        found = "hebr" if _HEBREW.match(char) else "arab" if _ARABIC.match(char) else None
        if found and script and found != script and current.strip():
            runs.append((script, current.strip()))
            current = ""
        if found:
            script = found
        current += char
    if current.strip():
        runs.append((script, current.strip()))
    return runs


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

    def word_size(word: str) -> float:  # words repeat a lot in a report: measured once
        key = "\0" + word
        if key not in widths:
            widths[key] = sum(size(char) for char in word)
        return widths[key]

    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, line_width = "", 0.0
        for word in _WORDS.split(paragraph):
            word_width = word_size(word)
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
