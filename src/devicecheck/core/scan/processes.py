"""Running processes against the indicators: names, executable paths and command lines.

psutil is asked for every field in one pass. A process that vanishes is skipped; one whose
details are denied is still matched on what could be read, and counted under not_examined.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

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

PROCESS_ATTRS = ("pid", "name", "exe", "cmdline", "username", "create_time", "ppid")
_CHUNK = 1024 * 1024
_DENIED = object()
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


def _value(info: dict[str, Any], name: str) -> Any:
    value = info.get(name)
    return None if value is _DENIED else value


def process_from_info(info: dict[str, Any]) -> ProcessInfo:
    """A ProcessInfo from psutil's `info` dict (denied fields become None or empty)."""
    cmdline = _value(info, "cmdline") or ()
    created = _value(info, "create_time")
    return ProcessInfo(
        pid=int(info["pid"]),
        name=_value(info, "name") or "",
        exe=_value(info, "exe") or None,
        cmdline=tuple(str(part) for part in cmdline),
        username=_value(info, "username"),
        started_at=utc_iso(created) if created is not None else None,
        ppid=_value(info, "ppid"),
    )


def observe_processes() -> tuple[list[ProcessInfo], list[NotExamined]]:
    """Every running process, in one pass, and what could not be read about them."""
    processes, denied = psutil_processes()
    return processes, _denied_problems(denied)


def read_process(pid: int) -> ProcessInfo | None:
    """One process (one that started after the list was taken); None if it has gone."""
    import psutil

    try:
        info = psutil.Process(pid).as_dict(list(PROCESS_ATTRS), ad_value=_DENIED)
    except psutil.Error:
        return None
    return process_from_info(info)


def psutil_processes() -> tuple[list[ProcessInfo], int]:
    """Every running process through psutil, and how many had their path or command denied."""
    import psutil

    processes: list[ProcessInfo] = []
    denied = 0
    for process in psutil.process_iter(PROCESS_ATTRS, ad_value=_DENIED):
        try:
            info = process.info
        except psutil.Error:  # gone between listing and reading: nothing to examine
            continue
        if info.get("exe") is _DENIED or info.get("cmdline") is _DENIED:
            denied += 1
        processes.append(process_from_info(info))
    return processes, denied


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
