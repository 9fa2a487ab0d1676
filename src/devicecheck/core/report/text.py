"""The report as plain text, for pasting into a case system that takes no formatting."""

from __future__ import annotations

from devicecheck.core.report.layout import Document, Record, Section

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
    return lines


def _section(section: Section) -> list[str]:
    lines = [section.title, "=" * len(section.title), ""]
    for paragraph in section.paragraphs:
        lines += [paragraph, ""]
    lines += [f"- {item}" for item in section.items]
    for record in section.records:
        lines += [*_record(record), ""]
    if not section.records and section.empty:
        lines.append(section.empty)
    return [*lines, ""]


def render_text(document: Document) -> str:
    lines = [document.title, f"Session {document.session_id}. Made {document.generated_at}.", ""]
    lines += [f"!! {line}" for line in document.banner]
    lines.append("")
    for section in document.sections:
        lines += _section(section)
    return "\n".join(lines).rstrip() + "\n"
