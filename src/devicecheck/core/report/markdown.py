"""The report as Markdown, for case systems that render it.

User text is escaped so a note cannot become a heading, a link, an image or raw HTML.
"""

from __future__ import annotations

import re

from devicecheck.core.report.layout import Document, Record, Section, Table
from devicecheck.core.textsafety import lines as safe_lines

_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~])")
_LINE_START = re.compile(r"^(\s*)([-+=])", re.MULTILINE)
_NUMBERED = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)
TONE_MARKS = {"high": "**HIGH** ", "medium": "**MEDIUM** ", "low": "LOW ", "unsure": "NOT SURE "}


def escape_markdown(text: str) -> str:
    """Backslash every character Markdown could read as markup; keep line breaks as breaks."""
    escaped = _SPECIAL.sub(r"\\\1", text.replace("\r", ""))
    escaped = _NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", escaped))
    return escaped.replace("\n", "  \n  ")


def _code(text: str) -> str:
    """A code span that no backtick inside the value can close early."""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if text.strip() else escape_markdown(text)


def _record(record: Record) -> list[str]:
    lines = [f"### {TONE_MARKS.get(record.tone, '')}{escape_markdown(record.heading)}", ""]
    for field in record.fields:
        value = (
            _code(field.value.replace("\n", " ")) if field.mono else escape_markdown(field.value)
        )
        lines.append(f"- **{escape_markdown(field.label)}:** {value}")
    if record.text:
        lines += ["", escape_markdown(record.text)]
    lines += [
        f"- Image: {escape_markdown(image.caption)} (in the PDF and HTML)"
        for image in record.images
    ]
    return [*lines, ""]


def _cell(text: str) -> str:
    return escape_markdown(text.replace("\n", " ")).replace("  \n  ", " ") or "-"


def _table(table: Table) -> list[str]:
    lines = ["| " + " | ".join(escape_markdown(c) for c in table.columns) + " |"]
    lines.append("|" + "---|" * len(table.columns))
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in table.rows]
    return [*lines, ""]


def _section(section: Section) -> list[str]:
    lines = [f"## {escape_markdown(section.heading)}", ""]
    for paragraph in section.paragraphs:
        lines += [escape_markdown(paragraph), ""]
    if section.items:
        lines += [f"- {escape_markdown(item)}" for item in section.items] + [""]
    has_table = section.table is not None and bool(section.table.rows)
    if has_table:
        lines += _table(section.table)
    for record in section.records:
        lines += _record(record)
    if not section.records and not section.items and not has_table and section.empty:
        lines += [f"_{escape_markdown(section.empty)}_", ""]
    return lines


def render_markdown(document: Document) -> str:
    lines = [
        f"# {escape_markdown(document.title)}",
        "",
        f"Session {_code(document.session_id)}. Made {escape_markdown(document.generated_at)}.",
        "",
    ]
    lines += [f"> **{escape_markdown(line)}**" for line in document.banner] + [""]
    for section in document.sections:
        lines += _section(section)
    # Control and direction-changing characters from notes or scans are shown escaped.
    return safe_lines("\n".join(lines).rstrip() + "\n")
