"""Running processes against the indicators: names, executable paths and command lines.

On Linux the fields are read straight from /proc (`procfs_processes`), the way psutil reads
them but several times faster: psutil spends about 0.3 ms a process on wrappers and repeated
reads, which on a busy computer is most of a scan. Elsewhere psutil is asked for every field
in one pass. A process that vanishes is skipped; one whose details are denied is still matched
on what could be read, and counted under not_examined.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import Any

from devicecheck.core.scan.findings import (
    Finding,
    NotExamined,
    ProcessInfo,
    access_denied_reason,
    confidence_for,
    make_finding,
    strongest_first,
)
from devicecheck.core.scan.matching import Matcher, basename, by_app

PROCESS_ATTRS = ("pid", "name", "exe", "cmdline", "username", "create_time", "ppid")
PROC = "/proc"
_CHUNK = 1024 * 1024
_DENIED = object()
_hash_cache: dict[tuple[str, int, int], str] = {}


def iso_utc(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    # As datetime's isoformat (UTC, to the second) without importing datetime for it.
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(timestamp))


def sha256_of_file(path: str | None) -> str | None:
    """SHA-256 of a file, read in chunks; remembered by (path, size, mtime). None if unreadable."""
    if not path:
        return None
    try:
        status = os.stat(path)
        key = (path, status.st_size, status.st_mtime_ns)
        if key in _hash_cache:
            return _hash_cache[key]
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
    return ProcessInfo(
        pid=int(info["pid"]),
        name=_value(info, "name") or "",
        exe=_value(info, "exe") or None,
        cmdline=tuple(str(part) for part in cmdline),
        username=_value(info, "username"),
        started_at=iso_utc(_value(info, "create_time")),
        ppid=_value(info, "ppid"),
    )


def _use_procfs() -> bool:
    return sys.platform.startswith("linux") and os.path.isdir(f"{PROC}/self")


def observe_processes() -> tuple[list[ProcessInfo], list[NotExamined]]:
    """Every running process, in one pass, and what could not be read about them."""
    processes, denied = procfs_processes() if _use_procfs() else psutil_processes()
    return processes, _denied_problems(denied)


def read_process(pid: int) -> ProcessInfo | None:
    """One process (one that started after the list was taken); None if it has gone."""
    if _use_procfs():
        try:
            return _procfs_process(pid, _boot_time(), os.sysconf("SC_CLK_TCK"), {})[0]
        except _Gone:
            return None
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


# --- Linux: /proc ------------------------------------------------------------------------------


class _Gone(Exception):
    """The process ended while it was being read."""


def procfs_processes() -> tuple[list[ProcessInfo], int]:
    """Every running process from /proc, with the fields psutil would give, and how many had
    their path or command line denied. A zombie (ended, not yet reaped) has neither, and is
    not counted as denied: there is no program left to look at."""
    boot = _boot_time()
    ticks = os.sysconf("SC_CLK_TCK")
    users: dict[int, str | None] = {}
    processes: list[ProcessInfo] = []
    denied = 0
    for entry in os.listdir(PROC):
        if not entry.isdigit():
            continue
        try:
            process, was_denied = _procfs_process(int(entry), boot, ticks, users)
        except _Gone:
            continue
        processes.append(process)
        denied += was_denied
    return processes, denied


def _procfs_process(
    pid: int, boot: float | None, ticks: int, users: dict[int, str | None]
) -> tuple[ProcessInfo, bool]:
    folder = f"{PROC}/{pid}"
    stat = _read_proc(f"{folder}/stat")
    if stat is None:
        raise _Gone
    # The name sits in parentheses and may itself contain spaces and parentheses.
    close = stat.rfind(b")")
    fields = stat[close + 2 :].split()
    if stat is _DENIED_BYTES or close < 0 or len(fields) < 20 or not fields[19].isdigit():
        # Not readable (a /proc mounted with hidepid) or not understood: examined, nothing known.
        unknown = ProcessInfo(pid, "", None, (), None, None)
        return unknown, True
    name = os.fsdecode(stat[stat.find(b"(") + 1 : close])
    zombie = fields[0] == b"Z"
    cmdline = _read_proc(f"{folder}/cmdline")
    if cmdline is None:
        raise _Gone
    exe, exe_denied = (None, False) if zombie else _read_exe(folder)
    cmdline_denied = cmdline is _DENIED_BYTES
    arguments = () if zombie or cmdline_denied else _split_cmdline(cmdline)
    if len(name) >= 15 and arguments:  # the kernel keeps 15 characters; psutil does this too
        extended = os.path.basename(arguments[0])
        if extended.startswith(name):
            name = extended
    process = ProcessInfo(
        pid=pid,
        name=name,
        exe=exe or None,
        cmdline=arguments,
        username=_username(folder, users),
        started_at=iso_utc(boot + int(fields[19]) / ticks) if boot is not None else None,
        ppid=int(fields[1]) if fields[1].isdigit() else None,
    )
    return process, exe_denied or cmdline_denied


_DENIED_BYTES = b"\0denied"  # a marker no /proc file returns as a whole


def _read_proc(path: str) -> bytes | None:
    """The file's bytes; _DENIED_BYTES if not allowed; None if the process has gone."""
    try:
        with open(path, "rb", buffering=0) as handle:
            return handle.readall()
    except (FileNotFoundError, ProcessLookupError):
        return None
    except PermissionError:
        return _DENIED_BYTES


def _read_exe(folder: str) -> tuple[str | None, bool]:
    """The executable's path ("" for a kernel thread) and whether it was denied."""
    try:
        path = os.readlink(f"{folder}/exe")
    except (FileNotFoundError, ProcessLookupError):
        if not os.path.lexists(folder):
            raise _Gone from None
        return "", False
    except OSError:
        return None, True
    path = path.split("\0")[0]
    # The kernel marks a replaced or removed file; psutil drops the mark unless a file of
    # that very name exists.
    if path.endswith(" (deleted)") and not os.path.exists(path):
        path = path[: -len(" (deleted)")]
    return path, False


def _split_cmdline(data: bytes) -> tuple[str, ...]:
    """Arguments separated by NULs; some programs rewrite theirs with spaces (as psutil)."""
    text = os.fsdecode(data)
    if not text:
        return ()
    separator = "\0" if text.endswith("\0") else " "
    if text.endswith(separator):
        text = text[:-1]
    arguments = text.split(separator)
    if separator == "\0" and len(arguments) == 1 and " " in text:
        arguments = text.split(" ")
    return tuple(arguments)


def _username(folder: str, users: dict[int, str | None]) -> str | None:
    """The name of the process's real user (remembered per user id, unlike psutil)."""
    import pwd  # POSIX only, like this reader

    status = _read_proc(f"{folder}/status")
    if not status or status is _DENIED_BYTES:
        return None
    start = status.find(b"\nUid:")
    if start < 0:
        return None
    try:
        uid = int(status[start + 5 :].split(None, 1)[0])
    except (IndexError, ValueError):
        return None
    if uid not in users:
        try:
            users[uid] = pwd.getpwuid(uid).pw_name
        except (KeyError, OverflowError):
            users[uid] = str(uid)
    return users[uid]


def _boot_time() -> float | None:
    data = _read_proc(f"{PROC}/stat")
    if not data or data is _DENIED_BYTES:
        return None
    for line in data.splitlines():
        if line.startswith(b"btime"):
            try:
                return float(line.split()[1])
            except (IndexError, ValueError):
                return None
    return None


def check_processes(
    matcher: Matcher,
    processes: Iterable[ProcessInfo],
    *,
    hasher: Callable[[str | None], str | None] = sha256_of_file,
    progress: Callable[[int], None] | None = None,
) -> list[Finding]:
    """One finding per (process, app) that matched; the executable's SHA-256 is added."""
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
    if not matches:
        return []
    hashed = replace(process, exe_sha256=hasher(process.exe))
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
