"""The report as plain text, for pasting into a case system that takes no formatting."""

from __future__ import annotations

from devicecheck.core.report.layout import Document, Record, Section, Table
from devicecheck.core.textsafety import lines as safe_lines

TONE_MARKS = {"high": "[HIGH] ", "medium": "[MEDIUM] ", "low": "[LOW] ", "unsure": "[?] "}


def _indented(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines() or [""])


def _record(record: Record) -> list[str]:
    lines = [f"* {TONE_MARKS.get(record.tone, '')}{record.heading}"]
    for field in record.fields:
        value = field.value.replace("\n", "\n      ")
        lines.append(f"    {field.label}: {value}")
    if record.text:
        lines.append(_indented(record.text, "    "))
    lines += [f"    [image: {image.caption}]" for image in record.images]
    return lines


def _table(table: Table) -> list[str]:
    lines = [" | ".join(table.columns)]
    lines.append("-" * len(lines[0]))
    for row in table.rows:
        lines.append(" | ".join(cell.replace("\n", " ") or "-" for cell in row))
    return lines


def _section(section: Section) -> list[str]:
    lines = [section.heading, "=" * len(section.heading), ""]
    for paragraph in section.paragraphs:
        lines += [paragraph, ""]
    lines += [f"- {item}" for item in section.items]
    if section.table is not None and section.table.rows:
        lines += [*_table(section.table), ""]
    for record in section.records:
        lines += [*_record(record), ""]
    has_table = section.table is not None and bool(section.table.rows)
    if not section.records and not section.items and not has_table and section.empty:
        lines.append(section.empty)
    return [*lines, ""]


def render_text(document: Document) -> str:
    lines = [document.title, f"Session {document.session_id}. Made {document.generated_at}.", ""]
    lines += [f"!! {line}" for line in document.banner]
    lines.append("")
    for section in document.sections:
        lines += _section(section)
    if document.alert:
        lines += ["", f"!! {document.alert}"]
    # Control and direction-changing characters from notes or scans are shown escaped.
    return safe_lines("\n".join(lines).rstrip() + "\n")
