"""The whole scan: processes, connections, start-up entries, then the extra checks; and saving it.

`begin_scan` starts reading the processes and connections (`core.system_reading`: in a child
process where that is safe, so the reading runs on another core while this process loads the
indicators and reads the start-up entries); `finish` checks everything and reports it in the
order above. Then every check of `core.scan.checks.checks_for(platform)` runs, each given a
`ScanContext`, and what each returns is merged into the result.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from devicecheck.core.clock import utc_iso, utc_now
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.autostart import AutostartRoots, check_autostart, collect_autostart
from devicecheck.core.scan.baseline import record_baseline
from devicecheck.core.scan.checks import Check, checks_for, stage_name
from devicecheck.core.scan.connections import check_connections, connections_from_rows
from devicecheck.core.scan.coverage import complete_coverage, core_coverage, detectable_products
from devicecheck.core.scan.findings import (
    LIMITS,
    CheckOutcome,
    Finding,
    NotExamined,
    ScanContext,
    ScanResult,
    one_per_thing,
)
from devicecheck.core.scan.help_words import keep_cache_in
from devicecheck.core.scan.matching import Matcher
from devicecheck.core.scan.processes import (
    check_processes,
    processes_from_rows,
    read_process,
    sha256_of_file,
)
from devicecheck.core.system_reading import Reading, start_reading

if TYPE_CHECKING:
    from pathlib import Path

    from devicecheck.core.datadir import DataDir
    from devicecheck.core.evidence import Entry, EvidenceLog
    from devicecheck.core.sessions import Session, SessionStore

STAGES = ("processes", "connections", "autostart")


class ScanObserver(Protocol):
    def stage_started(self, stage: str, total: int) -> None: ...

    def advanced(self, stage: str, done: int) -> None: ...


class ScanInProgress:
    """A scan whose reading of processes and connections has begun (`core.system_reading`),
    so that the caller can load its indicators meanwhile. `finish` does the rest; `abandon`
    lets the reading go when the scan will not finish."""

    def __init__(self, reading: Reading | None = None) -> None:
        self._reading = reading if reading is not None else start_reading()
        self.started_at = utc_iso(self._reading.started)

    def abandon(self) -> None:
        self._reading.abandon()

    def finish(
        self,
        indicators: IndicatorSet,
        observer: ScanObserver | None = None,
        *,
        autostart_roots: AutostartRoots | None = None,
        platform: str | None = None,
        region: str | None = None,
        data_dir: DataDir | None = None,
        home: Path | None = None,
        checks: list[Check] | None = None,
    ) -> ScanResult:
        """Processes, connections, start-up entries, then `checks` (default: `checks_for(platform)`).

        `region` words the advice (its help lines); `data_dir` is where a check may keep or
        read what it needs (None: nothing kept); `home` is the person's home folder.
        """
        platform = platform or sys.platform
        keep_cache_in(data_dir)  # the advice's help words, compiled once (core.scan.help_words)
        matcher = Matcher(indicators, platform)
        # What needs no processes is done while they are still being read.
        collected = collect_autostart(platform, autostart_roots)
        autostart_findings = check_autostart(matcher, collected.entries)
        sources = indicator_summary(indicators)
        rows = self._reading.rows()
        not_examined: list[NotExamined] = []

        processes, problems = processes_from_rows(rows)
        not_examined += problems
        _started(observer, "processes", len(processes))
        findings = check_processes(matcher, processes, progress=_progress(observer, "processes"))
        _advanced(observer, "processes", len(processes))

        connections, problems = connections_from_rows(rows)
        not_examined += problems
        _started(observer, "connections", len(connections))
        by_pid = {process.pid: process for process in processes}
        findings += check_connections(
            matcher, connections, lambda pid: by_pid.get(pid) or read_process(pid), sha256_of_file
        )
        _advanced(observer, "connections", len(connections))

        not_examined += collected.not_examined()
        _started(observer, "autostart", len(collected.entries))
        findings += autostart_findings
        _advanced(observer, "autostart", len(collected.entries))
        findings = one_per_thing(findings, region)

        examined = {
            "processes": len(processes),
            "connections": len(connections),
            "autostart_entries": len(collected.entries),
        }
        coverage = core_coverage(examined)
        context = ScanContext(
            processes=tuple(processes),
            platform=platform,
            home=home if home is not None else _home(),
            indicators=indicators,
            data_dir=data_dir,
            region=region,
            connections=tuple(connections),
            autostart_entries=tuple(collected.entries),
            findings=tuple(findings),
        )
        for check in checks_for(platform) if checks is None else checks:
            outcome = _run_check(check, context, observer)
            findings += outcome.findings
            for key, count in outcome.examined.items():
                examined[key] = examined.get(key, 0) + count
            not_examined += outcome.not_examined
            coverage += outcome.coverage
        used = complete_coverage(indicators, coverage)
        # Only the products this scan could have found here count as "checked against".
        examined["indicator_apps"] = detectable_products(indicators, used, platform)
        examined["indicator_apps_loaded"] = len(indicators.apps)

        return ScanResult(
            started_at=self.started_at,
            finished_at=utc_now(),
            host=_host_name(),
            platform=_describe_system(platform),
            findings=tuple(sorted(findings, key=_finding_order)),
            examined=examined,
            not_examined=tuple(not_examined),
            indicators=sources,
            limits=LIMITS,
            coverage=used,
        )


def begin_scan(reading: Reading | None = None) -> ScanInProgress:
    """Start reading this computer (call before loading the indicators, to overlap the two);
    `reading` is one the caller has already started (`core.system_reading.start_reading`)."""
    return ScanInProgress(reading)


def run_scan(
    indicators: IndicatorSet,
    observer: ScanObserver | None = None,
    *,
    autostart_roots: AutostartRoots | None = None,
    platform: str | None = None,
    region: str | None = None,
    data_dir: DataDir | None = None,
    home: Path | None = None,
    checks: list[Check] | None = None,
) -> ScanResult:
    """Scan this computer against `indicators`. Reads only; changes nothing; sends nothing."""
    return begin_scan().finish(
        indicators,
        observer,
        autostart_roots=autostart_roots,
        platform=platform,
        region=region,
        data_dir=data_dir,
        home=home,
        checks=checks,
    )


def _run_check(check: Check, context: ScanContext, observer: ScanObserver | None) -> CheckOutcome:
    """One extra check; one that fails is listed as not examined, with its error, not raised."""
    stage = stage_name(check)
    _started(observer, stage, 1)
    try:
        outcome = check(context)
    except Exception as error:  # a check's fault must not cost the person the whole scan
        reason = f"the check failed ({type(error).__name__}: {error})"
        outcome = CheckOutcome(not_examined=(NotExamined(stage.replace("_", " "), reason),))
    _advanced(observer, stage, 1)
    return outcome


def _home() -> Path:
    from pathlib import Path

    return Path.home()


def _host_name() -> str:
    """What socket.gethostname() says; os.uname has it without importing socket (POSIX)."""
    uname = getattr(os, "uname", None)
    if uname is None:
        import socket

        return socket.gethostname()
    return uname().nodename


def _describe_system(platform: str) -> str:
    uname = getattr(os, "uname", None)  # not on Windows; `platform` costs 10 ms to import
    if uname is None:
        return platform
    details = uname()
    return f"{details.sysname} {details.release}"


def indicator_summary(indicators: IndicatorSet) -> tuple[dict[str, Any], ...]:
    counts = indicators.counts()
    return tuple(
        {
            "id": source.id,
            "name": source.name,
            "version": source.version,
            "kind": source.kind,
            "licence": source.licence,
            **counts.get(source.id, {"apps": 0}),
        }
        for source in indicators.sources
    )


_SEVERITY_ORDER = {"high": 0, "medium": 1}
_CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}


def _finding_order(finding: Finding) -> tuple:
    # The last key breaks ties the order of /proc/net (or of psutil's set) would otherwise
    # decide: a finding that names its program before one that cannot (a closed connection).
    return (
        _SEVERITY_ORDER.get(finding.severity, 2),
        _CONFIDENCE_ORDER.get(finding.confidence, 3),
        finding.app.lower(),
        finding.kind,
        finding.process is None,
    )


def _started(observer: ScanObserver | None, stage: str, total: int) -> None:
    if observer is not None:
        observer.stage_started(stage, total)


def _advanced(observer: ScanObserver | None, stage: str, done: int) -> None:
    if observer is not None:
        observer.advanced(stage, done)


def _progress(observer: ScanObserver | None, stage: str) -> Callable[[int], None] | None:
    if observer is None:
        return None
    return lambda done: observer.advanced(stage, done)


# --- saving ------------------------------------------------------------------------------------


def save_scan(
    result: ScanResult,
    log: EvidenceLog,
    *,
    session: Session | None = None,
    store: SessionStore | None = None,
    author: str = "self",
) -> Entry:
    """Append the scan and one entry per finding to the evidence log; add them to the session.

    Returns the "scan" entry. With a session, its `findings` and `scans` grow and, given a
    store, it is saved.
    """
    session_id = session.id if session is not None else None
    summary = result.summary()
    scan_entry = log.append("scan", summary, session=session_id, author=author)
    finding_entries = []
    for finding in result.findings:
        data = {"origin": "scan", "scan_entry": scan_entry.id, **finding.to_dict()}
        entry = log.append("finding", data, session=session_id, author=author)
        finding_entries.append((entry, data))
    if session is not None:
        for entry, data in finding_entries:
            session.findings.append({**data, "evidence_entry": entry.id})
        session.scans.append({**_session_scan(summary), "evidence_entry": scan_entry.id})
        if store is not None:
            store.save(session)
    record_baseline(log.data_dir.root, result, scan_entry.id)
    return scan_entry


def _session_scan(summary: dict[str, Any]) -> dict[str, Any]:
    keep = ("started_at", "finished_at", "host", "platform", "examined", "finding_count")
    data = {key: summary[key] for key in keep}
    data["not_examined"] = summary["not_examined"]
    data["indicators"] = [
        {"id": source["id"], "version": source["version"]} for source in summary["indicators"]
    ]
    return data
