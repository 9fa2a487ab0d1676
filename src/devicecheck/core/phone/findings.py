"""What a phone check reports, in the same shape as the computer scan's findings.

A `PhoneFinding` has the computer `Finding`'s fields (kind, app, category, severity,
confidence, matched, advice, source, app_id, detail) and, in place of a process, what the
phone says of the app: package, installer, first-install time, version, certificate and the
access it holds. `kind` is `package` (the app itself), `access` (what an app may do) or
`setting` (how the phone is set up).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from devicecheck.core.scan.findings import Match, NotExamined

KINDS = ("package", "access", "setting")
TARGET = "android-phone"

LIMITS: tuple[str, ...] = (
    "iPhones and iPads: this check reads Android phones only. Use the phone checklists for an "
    "iPhone.",
    "A phone that has been factory reset since it was monitored shows nothing of what was on "
    "it before.",
    "Apps removed before the check leave nothing this check can read.",
    "Spyware built to hide from Android's list of apps (for example on a rooted phone) may not "
    "show up at all.",
    "Online accounts: someone who knows your Google, Apple, Samsung or social-media password "
    "can see your location, photos, messages or backups without any app on the phone.",
    "A phone that someone else still controls through its Google account (Find My Device, "
    "Google Family Link, location sharing) shows no app for it: check the account's devices "
    "and sharing settings in the phone checklists.",
    "Signing certificates: over USB debugging Android shows only a short hash code of each "
    "app's certificate, not its fingerprint, so apps are recognised by their package name.",
)

TURN_OFF_USB_DEBUGGING = (
    "When you have finished, turn USB debugging off again: on the phone open Settings > System "
    '> Developer options, tap "Revoke USB debugging authorisations" (so the phone forgets this '
    'computer) and switch off "USB debugging"; if you turned developer options on only for '
    'this check, switch off "Developer options" at the top of that screen too. (On some '
    "phones the menu is under Settings > Additional settings.)"
)


class PhoneDetails(NamedTuple):
    """The phone that was checked. `serial` is a SHA-256 digest unless asked to show it."""

    serial: str
    serial_hashed: bool
    model: str
    manufacturer: str
    android_version: str
    sdk: str
    security_patch: str
    build_fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "serial_hashed": self.serial_hashed,
            "model": self.model,
            "manufacturer": self.manufacturer,
            "android_version": self.android_version,
            "sdk": self.sdk,
            "security_patch": self.security_patch,
            "build_fingerprint": self.build_fingerprint,
        }


class PhoneFinding(NamedTuple):
    """One thing on the phone to look at, what it is, and what to do."""

    kind: str  # one of KINDS
    app: str  # the product's name, the app's package, or the setting's plain name
    category: str
    severity: str  # high | medium
    confidence: str  # high | medium | low
    matched: Match
    advice: str
    source: dict[str, str]
    package: str | None = None
    installer: str | None = None
    first_installed: str | None = None
    version: str | None = None
    cert_sha256: str | None = None
    access: tuple[str, ...] = ()  # plain-word keys of ACCESS_WORDS
    app_id: str = ""
    detail: Mapping[str, Any] = MappingProxyType({})

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "app": self.app,
            "app_id": self.app_id,
            "category": self.category,
            "severity": self.severity,
            "confidence": self.confidence,
            "matched": self.matched.to_dict(),
            "package": self.package,
            "installer": self.installer,
            "first_installed": self.first_installed,
            "version": self.version,
            "cert_sha256": self.cert_sha256,
            "access": list(self.access),
            "detail": dict(self.detail),
            "advice": self.advice,
            "source": dict(self.source),
        }


class PhoneScanResult(NamedTuple):
    """A whole phone check. `complete` is False when the phone went away part-way; then
    `interrupted` says what could not be read."""

    started_at: str
    finished_at: str
    device: PhoneDetails
    findings: tuple[PhoneFinding, ...]
    examined: dict[str, int]
    not_examined: tuple[NotExamined, ...]
    indicators: tuple[dict[str, Any], ...]
    adb_calls: tuple[str, ...]
    limits: tuple[str, ...] = LIMITS
    complete: bool = True
    interrupted: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": TARGET,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "complete": self.complete,
            "interrupted": self.interrupted or None,
            "device": self.device.to_dict(),
            "findings": [finding.to_dict() for finding in self.findings],
            "examined": dict(self.examined),
            "not_examined": [item.to_dict() for item in self.not_examined],
            "indicators": [dict(source) for source in self.indicators],
            "limits": list(self.limits),
            "adb_calls": list(self.adb_calls),
            "after": TURN_OFF_USB_DEBUGGING,
        }

    def summary(self) -> dict[str, Any]:
        """The check without its findings: what the evidence log's "scan" entry holds."""
        data = self.to_dict()
        del data["findings"]
        data["finding_count"] = len(self.findings)
        return data


SEVERITY_ORDER = {"high": 0, "medium": 1}
CONFIDENCE_ORDER = {"high": 0, "medium": 1, "low": 2}


def sorted_findings(findings: list[PhoneFinding]) -> tuple[PhoneFinding, ...]:
    """High severity first, then by confidence, then kind and name (a stable order)."""
    return tuple(
        sorted(
            findings,
            key=lambda f: (
                SEVERITY_ORDER.get(f.severity, 2),
                CONFIDENCE_ORDER.get(f.confidence, 3),
                KINDS.index(f.kind) if f.kind in KINDS else 3,
                f.app,
            ),
        )
    )
