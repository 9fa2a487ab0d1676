"""`devicecheck pack`: one zip a survivor or caseworker can hand to the police or a solicitor.

Layout (docs/architecture.md, README):
- `report.pdf`, `report.html`: the session's report (redacted when asked);
- `evidence/log.jsonl`: the stored lines of the entries in scope, byte for byte;
- `evidence/manifest.json`: how the pack was cut, and every entry of the whole log by seq,
  prev and hash, so the pack's entries can be checked against their place in the chain;
- `evidence/files/<sha256>`: the attachments of those entries;
- `verify.py`: the pack's checker (`pack_verify.py`), plain python3, which uses the evidence
  log's own standalone verifier shipped beside it as `standalone_verify.py`;
- `README.txt`: for the officer: what this is, how it was made, how to check it, who to contact.

A redacted pack holds the redacted reports and the manifest but no log lines and no files: the
log cannot be redacted without breaking its fingerprints, and a file's content may name anyone.

The zip is written to a temporary file beside the target (0600), fsync'd and renamed into place,
so a crash leaves no half pack. Attachments are streamed into it a chunk at a time, so no more
than one chunk of one file is held in memory.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from devicecheck import __version__
from devicecheck.core.casework import require_consent
from devicecheck.core.datadir import DataDir
from devicecheck.core.dates import format_moment
from devicecheck.core.files import atomic_writer
from devicecheck.core.helplines import Region
from devicecheck.core.report import check_output, render_document
from devicecheck.core.report.evidence_files import StoredFiles
from devicecheck.core.report.layout import layout
from devicecheck.core.report.model import ReportData, build_report
from devicecheck.core.sessions import Session

MANIFEST_FORMAT = 1


@dataclass(frozen=True)
class WrittenPack:
    path: Path
    intact: bool
    entries: int  # entries in the pack
    total: int  # entries in the whole log
    files: int


@dataclass(frozen=True)
class _Cut:
    lines: list[bytes]  # the stored lines in scope, each with its newline
    chain: list[list[Any]]  # [seq, prev, hash] of every entry of the log
    included: list[int]
    files: dict[str, str]  # sha256 -> the name it was attached as


def write_pack(
    data_dir: DataDir,
    session: Session,
    output: Path,
    *,
    region: Region | None = None,
    redact: bool = False,
    redact_also: Sequence[str] = (),
    include_unsessioned: bool = False,
) -> WrittenPack:
    require_consent(session, "report")
    output = check_output(output, data_dir)
    redact = redact or bool(redact_also)
    data = build_report(
        data_dir,
        session,
        region=region,
        redact=redact,
        redact_also=redact_also,
        include_unsessioned=include_unsessioned,
    )
    cut = _cut(data_dir, session, include_unsessioned, keep_content=not redact)
    manifest = _manifest(session, data, cut, include_unsessioned, redact)
    document = layout(data)
    listed = {
        "README.txt": _readme(data, cut, redact, manifest["cut"]).encode("utf-8"),
        "standalone_verify.py": _package_file("core/evidence/standalone_verify.py"),
        "report.pdf": render_document(document, "pdf"),
        "report.html": render_document(document, "html"),
    }
    manifest["files"] = {name: hashlib.sha256(body).hexdigest() for name, body in listed.items()}
    with (
        atomic_writer(output) as handle,
        zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as pack,
    ):
        pack.writestr("verify.py", _package_file("core/report/pack_verify.py"))
        for name, body in listed.items():
            pack.writestr(name, body)
        pack.writestr("evidence/manifest.json", json.dumps(manifest, indent=1) + "\n")
        pack.writestr("evidence/log.jsonl", b"".join(cut.lines))
        stored = StoredFiles(data_dir) if cut.files else None
        for sha256 in cut.files:
            _stream_file(pack, stored, sha256)
    return WrittenPack(output, data.integrity.ok, len(cut.included), len(cut.chain), len(cut.files))


def _cut(
    data_dir: DataDir, session: Session, include_unsessioned: bool, *, keep_content: bool
) -> _Cut:
    """The lines in scope, exactly as stored, and the seq/prev/hash of every entry."""
    from devicecheck.core.evidence import EvidenceLog, LogLineError, parse_line
    from devicecheck.core.report.model import log_exists

    if not log_exists(data_dir):
        return _Cut([], [], [], {})
    with EvidenceLog(data_dir) as log:
        raw = log.complete_lines()
    stored = StoredFiles(data_dir)
    cut = _Cut([], [], [], {})
    for number, line in enumerate(raw.split(b"\n")[:-1], 1):
        try:
            entry = parse_line(line, line_number=number)
        except LogLineError:
            continue  # verify names it; the manifest's chain then shows the gap
        cut.chain.append([entry.seq, entry.prev, entry.hash])
        in_scope = entry.session == session.id or (include_unsessioned and not entry.session)
        if not (in_scope and keep_content):
            continue
        cut.lines.append(line + b"\n")
        cut.included.append(entry.seq)
        for record in _attached(entry):
            sha256 = record.get("sha256")
            if isinstance(sha256, str) and stored.has(sha256):
                cut.files.setdefault(sha256, str(record.get("name", "")))
    return cut


def _attached(entry: Any) -> list[dict[str, Any]]:
    if entry.kind == "attachment":
        return [entry.data]
    if entry.kind == "incident":
        return [r for r in entry.data.get("attachments") or () if isinstance(r, dict)]
    return []


def _stream_file(pack: zipfile.ZipFile, stored: StoredFiles | None, sha256: str) -> None:
    if stored is None:
        return
    info = zipfile.ZipInfo(f"evidence/files/{sha256}")
    info.compress_type = zipfile.ZIP_STORED  # photos and PDFs are compressed already
    info.external_attr = (0o600 & 0xFFFF) << 16
    with pack.open(info, "w", force_zip64=True) as target:
        for chunk in stored.chunks(sha256):
            target.write(chunk)


def _package_file(path: str) -> bytes:
    return resources.files("devicecheck").joinpath(path).read_bytes()


def _cut_words(session: Session, include_unsessioned: bool, redact: bool) -> str:
    if redact:
        return (
            f"redacted copy for session {session.id}: no log entries and no files, only the "
            "fingerprint (hash) of every entry"
        )
    words = f"the entries of session {session.id}"
    if include_unsessioned:
        words += " and the entries recorded outside any session"
    return words


def _manifest(
    session: Session, data: ReportData, cut: _Cut, include_unsessioned: bool, redact: bool
) -> dict[str, Any]:
    receipt = data.integrity.receipt
    return {
        "format": MANIFEST_FORMAT,
        "made_by": f"devicecheck {__version__}",
        "made_at": data.generated_at,
        "session": session.id,
        "cut": _cut_words(session, include_unsessioned, redact),
        "redacted": redact,
        "log_entries": len(cut.chain),
        "included": cut.included,
        "chain": cut.chain,
        "log_intact_when_packed": data.integrity.ok,
        "receipt": {"seq": receipt.seq, "head_hash": receipt.head_hash} if receipt else None,
    }


def _readme(data: ReportData, cut: _Cut, redact: bool, cut_words: str) -> str:
    made = format_moment(data.generated_at, data.region_code)
    details = data.session
    contact = "the person who gave you this pack"
    if details.mode == "caseworker" and not redact:
        contact = f"{details.caseworker}, {details.organisation}"
        if details.client_ref:
            contact += f" (client reference {details.client_ref})"
    elif details.mode == "caseworker" and details.organisation:
        contact = f"the caseworker at {details.organisation} who gave you this pack"
    receipt = data.integrity.receipt
    state = (
        "The evidence log checked out as intact when this pack was made."
        if data.integrity.ok
        else "WARNING: THE EVIDENCE LOG HAD BEEN ALTERED when this pack was made "
        f"({data.integrity.first_bad}). See the report's integrity section."
    )
    lines = [
        "EVIDENCE PACK: technology-facilitated stalking and abuse",
        "",
        "What this is",
        f"  A record made with devicecheck {__version__}, a self-check tool for people who",
        "  may be watched through their phones, computers and accounts. It holds a report",
        *(
            (
                "  (report.pdf, the same in report.html), redacted; the evidence behind it stays",
                "  with the case.",
            )
            if redact
            else ("  (report.pdf, the same in report.html) and the evidence behind it.",)
        ),
        "",
        "How it was made",
        f"  Made {made}, for session {details.id}.",
        f"  Cut: {cut_words}.",
    ]
    lines.append(
        f"  Contents: {len(cut.included)} of the evidence log's {len(cut.chain)} entries, "
        f"and {len(cut.files)} attached file(s)."
    )
    if redact:
        lines.append(
            "  This is a REDACTED copy: the reports leave out names, references, device and"
        )
        lines.append(
            "  file names. The log entries and files are not included (they cannot be redacted"
        )
        lines.append("  without breaking their fingerprints); the full pack stays with the case.")
    lines += [
        f"  {state}",
        "  Exported packs are not encrypted: keep this file somewhere safe.",
        "",
        "How to check it",
        "  Unzip it, then in the folder run:   python3 verify.py",
        "  (plain Python 3; nothing else is needed and nothing is sent anywhere).",
        "  It says INTACT and exits 0, or NOT INTACT and names the first problem, exiting 1.",
        "  It checks that each entry's fingerprint (SHA-256) matches its content, that each",
        "  entry sits where it should in the log's chain of fingerprints, that each",
        "  attached file matches the fingerprint recorded for it, that the reports and this",
        "  README are the ones made with the pack, and that no file was added. It can also",
        "  check the zip itself:   python3 verify.py PACK.zip",
    ]
    if receipt:
        lines += [
            f"  Receipt when packed: entry {receipt.seq}, hash {receipt.head_hash}",
            "  If the person or their caseworker kept a receipt elsewhere (written down or sent),",
            "  it should match. On the computer holding the log, the full log is checked with:",
            f"    devicecheck log verify --receipt {receipt.short_form}",
        ]
    lines += [
        "",
        "Who to contact",
        f"  {contact}.",
        "",
    ]
    return "\n".join(lines)
