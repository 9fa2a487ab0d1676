"""Reports: a session and the evidence log as HTML, PDF, Markdown or plain text.

`write_report` is the one entry point the CLI and the TUI call. It checks consent (a caseworker
session needs the client's "given" consent for the report step), gathers everything once
(`model.build_report`, redaction included), lays it out once (`layout.layout`), renders the
chosen format and writes the file atomically with mode 0600. A log that fails its check still
gets its report (with the alert on every page); `write_checked_report` says whether it did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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

__all__ = [
    "FORMATS",
    "ReportData",
    "WrittenReport",
    "build_report",
    "render",
    "write_checked_report",
    "write_report",
]


@dataclass(frozen=True)
class WrittenReport:
    path: Path
    intact: bool  # False: the evidence log failed its check (the report says so on every page)
    data: ReportData


def render(data: ReportData, fmt: str) -> bytes:
    """The report in one format, as the bytes of the file."""
    return render_document(layout(data), fmt)


def render_document(document: Document, fmt: str) -> bytes:
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


def check_output(output: Path, data_dir: DataDir | None = None) -> Path:
    """Where a report or pack may be written: a file in a folder that exists, and never over
    what devicecheck keeps (inside the data folder only its `reports` folder is allowed, so a
    slip of the keyboard cannot write a report over the evidence log or a session)."""
    output = Path(output).expanduser()
    if output.is_dir():
        raise DeviceCheckError(f"{output} is a folder; give a file name")
    if not output.parent.is_dir():
        raise DeviceCheckError(f"folder {output.parent} does not exist; create it first")
    if data_dir is not None:
        root = data_dir.root.resolve()
        target = output.resolve()
        if target.is_relative_to(root) and not target.is_relative_to(root / "reports"):
            raise DeviceCheckError(
                f"{output} is inside devicecheck's data folder ({data_dir.root}), where the "
                "evidence is kept: choose a place outside it"
            )
    return output


def write_checked_report(
    data_dir: DataDir,
    session: Session,
    fmt: str,
    output: Path,
    *,
    region: Region | None = None,
    redact: bool = False,
    redact_also: Sequence[str] = (),
    include_unsessioned: bool = False,
) -> WrittenReport:
    """Write the session's report to `output` (0600, atomically); say whether the log was intact."""
    if fmt not in FORMATS:
        raise DeviceCheckError(f"report format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    require_consent(session, "report")
    output = check_output(output, data_dir)
    data = build_report(
        data_dir,
        session,
        region=region,
        redact=redact or bool(redact_also),
        redact_also=redact_also,
        include_unsessioned=include_unsessioned,
    )
    atomic_write(output, render(data, fmt))
    return WrittenReport(output, data.integrity.ok, data)


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
    return write_checked_report(data_dir, session, fmt, output, region=region, redact=redact).path
