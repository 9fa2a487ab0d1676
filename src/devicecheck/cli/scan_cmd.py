"""`devicecheck scan [--json] [--save] [--session ID] [--indicators FILE ...]`.

Exit codes: 0 nothing found, 1 something found, 2 the scan could not run (including a bad
`--indicators` file, so that 1 always means "found something").
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from devicecheck.cli.context import add_json_flag, data_dir_of, print_json, region_of, tell
from devicecheck.core.finding_labels import (
    HOW_SERIOUS_IN_FULL,
    HOW_SURE,
    category_label,
    kind_label,
)
from devicecheck.errors import DeviceCheckError, InvalidDataError

if TYPE_CHECKING:
    from devicecheck.core.helplines import Region
    from devicecheck.core.scan import Finding, ScanResult

EXIT_NOTHING_FOUND = 0
EXIT_FOUND = 1
_WIDTH = 88
_FIELD_LABELS = {
    "process_names": "program name",
    "exe_paths": "program file",
    "cmdline_patterns": "command line",
    "autostart_names": "start-up name",
    "ips": "address",
    "ports": "listening port",
    "domains": "web address",
    "name": "name",
    "extension_id": "extension id",
}
_COVERAGE_LABELS = {
    "process_names": "program names",
    "exe_paths": "program files",
    "cmdline_patterns": "command lines",
    "autostart_names": "start-up names",
    "ips": "network addresses",
    "ports": "listening ports",
    "domains": "web domains",
    "packages": "Android app ids",
    "certificates": "app signing certificates",
    "file_hashes": "file hashes",
}
_STAGE_WORDS = {
    "processes": "running programs",
    "connections": "network connections",
    "autostart": "start-up entries",
}


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "scan",
        help="look at this computer for known monitoring software",
        description="Look at the programs running on this computer, its network connections and "
        "what it starts by itself, and compare them with lists of known monitoring software. "
        "Reads only: nothing is changed, removed or sent anywhere. Exit status: 0 nothing "
        "found, 1 something found, 2 the scan could not run.",
        parents=[common],
    )
    add_json_flag(parser)
    parser.add_argument(
        "--save",
        action="store_true",
        help="record the scan and each finding in the evidence log",
    )
    parser.add_argument(
        "--session",
        metavar="ID",
        help="add the scan and its findings to this session (implies --save)",
    )
    parser.add_argument(
        "--indicators",
        metavar="FILE",
        action="extend",
        nargs="+",
        default=[],
        help="an extra indicator file (Echap ioc.yaml, LOLRMM, STIX 2 or curated) to use as well "
        "as the bundled lists (repeatable)",
    )
    parser.set_defaults(handler=scan)


def scan(args: argparse.Namespace) -> int:
    from devicecheck.core.system_reading import start_reading

    data_dir = data_dir_of(args)
    session, store = consented_session(args, data_dir)
    # Processes and connections are read (in a child process where it is safe) while the scan's
    # modules are imported and the indicators load: core.system_reading.
    reading = start_reading()
    from devicecheck.core.indicators import load_indicators
    from devicecheck.core.scan import begin_scan

    scan = begin_scan(reading)
    try:
        indicators = load_indicators(data_dir, extra_files=[Path(p) for p in args.indicators])
    except InvalidDataError as error:  # exit 2, not 1: 1 means the scan found something
        scan.abandon()
        raise DeviceCheckError(error.message) from None
    observer = _StageLines() if not args.json and sys.stderr.isatty() else None
    # The help lines are read only when they are needed: for the text result (a wrong --region
    # is refused before the scan) or for the advice of a finding (JSON); a clean --json scan
    # does not pay the ~100 ms of importing and reading them.
    region = None if args.json else region_of(args)
    region_code = region.code if region is not None else getattr(args, "region", None)
    result = scan.finish(indicators, observer, region=region_code, data_dir=data_dir)
    saved = None
    if args.save or session is not None:
        saved = _save(result, data_dir, session, store)
    show_result(
        args, result, saved, session, lambda: render_result(result, region or region_of(args))
    )
    return EXIT_FOUND if result.findings else EXIT_NOTHING_FOUND


def show_result(args: argparse.Namespace, result, saved, session, text: Callable[[], str]) -> None:
    """A check's result: its JSON (with the evidence entry) or its text, then where it was
    saved (the phone check's too)."""
    if args.json:
        document = result.to_dict()
        if saved is not None:
            document["evidence_entry"] = saved
        print_json(document)
    else:
        print(text())
    if saved is not None:
        where = f" and session {session.id}" if session is not None else ""
        tell(f"Saved to the evidence log{where} (scan entry {saved}).")
    if saved is not None and session is None:
        from devicecheck.core.session_log import unsessioned_warning

        warning = unsessioned_warning(data_dir_of(args))
        if warning:
            tell(f"Warning: {warning}.")


def consented_session(args: argparse.Namespace, data_dir, step: str = "scan"):
    """The --session a check is added to, once its step and keeping evidence are consented to
    (the phone check's too); (None, None) without --session."""
    if not args.session:
        return None, None
    from devicecheck.core.casework import require_consent
    from devicecheck.core.sessions import SessionStore

    store = SessionStore(data_dir)
    try:
        session = store.load(args.session)
    except InvalidDataError as error:  # exit 2: 1 means the scan found something
        raise DeviceCheckError(error.message) from None
    require_consent(session, step)
    require_consent(session, "evidence")
    return session, store


def _save(result: ScanResult, data_dir, session, store) -> str:
    from devicecheck.core.evidence import EvidenceLog
    from devicecheck.core.scan import save_scan

    entry = save_scan(result, EvidenceLog(data_dir), session=session, store=store)
    return entry.id


class _StageLines:
    """Progress for a person at a terminal: one line per stage, on stderr."""

    def stage_started(self, stage: str, total: int) -> None:
        if stage in _STAGE_WORDS:
            tell(f"Looking at {total} {_STAGE_WORDS[stage]}...")
        else:  # an extra check (core.scan.checks), named after its function
            tell(f"Checking {stage.replace('_', ' ')}...")

    def advanced(self, stage: str, done: int) -> None:
        return None


# --- the human-readable result ---------------------------------------------------------------


def render_result(result: ScanResult, region: Region) -> str:
    from devicecheck.core.dates import format_moment
    from devicecheck.core.scan.coverage import counted
    from devicecheck.core.textsafety import one_line

    lines: list[str] = []
    if result.findings:
        lines += [region.emergency.text, ""]
    when = format_moment(result.finished_at, region.code)
    examined = result.examined
    lines.append(
        f"Scan of this computer ({result.host}), finished {when}. Looked at "
        f"{counted(examined.get('processes', 0), 'running program')}, "
        f"{counted(examined.get('connections', 0), 'network connection')} and "
        f"{counted(examined.get('autostart_entries', 0), 'start-up entry', 'start-up entries')}, "
        f"against {counted(examined.get('indicator_apps', 0), 'known product')}"
        f"{_of_loaded(examined)}."
    )
    lines.append("")
    if result.findings:
        count = len(result.findings)
        lines.append(f"Found {count} thing{'s' if count != 1 else ''} to look at:")
        for number, finding in enumerate(result.findings, start=1):
            lines += ["", *_finding_lines(number, finding, region.code)]
    else:
        lines.append("No known monitoring software was found on this computer.")
        lines.append(
            "That is good news, but it cannot rule everything out: see below what this scan "
            "does not cover."
        )
    if result.coverage:
        lines += ["", "What the lists were compared with:"]
        for item in result.coverage:
            label = _COVERAGE_LABELS.get(item.kind, item.kind.replace("_", " "))
            lines += wrapped(f"- {label}: {item.how}", "  ")
    if result.not_examined:
        lines += ["", "What could not be examined:"]
        for item in result.not_examined:
            times = f" ({item.count})" if item.count > 1 else ""
            lines += wrapped(f"- {item.what}{times}: {item.reason}", "  ")
    lines += ["", "What a scan of this computer cannot rule out:"]
    for limit in result.limits:
        lines += wrapped(f"- {limit}", "  ")
    return "\n".join(map(one_line, lines))  # names and paths come from outside


def _of_loaded(examined: dict[str, int]) -> str:
    loaded = examined.get("indicator_apps_loaded", 0)
    checked = examined.get("indicator_apps", 0)
    if loaded <= checked:
        return ""
    return (
        f" (of {loaded} in the lists: the others can only be recognised in ways this scan "
        "cannot use here, such as on a phone or on another system)"
    )


# What a sign seen on this computer (not a list entry) may be: said as a possibility.
_WHAT_IT_MAY_BE = {
    "spyware": "spying software",
    "keylogger": "software that records what you type",
    "remote-access": "a way for someone to use this computer from elsewhere",
    "stalkerware": "software made to spy on a person",
    "employee-monitoring": "workplace monitoring software",
    "parental-control": "parental-control software",
}


def _finding_lines(number: int, finding: Finding, region_code: str) -> list[str]:
    from devicecheck.core.dates import format_moment

    matched = finding.matched
    field = _FIELD_LABELS.get(matched.field, matched.field.replace("_", " "))
    how = (
        f"How sure: {HOW_SURE.get(finding.confidence, finding.confidence)}. "
        f"How serious: {HOW_SERIOUS_IN_FULL.get(finding.severity, finding.severity)}."
    )
    if finding.source.get("id") == "behaviour":  # a sign seen here, not a list entry
        what = _WHAT_IT_MAY_BE.get(finding.category, category_label(finding.category))
        heading = f"{number}. {finding.app}: {kind_label(finding.kind)}, which may be {what}. {how}"
        seen = f"   Seen: {matched.indicator}: {matched.value!r}"
    else:
        heading = (
            f"{number}. {finding.app} ({category_label(finding.category)}), "
            f"{kind_label(finding.kind)}. {how}"
        )
        seen = f"   Matched: {field} {matched.value!r} (the list says {matched.indicator!r})"
    lines = [*wrapped(heading, "", subsequent="   "), seen]
    process = finding.process
    if process is not None:
        lines += wrapped(
            f"Program: pid {process.pid} {process.name}, {process.exe or 'path not readable'}, "
            f"user {process.username or 'unknown'}, started "
            f"{format_moment(process.started_at, region_code) if process.started_at else 'unknown'}",
            "   ",
        )
        if process.exe_sha256:
            lines.append(f"   SHA-256: {process.exe_sha256}")
    for key in ("location", "remote", "local"):
        if finding.detail.get(key):
            lines.append(f"   {key.capitalize()}: {finding.detail[key]}")
    for other in finding.detail.get("other_products", ()):
        lines += wrapped(
            f"Also listed as: {other['app']} ({category_label(other['category'])}, "
            f"{other['source'].get('name', '')})",
            "   ",
        )
    lines.append(f"   Source: {finding.source.get('name', '')}")
    lines += wrapped(f"What to do: {finding.advice}", "   ")
    return lines


def wrapped(text: str, indent: str, *, subsequent: str | None = None) -> list[str]:
    """`text` wrapped to the result's width, each line indented, the lines after the first by
    `subsequent` (default: two more spaces) (the phone check's too)."""
    import textwrap  # only for the human-readable result, not --json

    following = indent + "  " if subsequent is None else subsequent
    return textwrap.wrap(
        text, width=_WIDTH, initial_indent=indent, subsequent_indent=following
    ) or [indent]
