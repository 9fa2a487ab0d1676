"""What a finding is, in words: the one place that turns finding kinds and categories into labels,
and a finding's confidence and severity into "how sure" and "how serious".

Scan and phone findings carry short ids (`kind` "input-capture", `category` "disguised-app").
People never see those: the CLI output and every report format show these labels instead.
"""

from __future__ import annotations

# What a computer-scan finding is about (core.scan.findings.KINDS).
COMPUTER_KIND_LABELS: dict[str, str] = {
    "process": "running program",
    "connection": "network connection",
    "listener": "open network port",
    "autostart": "start-up entry",
    "history": "website in browser history",
    "extension": "browser extension",
    "input-capture": "keyboard reading",
    "hidden": "hidden program",
    "access": "way in",
    "traffic-capture": "traffic capture",
    "changed": "change since the last saved scan",
}
# What a phone-check finding is about (core.phone.findings).
PHONE_KIND_LABELS: dict[str, str] = {
    "package": "app",
    "access": "app's access",
    "setting": "phone setting",
}
CATEGORY_LABELS: dict[str, str] = {
    "stalkerware": "stalkerware",
    "spyware": "spyware",
    "keylogger": "keylogger (records typing)",
    "remote-access": "remote access",
    "parental-control": "parental control",
    "employee-monitoring": "employee monitoring",
    "dangerous-access": "dangerous access",
    "disguised-app": "disguised app",
    "phone-setting": "phone setting",
    "rooted": "rooted phone",
    "device-management": "device management",
}

# How a finding's confidence and severity are said to a person (the CLI and the walkthrough).
HOW_SURE: dict[str, str] = {"high": "very likely", "medium": "likely", "low": "possible: check it"}
HOW_SERIOUS: dict[str, str] = {"high": "serious", "medium": "worth checking", "low": "minor"}
HOW_SERIOUS_IN_FULL: dict[str, str] = {
    "high": "serious if you did not expect it",
    "medium": "worth checking",
    "low": "minor",
}


def _words(identifier: str) -> str:
    return identifier.replace("_", " ").replace("-", " ").strip()


def kind_label(kind: str, *, phone: bool = False) -> str:
    """'input-capture' -> 'keyboard reading'; a kind not listed comes back as words."""
    labels = PHONE_KIND_LABELS if phone else COMPUTER_KIND_LABELS
    return labels.get(kind) or _words(kind)


def category_label(category: str) -> str:
    """'disguised-app' -> 'disguised app'; a category not listed comes back as words."""
    return CATEGORY_LABELS.get(category) or _words(category)
