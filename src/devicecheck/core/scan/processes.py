"""Running processes against the indicators: names, executable paths and command lines.

The processes come as rows from `core.system_reading` (psutil, every field in one pass). A process
that vanishes is skipped; one whose details are denied is still matched on what could be read,
and counted under not_examined.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from devicecheck.core.clock import utc_iso
from devicecheck.core.scan.findings import (
    Finding,
    NotExamined,
    ProcessInfo,
    access_denied_reason,
    confidence_for,
    make_finding,
    strongest_first,
)
from devicecheck.core.scan.matching import Matcher, basename, by_app, windows_paths
from devicecheck.core.system_reading import Rows, read_process_row, read_process_rows

_CHUNK = 1024 * 1024
_hash_cache: dict[tuple[str, int, int], str] = {}


def sha256_of_file(path: str | None) -> str | None:
    """SHA-256 of a file, read in chunks; remembered by (path, size, mtime). None if unreadable."""
    if not path:
        return None
    try:
        status = os.stat(path)
        key = (path, status.st_size, status.st_mtime_ns)
        if key in _hash_cache:
            return _hash_cache[key]
        import hashlib  # only for a matched process: loading OpenSSL costs milliseconds

        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    except OSError:
        return None
    _hash_cache[key] = digest.hexdigest()
    return _hash_cache[key]


def process_from_row(row: tuple) -> ProcessInfo:
    """A ProcessInfo from a row of `core.system_reading` (PROCESS_FIELDS in order)."""
    pid, name, exe, cmdline, username, created, ppid = row
    return ProcessInfo(
        pid=pid,
        name=name,
        exe=exe,
        cmdline=cmdline,
        username=username,
        started_at=utc_iso(created) if created is not None else None,
        ppid=ppid,
    )


def processes_from_rows(rows: Rows) -> tuple[list[ProcessInfo], list[NotExamined]]:
    """The processes a reading saw, and what could not be read about them."""
    return [process_from_row(row) for row in rows.processes], _denied_problems(rows.denied)


def observe_processes() -> tuple[list[ProcessInfo], list[NotExamined]]:
    """Every running process, read here in one pass, and what could not be read about them."""
    rows, denied = read_process_rows()
    return [process_from_row(row) for row in rows], _denied_problems(denied)


def read_process(pid: int) -> ProcessInfo | None:
    """One process (one that started after the list was taken); None if it has gone."""
    row = read_process_row(pid)
    return process_from_row(row) if row is not None else None


def _denied_problems(denied: int) -> list[NotExamined]:
    not_examined = []
    if denied:
        not_examined.append(
            NotExamined(
                "program path or command line of some processes",
                access_denied_reason(),
                denied,
            )
        )
    return not_examined


def check_processes(
    matcher: Matcher,
    processes: Iterable[ProcessInfo],
    *,
    hasher: Callable[[str | None], str | None] = sha256_of_file,
    progress: Callable[[int], None] | None = None,
) -> list[Finding]:
    """One finding per (process, app) that matched; the executable's SHA-256 is added.
    (The engine then makes it one finding per process: `findings.one_per_thing`.)"""
    findings: list[Finding] = []
    for done, process in enumerate(processes, start=1):
        findings.extend(_process_findings(matcher, process, hasher))
        if progress is not None and done % 50 == 0:
            progress(done)
    return findings


def _process_findings(
    matcher: Matcher, process: ProcessInfo, hasher: Callable[[str | None], str | None]
) -> list[Finding]:
    first_argument = process.cmdline[0] if process.cmdline else ""
    matches = [
        *matcher.names(process.name, basename(process.exe or ""), basename(first_argument)),
        *matcher.path(process.exe),
        *matcher.cmdline(process.cmdline),
    ]
    for windows_path in windows_paths(process.exe, first_argument):  # Wine, `C:\...` argv
        matches += [m for m in matcher.path(windows_path) if m not in matches]
    if not matches:
        return []
    hashed = process._replace(exe_sha256=hasher(process.exe))
    findings = []
    for app_number, app_matches in by_app(matches).items():
        ordered = strongest_first(app_matches)
        fields = {match.field for match in ordered}
        name = next((m.indicator for m in ordered if m.field == "process_names"), "")
        findings.append(
            make_finding(
                matcher.indicators,
                matcher.indicators.apps[app_number],
                kind="process",
                matches=ordered,
                confidence=confidence_for(fields, name),
                process=hashed,
            )
        )
    return findings
