"""The report as one self-contained HTML file: inline CSS, no scripts, nothing fetched.

Every piece of text from the session or the log goes through `html.escape`; links are never
made from user text, so the only markup is the report's own.
"""

from __future__ import annotations

from html import escape

from devicecheck.core.report.layout import Document, Field, Record, Section

STYLE = """
body { font-family: "DejaVu Sans", "Noto Sans", Arial, sans-serif; font-size: 11pt;
       line-height: 1.4; color: #111; max-width: 60rem; margin: 1.5rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; border-bottom: 2px solid #333; margin-top: 1.8rem; }
h3 { font-size: 1rem; margin: 0 0 0.3rem 0; }
.meta { color: #444; }
.banner { border: 2px solid #a00; padding: 0.4rem 0.7rem; font-weight: bold; margin: 0.5rem 0; }
.record { border: 1px solid #bbb; border-left: 6px solid #bbb; padding: 0.5rem 0.8rem;
          margin: 0.6rem 0; break-inside: avoid; page-break-inside: avoid; }
.tone-high { border-left-color: #a00; }
.tone-medium { border-left-color: #c60; }
.tone-low { border-left-color: #888; }
.tone-unsure { border-left-color: #36a; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 0.8rem; margin: 0; }
dt { font-weight: bold; }
dd { margin: 0; overflow-wrap: anywhere; }
.mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 0.9em; }
.text { white-space: pre-wrap; margin: 0.4rem 0 0 0; }
.empty { font-style: italic; color: #444; }
footer { margin-top: 2rem; font-size: 0.85rem; color: #444; }
/* Printing: A4 by default; on Letter paper the browser's print dialog picks Letter and the
   margins below still fit. Records never split across pages; sections start cleanly. */
@page { size: A4; margin: 18mm 15mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .record, .banner { break-inside: avoid; page-break-inside: avoid; }
  #integrity { break-before: page; page-break-before: always; }
}
"""


def _field(field: Field) -> str:
    css = ' class="mono"' if field.mono else ""
    return f"<dt>{escape(field.label)}</dt><dd{css}>{escape(field.value)}</dd>"


def _record(record: Record) -> str:
    tone = f" tone-{escape(record.tone)}" if record.tone else ""
    parts = [f'<div class="record{tone}"><h3>{escape(record.heading)}</h3>']
    if record.fields:
        parts.append("<dl>" + "".join(_field(f) for f in record.fields) + "</dl>")
    if record.text:
        parts.append(f'<p class="text">{escape(record.text)}</p>')
    parts.append("</div>")
    return "".join(parts)


def _section(section: Section) -> str:
    parts = [f'<section id="{escape(section.id)}"><h2>{escape(section.title)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    if section.items:
        parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in section.items) + "</ul>")
    parts += [_record(r) for r in section.records]
    if not section.records and section.empty:
        parts.append(f'<p class="empty">{escape(section.empty)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def render_html(document: Document) -> str:
    banner = "".join(f'<p class="banner">{escape(line)}</p>' for line in document.banner)
    body = "\n".join(_section(s) for s in document.sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(document.title)} ({escape(document.session_id)})</title>"
        f"<style>{STYLE}</style></head><body>\n"
        f"<header><h1>{escape(document.title)}</h1>"
        f'<p class="meta">Session {escape(document.session_id)}. Made {escape(document.generated_at)} '
        "by devicecheck.</p>"
        f"{banner}</header>\n{body}\n"
        "<footer>Made by devicecheck, offline. This file loads nothing from the internet.</footer>"
        "</body></html>\n"
    )
