"""What a scan reports: findings, how sure it is, what it could not look at, and its limits.

Confidence and advice are decided here, in one place, so the process, connection and start-up
checks all word things the same way. Dual-use software (remote access, parental control,
employee monitoring) is never called spyware: the person is asked whether they, or someone
they trust, installed it.

The records are immutable named tuples rather than dataclasses, for the start-up time of
`devicecheck scan` (see `core.indicators.model`); `_replace` makes a changed copy.
"""

import os
import re
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple

from devicecheck.core.indicators.model import (
    DUAL_USE_CATEGORIES,
    AppIndicator,
    IndicatorSet,
    normalise_process_name,
)

if TYPE_CHECKING:
    from pathlib import Path

    from devicecheck.core.datadir import DataDir
    from devicecheck.core.scan.autostart import AutostartEntry
    from devicecheck.core.scan.connections import ObservedConnection

# What a finding is about: the first four come from the indicator lists; the rest from the
# checks in `core.scan.checks.EXTRA_CHECKS` (browser history and extensions, behaviour signs).
KINDS = (
    "process",
    "connection",
    "autostart",
    "listener",
    "history",
    "extension",
    "input-capture",
    "hidden",
    "access",
    "traffic-capture",
    "changed",
)
CONFIDENCES = ("high", "medium", "low")
HIGH_SEVERITY_CATEGORIES = frozenset({"stalkerware", "spyware", "keylogger"})

# Names so ordinary that on their own they say little: many honest programs are called this.
COMMON_NAMES = frozenset(
    {
        "agent",
        "client",
        "service",
        "services",
        "update",
        "updater",
        "monitor",
        "helper",
        "host",
        "server",
        "daemon",
        "launcher",
        "setup",
        "install",
        "installer",
        "main",
        "app",
        "run",
        "start",
        "svc",
        "svchost",
        "system",
        "manager",
        "remote",
        "support",
        "viewer",
        "tray",
        "core",
        "python",
        "java",
        "node",
    }
)
SHORT_NAME_LENGTH = 4

LIMITS: tuple[str, ...] = (
    "Phones and tablets: this scan looks only at this computer. An Android phone can be checked "
    "from here over USB with the phone check; use the phone checklists for iPhones and tablets.",
    "Online accounts and cloud services: someone who knows your password can read your email, "
    "photos, location history or backups without any software on this computer.",
    "Renamed or hidden software: monitoring software can be renamed or hidden, and some of it "
    "is built to avoid being found.",
    "Software not in the indicator lists: the lists name known products; new, rare or "
    "custom-made software will not be recognised.",
    "Monitoring built into the router, or a work or school device-management profile, is not "
    "something this scan can see.",
    "Physical trackers (for example AirTags or other Bluetooth tags) and hidden cameras or "
    "microphones are not found by a computer scan.",
)

_RECORD_FIRST = (
    "Do not {remove} straight away: the person who installed it may notice, and evidence may "
    "be lost. Record it first (run `devicecheck scan --save`, and take screenshots or photos of "
    "the screen). Talk to {help} before you change anything; they can help you plan what to do "
    "safely."
)
_SAFER_DEVICE = (
    " Consider using a safer device (one the other person has never had access to) for "
    "anything private in the meantime."
)
_SECRET_WATCHING = "This looks like software that secretly watches what you do on this computer. "
_DUAL_USE_QUESTION = (
    "Check: did you, or someone you trust, install this? {what} If you did not expect it, "
)
_DUAL_USE_WHAT = {
    "remote-access": "It lets someone see and control this computer from elsewhere; it is also "
    "used every day for IT support.",
    "parental-control": "It is sold to let parents watch a child's use; it can also be used to "
    "watch an adult.",
    "employee-monitoring": "It is sold to let employers watch work computers; on a personal "
    "computer it can be used to watch you.",
}
# A client (a VNC viewer, PuTTY) connects out from here: it does not let anyone in.
_CLIENT_WHAT = (
    "It is a program for connecting from this computer to another one; on its own it does not "
    "let anyone into this computer, but it can show that someone used this computer to reach "
    "another."
)
_WEAK_EVIDENCE = {
    "listener": " Note: this is based only on a network port being open, which is weak evidence: "
    "other, harmless programs can use the same port.",
    "low": " Note: this match is weak (a common or very short name), so it may well be a "
    "different, harmless program with the same name.",
}


class Match(NamedTuple):
    """What matched: the indicator as the source wrote it, its field, and what was seen here."""

    indicator: str
    field: str  # process_names, exe_paths, cmdline_patterns, ips, ports, autostart_names
    value: str

    def to_dict(self) -> dict[str, str]:
        return {"indicator": self.indicator, "field": self.field, "value": self.value}


class ProcessInfo(NamedTuple):
    """A running process as the scan saw it (fields it could not read are None or empty)."""

    pid: int
    name: str
    exe: str | None
    cmdline: tuple[str, ...]
    username: str | None
    started_at: str | None  # ISO 8601, UTC
    exe_sha256: str | None = None
    ppid: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "pid": self.pid,
            "name": self.name,
            "exe": self.exe,
            "cmdline": list(self.cmdline),
            "username": self.username,
            "started_at": self.started_at,
            "exe_sha256": self.exe_sha256,
            "ppid": self.ppid,
        }


class Finding(NamedTuple):
    """One thing to look at: what matched which known product, how sure, and what to do."""

    kind: str  # one of KINDS
    app: str
    category: str
    severity: str  # high | medium
    confidence: str  # one of CONFIDENCES
    matched: Match
    process: ProcessInfo | None
    advice: str
    source: dict[str, str]  # {"id", "name"} of the indicator source
    app_id: str = ""
    detail: Mapping[str, Any] = MappingProxyType({})  # read-only: one shared default

    @property
    def dual_use(self) -> bool:
        return self.category in DUAL_USE_CATEGORIES

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "app": self.app,
            "app_id": self.app_id,
            "category": self.category,
            "severity": self.severity,
            "confidence": self.confidence,
            "matched": self.matched.to_dict(),
            "process": self.process.to_dict() if self.process else None,
            "detail": dict(self.detail),
            "advice": self.advice,
            "source": dict(self.source),
        }


DENIED_TO_THIS_USER = (
    "this computer did not let devicecheck read it (scanning as an administrator may help)"
)


def access_denied_reason() -> str:
    """Why something could not be read, with what would help (if anything) for this user."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None and geteuid() == 0:
        return (
            "this computer did not let even an administrator read it (usually a protected part "
            "of the system)"
        )
    return DENIED_TO_THIS_USER


class NotExamined(NamedTuple):
    """Something the scan could not read, and why (access denied, needs admin, not supported)."""

    what: str
    reason: str
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "reason": self.reason, "count": self.count}


class Coverage(NamedTuple):
    """How one kind of indicator was used by this scan, or why it could not be.

    `kind` is an indicator field (process_names, exe_paths, domains, ...) or a check's own
    name; `used` says whether anything on this computer was compared with it; `how` says
    with what, in plain words ("compared with browser history of 2 profiles", "not compared
    with anything: no browser history was found").
    """

    kind: str
    used: bool
    how: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "used": self.used, "how": self.how}


class ScanResult(NamedTuple):
    """A whole scan: its findings, what was examined and not, the indicators and the limits."""

    started_at: str
    finished_at: str
    host: str
    platform: str
    findings: tuple[Finding, ...]
    examined: dict[str, int]
    not_examined: tuple[NotExamined, ...]
    indicators: tuple[dict[str, Any], ...]
    limits: tuple[str, ...] = LIMITS
    coverage: tuple[Coverage, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "host": self.host,
            "platform": self.platform,
            "findings": [finding.to_dict() for finding in self.findings],
            "examined": dict(self.examined),
            "not_examined": [item.to_dict() for item in self.not_examined],
            "coverage": [item.to_dict() for item in self.coverage],
            "indicators": [dict(source) for source in self.indicators],
            "limits": list(self.limits),
        }

    def summary(self) -> dict[str, Any]:
        """The scan without its findings list: what the evidence log's "scan" entry holds."""
        data = self.to_dict()
        del data["findings"]
        data["finding_count"] = len(self.findings)
        return data

    def has_high_severity(self) -> bool:
        return any(finding.severity == "high" for finding in self.findings)


class ScanContext(NamedTuple):
    """What every extra check (`core.scan.checks.EXTRA_CHECKS`) is given to work with."""

    processes: tuple[ProcessInfo, ...]  # every running process, as the scan read them
    platform: str  # sys.platform style: linux, darwin, win32
    home: "Path"  # the home folder of the person running the scan
    indicators: IndicatorSet
    data_dir: "DataDir | None"  # None when the scan keeps nothing (no baseline can be read)
    region: str | None  # help-line region code, for advice (None: the default region)
    # the network connections and listening sockets the scan read (core.scan.connections)
    connections: "tuple[ObservedConnection, ...]" = ()
    # the start-up entries read, and the findings of the indicator stages (before the checks)
    autostart_entries: "tuple[AutostartEntry, ...]" = ()
    findings: tuple[Finding, ...] = ()


class CheckOutcome(NamedTuple):
    """What one extra check found, how much it looked at, and what it could not read.

    `examined` counts are added to the scan's (e.g. {"browser_profiles": 2}); `coverage` says
    which indicator kinds the check used (e.g. domains compared with browser history).
    """

    findings: tuple[Finding, ...] = ()
    examined: Mapping[str, int] = MappingProxyType({})
    not_examined: tuple[NotExamined, ...] = ()
    coverage: tuple[Coverage, ...] = ()


# --- rules -------------------------------------------------------------------------------------


def severity_for(category: str) -> str:
    return "high" if category in HIGH_SEVERITY_CATEGORIES else "medium"


def is_common_name(name: str) -> bool:
    """A name that on its own is weak evidence: an everyday word, or four characters or fewer."""
    stem = normalise_process_name(name)
    return len(stem) <= SHORT_NAME_LENGTH or stem in COMMON_NAMES or not re.search(r"[a-z]", stem)


def name_confidence(name: str) -> str:
    return "low" if is_common_name(name) else "medium"


def confidence_for(fields: Iterable[str], name: str = "") -> str:
    """How sure a match is, from the indicator fields that matched the same thing.

    An executable path or command-line pattern together with any second field is high, and
    alone is medium. A process or start-up name is medium alone (low when it is a common word
    or very short); a process name and a start-up name together are high.
    """
    matched = set(fields)
    strong = matched & {"exe_paths", "cmdline_patterns"}
    if strong:
        return "high" if len(matched) >= 2 else "medium"
    if {"process_names", "autostart_names"} <= matched:
        return "medium" if is_common_name(name) else "high"
    if matched & {"process_names", "autostart_names"}:
        return name_confidence(name)
    return "low"


def help_words(region: str | None) -> str:
    """Who to talk to, for the scan's region: its stalking and domestic-abuse lines (compiled
    once into the data folder's cache: `core.scan.help_words`)."""
    from devicecheck.core.scan.help_words import help_words as compiled_help_words

    return compiled_help_words(region)


def record_first_advice(
    region: str | None, *, remove: str = "remove it", mid_sentence: bool = False
) -> str:
    """The ending every finding's advice shares: record first, talk to the region's help.
    `mid_sentence` continues a sentence ("If you did not expect it, do not remove it...")."""
    text = _RECORD_FIRST.format(remove=remove, help=help_words(region))
    return text[0].lower() + text[1:] if mid_sentence else text


def advice_for(
    category: str, kind: str, confidence: str, region: str | None = None, *, client: bool = False
) -> str:
    """What to do about a match with a known product, for the person's region.

    `client` is a tool that connects out (a viewer, an SSH client): it is worded as such.
    """
    if client:
        text = _DUAL_USE_QUESTION.format(what=_CLIENT_WHAT) + record_first_advice(
            region, mid_sentence=True
        )
    elif category in DUAL_USE_CATEGORIES:
        what = _DUAL_USE_WHAT.get(category, "")
        text = _DUAL_USE_QUESTION.format(what=what) + record_first_advice(region, mid_sentence=True)
    else:
        text = _SECRET_WATCHING + record_first_advice(region, remove="uninstall it") + _SAFER_DEVICE
    if kind == "listener":
        text += _WEAK_EVIDENCE["listener"]
    elif confidence == "low":
        text += _WEAK_EVIDENCE["low"]
    return text


def advice_for_behaviour(what: str, region: str | None, *, secret: bool = True) -> str:
    """Advice for a finding of an extra check: `what` (the check's own words on what it saw and
    what it may mean), then the shared "record it first, talk to help" ending for the region.
    `secret` adds the suggestion to use a safer device meanwhile."""
    text = what.rstrip() + " " + record_first_advice(region, remove="change or remove anything")
    return text + (_SAFER_DEVICE if secret else "")


def source_of(indicators: IndicatorSet, app: AppIndicator) -> dict[str, str]:
    try:
        source = indicators.source(app.source)
    except KeyError:
        return {"id": app.source, "name": app.source}
    return {"id": source.id, "name": source.name}


def make_finding(
    indicators: IndicatorSet,
    app: AppIndicator,
    *,
    kind: str,
    matches: list[Match],
    confidence: str,
    process: ProcessInfo | None = None,
    detail: dict[str, Any] | None = None,
    region: str | None = None,
) -> Finding:
    """One finding; the first match is the headline, the rest go into `detail["also_matched"]`."""
    extra = dict(detail or {})
    if len(matches) > 1:
        extra["also_matched"] = [match.to_dict() for match in matches[1:]]
    return Finding(
        kind=kind,
        app=app.name,
        app_id=app.id,
        category=app.category,
        severity=severity_for(app.category),
        confidence=confidence,
        matched=matches[0],
        process=process,
        advice=advice_for(app.category, kind, confidence, region),
        source=source_of(indicators, app),
        detail=extra,
    )


def make_behaviour_finding(
    *,
    kind: str,
    app: str,
    category: str,
    severity: str,
    confidence: str,
    matched: Match,
    advice: str,
    process: ProcessInfo | None = None,
    detail: Mapping[str, Any] | None = None,
    source: Mapping[str, str] | None = None,
) -> Finding:
    """A finding from a check that needs no indicator list (or reads one in its own way).

    `app` names what was seen in plain words (a program's name, "a browser extension"); the
    advice is the check's own, usually from `advice_for_behaviour(...)`; `source` defaults to
    the check itself: {"id": "behaviour", "name": "devicecheck behaviour check"}.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown finding kind {kind!r}")
    if confidence not in CONFIDENCES:
        raise ValueError(f"unknown confidence {confidence!r}")
    return Finding(
        kind=kind,
        app=app,
        category=category,
        severity=severity,
        confidence=confidence,
        matched=matched,
        process=process,
        advice=advice,
        source=dict(source or _BEHAVIOUR_SOURCE),
        detail=dict(detail or {}),
    )


_BEHAVIOUR_SOURCE = {"id": "behaviour", "name": "devicecheck behaviour check"}


def make_listed_finding(
    indicators: IndicatorSet,
    app: AppIndicator,
    *,
    kind: str,
    confidence: str,
    matched: Match,
    advice: str,
    detail: Mapping[str, Any],
) -> Finding:
    """A finding of an extra check that met a listed product in its own way (a visited site, a
    hosts-file line, a browser extension): named, categorised and sourced as the list says,
    with the check's own advice. Made after `one_per_thing`, so that advice is kept."""
    return Finding(
        kind=kind,
        app=app.name,
        app_id=app.id,
        category=app.category,
        severity=severity_for(app.category),
        confidence=confidence,
        matched=matched,
        process=None,
        advice=advice,
        source=source_of(indicators, app),
        detail=dict(detail),
    )


_SEVERITY_RANK = {"high": 0, "medium": 1}
_CONFIDENCE_RANK = {"high": 0, "medium": 1, "low": 2}
_SOURCE_RANK = {"curated": 0, "echap": 1, "lolrmm": 2}
INDICATOR_KINDS = frozenset({"process", "connection", "listener", "autostart"})


def _thing_seen(finding: Finding) -> tuple:
    """What a finding is about: one running program, connection or start-up entry."""
    if finding.kind == "process" and finding.process is not None:
        return ("process", finding.process.pid)
    if finding.kind in ("connection", "listener"):
        pid = finding.process.pid if finding.process is not None else None
        return (finding.kind, pid, finding.detail.get("local"), finding.detail.get("remote"))
    about = sorted((k, repr(v)) for k, v in finding.detail.items() if k != "also_matched")
    return (finding.kind, tuple(about))


def _headline_order(finding: Finding) -> tuple:
    return (
        _SEVERITY_RANK.get(finding.severity, 2),
        _CONFIDENCE_RANK.get(finding.confidence, 3),
        _SOURCE_RANK.get(finding.source.get("id", ""), 3),
        finding.app.lower(),
    )


def is_client_finding(finding: Finding) -> bool:
    """A remote-access match on a program that connects out (a viewer, an SSH client)."""
    from devicecheck.core.scan.ordinary_programs import is_client_program

    return (
        finding.kind == "process"
        and finding.category == "remote-access"
        and finding.process is not None
        and is_client_program(finding.process.name)
    )


def one_per_thing(findings: Iterable[Finding], region: str | None = None) -> list[Finding]:
    """One finding per running program, connection or start-up entry, worded for `region`.

    When several products match the same thing (LOLRMM and the curated list both name
    `sysdiag.exe`), the strongest heads the finding and the others are listed in its
    `detail["other_products"]`, so one program is never counted twice. A match with a listed
    product gets the shared advice for the region (a client tool, client advice); a finding a
    check built with its own advice (no `app_id`) keeps it.
    """
    grouped: dict[tuple, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(_thing_seen(finding), []).append(finding)
    combined = []
    for group in grouped.values():
        ordered = sorted(group, key=_headline_order)
        head = ordered[0]
        detail = dict(head.detail)
        if len(ordered) > 1:
            detail["other_products"] = [_product(other) for other in ordered[1:]]
        if head.app_id:  # a match with a listed product: the shared advice, for the region
            advice = advice_for(
                head.category, head.kind, head.confidence, region, client=is_client_finding(head)
            )
            head = head._replace(advice=advice)
        combined.append(head._replace(detail=detail))
    return combined


def _product(finding: Finding) -> dict[str, Any]:
    return {
        "app": finding.app,
        "app_id": finding.app_id,
        "category": finding.category,
        "confidence": finding.confidence,
        "matched": finding.matched.to_dict(),
        "source": dict(finding.source),
    }


_FIELD_ORDER = {
    "exe_paths": 0,
    "autostart_names": 1,
    "cmdline_patterns": 2,
    "process_names": 3,
    "ips": 4,
    "ports": 5,
}


def strongest_first(matches: Iterable[Match]) -> list[Match]:
    """Matches ordered so the most telling one heads the finding; duplicates dropped."""
    unique = list(dict.fromkeys(matches))
    return sorted(unique, key=lambda match: _FIELD_ORDER.get(match.field, 9))
