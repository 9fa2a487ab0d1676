"""The report as one self-contained HTML file: inline CSS, no scripts, nothing fetched.

Every piece of text from the session or the log goes through `html.escape`; links are never
made from user text, so the only markup is the report's own. Thumbnails are inline `data:`
JPEGs the report made itself, and a Content-Security-Policy allows nothing else to load.
Printing: CSS paged media puts "page N of M" and the session in the page margins (browsers
that support margin boxes then print these instead of their own header with the file's URL).
"""

from __future__ import annotations

import base64
from html import escape

from devicecheck.core.report.layout import Document, Field, Image, Record, Section, Table

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"

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
.alert { background: #a00; color: #fff; padding: 0.5rem 0.8rem; font-weight: bold; }
table.diary { border-collapse: collapse; width: 100%; font-size: 0.9em; }
table.diary th, table.diary td { border: 1px solid #999; padding: 0.2rem 0.35rem;
                                 vertical-align: top; text-align: start; }
table.diary tr.altered td { background: #fdd; }
figure { display: inline-block; margin: 0.4rem 0.8rem 0 0; }
figure img { max-width: 240px; max-height: 240px; border: 1px solid #999; }
figcaption { font-size: 0.8em; color: #444; overflow-wrap: anywhere; max-width: 240px; }
/* Printing: A4 by default; on Letter paper the browser's print dialog picks Letter and the
   margins below still fit. Records never split across pages; sections start cleanly. */
@page { size: A4; margin: 18mm 15mm;
        @top-left { content: ""; } @top-right { content: ""; }
        @bottom-center { content: "page " counter(page) " of " counter(pages); font-size: 8pt; }
        @bottom-left { content: ""; } @bottom-right { content: ""; } }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  .record, .banner, #integrity, #statement, tr { break-inside: avoid; page-break-inside: avoid; }
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
    parts += [_image(image) for image in record.images]
    parts.append("</div>")
    return "".join(parts)


def _image(image: Image) -> str:
    data = base64.b64encode(image.jpeg).decode("ascii")
    caption = escape(image.caption)
    return (
        f'<figure><img src="data:image/jpeg;base64,{data}" alt="{caption}">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _table(table: Table) -> str:
    head = "".join(f"<th>{escape(c)}</th>" for c in table.columns)
    rows = []
    for number, row in enumerate(table.rows):
        marked = table.marked[number] if number < len(table.marked) else False
        css = ' class="altered"' if marked else ""
        rows.append(f"<tr{css}>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>")
    return (
        f'<table class="diary"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _section(section: Section) -> str:
    parts = [f'<section id="{escape(section.id)}"><h2>{escape(section.heading)}</h2>']
    parts += [f"<p>{escape(p)}</p>" for p in section.paragraphs]
    if section.items:
        parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in section.items) + "</ul>")
    has_table = section.table is not None and bool(section.table.rows)
    if has_table:
        parts.append(_table(section.table))
    parts += [_record(r) for r in section.records]
    if not section.records and not section.items and not has_table and section.empty:
        parts.append(f'<p class="empty">{escape(section.empty)}</p>')
    parts.append("</section>")
    return "\n".join(parts)


def render_html(document: Document) -> str:
    banner = "".join(
        f'<p class="{"alert" if line == document.alert else "banner"}">{escape(line)}</p>'
        for line in document.banner
    )
    body = "\n".join(_section(s) for s in document.sections)
    style = STYLE
    if document.alert:  # our own words (no quotes), printed at the top of every page
        style += f'@page {{ @top-center {{ content: "{document.alert}"; color: #a00; }} }}\n'
    alert = f'<p class="alert">{escape(document.alert)}</p>' if document.alert else ""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(document.title)} ({escape(document.session_id)})</title>"
        f"<style>{style}</style></head><body>\n"
        f"<header><h1>{escape(document.title)}</h1>"
        f'<p class="meta">Session {escape(document.session_id)}. Made {escape(document.generated_at)} '
        "by devicecheck.</p>"
        f"{banner}</header>\n{body}\n"
        f"<footer>{alert}Made by devicecheck, offline. This file loads nothing from the internet.</footer>"
        "</body></html>\n"
    )
