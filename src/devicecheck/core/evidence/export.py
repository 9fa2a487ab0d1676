"""Exports for a caseworker's case system: the log as JSON Lines (byte for byte) or CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from devicecheck.core.evidence.entries import Entry
from devicecheck.core.evidence.log import EvidenceLog
from devicecheck.core.files import atomic_write
from devicecheck.errors import DeviceCheckError

EXPORT_FORMATS: tuple[str, ...] = ("jsonl", "csv")
CSV_COLUMNS: tuple[str, ...] = (
    "seq",
    "id",
    "recorded_at",
    "kind",
    "session",
    "author",
    "summary",
    "data",
    "hash",
    "prev",
)
# A spreadsheet would run a cell starting with one of these as a formula; process names and
# command lines from a scan come from the monitoring software's author.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def export_log(log: EvidenceLog, fmt: str, output: Path) -> int:
    """Write the log to `output` (0600, replaced atomically); return how many entries."""
    if fmt == "jsonl":
        data = log.complete_lines()
        count = data.count(b"\n")
    elif fmt == "csv":
        entries = log.read().entries
        data = entries_to_csv(entries).encode("utf-8")
        count = len(entries)
    else:
        raise DeviceCheckError(f"export format must be one of {', '.join(EXPORT_FORMATS)}")
    atomic_write(Path(output), data)
    return count


def entries_to_csv(entries: tuple[Entry, ...] | list[Entry]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.seq,
                entry.id,
                entry.recorded_at,
                entry.kind,
                _cell(entry.session or ""),
                _cell(entry.author),
                _cell(summarise(entry)),
                json.dumps(entry.data, ensure_ascii=False, sort_keys=True),
                entry.hash,
                entry.prev,
            ]
        )
    return buffer.getvalue()


def _cell(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def summarise(entry: Entry) -> str:
    """One line a person can read in a list or a spreadsheet."""
    data = entry.data
    summary = _SUMMARIES.get(entry.kind, _generic)(data)
    return " ".join(str(summary).split())


def _incident(data: dict[str, Any]) -> str:
    parts = [str(data.get("what", ""))]
    if data.get("when"):
        parts.append(f"(happened {data['when']})")
    if data.get("how"):
        parts.append(f"[{data['how']}]")
    files = data.get("attachments") or []
    if files:
        parts.append(f"+{len(files)} file(s)")
    return " ".join(parts)


def _attachment(data: dict[str, Any]) -> str:
    note = f": {data['note']}" if data.get("note") else ""
    return f"file {data.get('name', '?')} ({data.get('size', '?')} bytes){note}"


def _finding(data: dict[str, Any]) -> str:
    if data.get("origin") == "checklist":
        return (
            f"checklist: {data.get('title') or data.get('item_id', '')} - {data.get('answer', '')}"
        )
    what = data.get("app") or data.get("title") or data.get("kind") or "finding"
    severity = f" ({data['severity']})" if data.get("severity") else ""
    return f"scan: {what}{severity}"


def _scan(data: dict[str, Any]) -> str:
    return (
        f"scan on {data.get('host', 'this computer')}: {data.get('finding_count', '?')} finding(s)"
    )


def _amendment(data: dict[str, Any]) -> str:
    return f"correction to entry {data.get('amends_seq', '?')}: {data.get('note', '')}"


def _repair(data: dict[str, Any]) -> str:
    return (
        f"incomplete last line ({data.get('size', '?')} bytes) set aside in "
        f"{data.get('quarantined', '?')}"
    )


def _generic(data: dict[str, Any]) -> str:
    for key in ("text", "note", "title", "summary", "what"):
        if data.get(key):
            return str(data[key])
    return json.dumps(data, ensure_ascii=False, sort_keys=True)[:120]


_SUMMARIES = {
    "note": lambda data: str(data.get("text", "")),
    "incident": _incident,
    "attachment": _attachment,
    "finding": _finding,
    "scan": _scan,
    "amendment": _amendment,
    "repair": _repair,
}
