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
from typing import Any, NamedTuple

from devicecheck.core.indicators.model import (
    DUAL_USE_CATEGORIES,
    AppIndicator,
    IndicatorSet,
    normalise_process_name,
)

KINDS = ("process", "connection", "autostart", "listener")
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
    "Phones and tablets: this scan looks only at this computer. Use the phone checklists for them.",
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

_STALKERWARE_ADVICE = (
    "Do not uninstall it straight away: the person who installed it may notice, and evidence "
    "may be lost. Record it first (run `devicecheck scan --save`, and take screenshots or "
    "photos of the screen). Talk to the National Stalking Helpline (UK, 0808 802 0300) or a "
    "domestic-abuse service where you live before you change anything; they can help you plan "
    "what to do safely. Consider using a safer device (one the other person has never had "
    "access to) for anything private in the meantime."
)
_DUAL_USE_ADVICE = (
    "Check: did you, or someone you trust, install this? {what} If you did not expect it, do "
    "not remove it straight away: the person who installed it may notice, and evidence may be "
    "lost. Record it first (`devicecheck scan --save`, screenshots), and talk to the National "
    "Stalking Helpline (UK, 0808 802 0300) or a domestic-abuse service before you change "
    "anything."
)
_DUAL_USE_WHAT = {
    "remote-access": "It lets someone see and control this computer from elsewhere; it is also "
    "used every day for IT support.",
    "parental-control": "It is sold to let parents watch a child's use; it can also be used to "
    "watch an adult.",
    "employee-monitoring": "It is sold to let employers watch work computers; on a personal "
    "computer it can be used to watch you.",
}
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


def access_denied_reason() -> str:
    """Why something could not be read, with what would help (if anything) for this user."""
    geteuid = getattr(os, "geteuid", None)
    if geteuid is not None and geteuid() == 0:
        return "access denied even to root (usually a protected system process)"
    return "access denied (run as administrator or root to read it)"


class NotExamined(NamedTuple):
    """Something the scan could not read, and why (access denied, needs admin, not supported)."""

    what: str
    reason: str
    count: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"what": self.what, "reason": self.reason, "count": self.count}


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

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "host": self.host,
            "platform": self.platform,
            "findings": [finding.to_dict() for finding in self.findings],
            "examined": dict(self.examined),
            "not_examined": [item.to_dict() for item in self.not_examined],
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


def advice_for(category: str, kind: str, confidence: str) -> str:
    if category in DUAL_USE_CATEGORIES:
        text = _DUAL_USE_ADVICE.format(what=_DUAL_USE_WHAT.get(category, ""))
    else:
        text = (
            "This looks like software that secretly watches what you do on this computer. "
            + _STALKERWARE_ADVICE
        )
    if kind == "listener":
        text += _WEAK_EVIDENCE["listener"]
    elif confidence == "low":
        text += _WEAK_EVIDENCE["low"]
    return text


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
        advice=advice_for(app.category, kind, confidence),
        source=source_of(indicators, app),
        detail=extra,
    )


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
