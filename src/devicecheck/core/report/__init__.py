"""Reports: a session and the evidence log as HTML, PDF, Markdown or plain text.

`write_report` is the one entry point the CLI and the TUI call. It checks consent (a caseworker
session needs the client's "given" consent for the report step), gathers everything once
(`model.build_report`, redaction included), lays it out once (`layout.layout`), renders the
chosen format and writes the file atomically with mode 0600.
"""

from __future__ import annotations

from pathlib import Path

from devicecheck.core.casework import require_consent
from devicecheck.core.datadir import DataDir
from devicecheck.core.files import atomic_write
from devicecheck.core.helplines import Region
from devicecheck.core.report.layout import Document, layout
from devicecheck.core.report.model import ReportData, build_report
from devicecheck.core.sessions import Session
from devicecheck.errors import DeviceCheckError

FORMATS = ("html", "pdf", "md", "txt")

__all__ = ["FORMATS", "ReportData", "build_report", "render", "write_report"]


def render(data: ReportData, fmt: str) -> bytes:
    """The report in one format, as the bytes of the file."""
    document: Document = layout(data)
    if fmt == "html":
        from devicecheck.core.report.html import render_html

        return render_html(document).encode("utf-8")
    if fmt == "md":
        from devicecheck.core.report.markdown import render_markdown

        return render_markdown(document).encode("utf-8")
    if fmt == "txt":
        from devicecheck.core.report.text import render_text

        return render_text(document).encode("utf-8")
    if fmt == "pdf":
        from devicecheck.core.report.pdf import render_pdf

        return render_pdf(document)
    raise DeviceCheckError(f"report format must be one of {', '.join(FORMATS)}, not {fmt!r}")


def write_report(
    data_dir: DataDir,
    session: Session,
    fmt: str,
    output: Path,
    *,
    region: Region | None = None,
    redact: bool = False,
) -> Path:
    """Write the session's report to `output` (0600, atomically) and return the path written."""
    if fmt not in FORMATS:
        raise DeviceCheckError(f"report format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    require_consent(session, "report")
    output = Path(output).expanduser()
    if output.is_dir():
        raise DeviceCheckError(f"{output} is a folder; give a file name for the report")
    if not output.parent.is_dir():
        raise DeviceCheckError(f"folder {output.parent} does not exist; create it first")
    payload = render(build_report(data_dir, session, region=region, redact=redact), fmt)
    atomic_write(output, payload)
    return output
