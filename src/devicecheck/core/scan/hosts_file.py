"""The hosts file compared with the indicator lists' domains.

A line of the hosts file (`/etc/hosts`; `%SystemRoot%\\System32\\drivers\\etc\\hosts` on Windows)
that sends an indicator's domain to an address is reported: monitoring software and those who
set it up use it to point a product's servers somewhere of their choosing. A line that blocks
the domain (0.0.0.0, 127.x.x.x, ::1, ::) is protection, not a sign, and is only counted: ad
and tracker block lists put thousands of such lines there.
"""

import os
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.browser_history import DomainIndex
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Coverage,
    Finding,
    Match,
    NotExamined,
    ScanContext,
    advice_for_behaviour,
    make_listed_finding,
    source_of,
)
from devicecheck.core.scan.procfs import read_regular

MAX_HOSTS_BYTES = 16 * 1024 * 1024
_LOCAL_NAMES = ("localhost", ".localdomain", ".local", ".lan", ".home.arpa", ".internal")
_BLOCKING = frozenset({"0.0.0.0", "::", "::1", "::0", "0:0:0:0:0:0:0:0", "0:0:0:0:0:0:0:1"})


class HostsEntry(NamedTuple):
    line: int
    address: str
    name: str  # lower-case, no final dot


def hosts_path(platform: str) -> Path:
    if platform.startswith("win"):
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        return Path(root) / "System32" / "drivers" / "etc" / "hosts"
    return Path("/etc/hosts")


def parse_hosts(text: str) -> list[HostsEntry]:
    """Every (address, name) pair of a hosts file; comments and malformed lines skipped."""
    entries = []
    for number, raw in enumerate(text.splitlines(), start=1):
        fields = raw.partition("#")[0].split()
        if len(fields) < 2:
            continue
        for name in fields[1:]:
            name = name.lower().rstrip(".")
            if name:  # "." alone names no host
                entries.append(HostsEntry(number, fields[0], name))
    return entries


def is_blocking(address: str) -> bool:
    return address in _BLOCKING or address.startswith("127.")


def read_hosts(path: Path) -> str:
    """The hosts file's text; OSError when it cannot be read (or is not a regular file)."""
    return read_regular(path, MAX_HOSTS_BYTES).decode("utf-8", "replace")


def scan_hosts(path: Path, indicators: IndicatorSet, region: str | None = None) -> CheckOutcome:
    try:
        text = read_hosts(path)
    except FileNotFoundError:
        return CheckOutcome(examined={"hosts_entries": 0})
    except OSError as error:
        reason = f"cannot read it ({error.strerror or error})"
        return CheckOutcome(
            not_examined=(NotExamined(f"hosts file ({path})", reason),),
            coverage=(Coverage("domains", False, "not compared with the hosts file: " + reason),),
        )
    entries = parse_hosts(text)
    # Most hosts files name only this computer: no domain index is built for those.
    named = [e for e in entries if "." in e.name and not e.name.endswith(_LOCAL_NAMES)]
    findings, blocked = _named_entries(path, named, indicators, region) if named else ([], 0)
    return CheckOutcome(
        findings=tuple(findings),
        examined={"hosts_entries": len(entries), "hosts_entries_blocking_indicators": blocked},
        coverage=(Coverage("domains", True, f"compared with the hosts file ({path})"),),
    )


def _named_entries(
    path: Path, entries: list[HostsEntry], indicators: IndicatorSet, region: str | None
) -> tuple[list[Finding], int]:
    """(findings for entries that send a listed domain somewhere, entries that block one)."""
    domains = DomainIndex.of(indicators)
    findings = []
    blocked = 0
    for entry in entries:
        matches = domains.matches(entry.name)
        if not matches:
            continue
        if is_blocking(entry.address):
            blocked += 1
            continue
        for match in dict.fromkeys(matches):
            findings.append(_finding(path, entry, indicators, match.app, match.indicator, region))
    return findings, blocked


def _finding(
    path: Path,
    entry: HostsEntry,
    indicators: IndicatorSet,
    number: int,
    indicator: str,
    region: str | None,
) -> Finding:
    app = indicators.apps[number]
    what = (
        f"Line {entry.line} of this computer's hosts file ({path}) sends {entry.name}, an "
        f"address that {source_of(indicators, app)['name']} links to {app.name}, to "
        f"{entry.address}. Someone "
        "with administrator access put it there; monitoring software or the person who set it "
        "up can use this to send what it collects to a server of their choosing."
    )
    return make_listed_finding(
        indicators,
        app,
        kind="history",
        confidence="medium",
        matched=Match(indicator=indicator, field="domains", value=entry.name),
        advice=advice_for_behaviour(what, region),
        detail={"place": str(path), "line": entry.line, "address": entry.address},
    )


def check_hosts_file(context: ScanContext) -> CheckOutcome:
    """Lines of the hosts file that send an indicator's domain somewhere."""
    return scan_hosts(hosts_path(context.platform), context.indicators, context.region)
