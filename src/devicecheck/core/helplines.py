"""Help lines by region, from the shipped data file `data/helplines.yaml`.

Each line names the kinds of help it gives (`roles`). Checklist text names help by role with a
placeholder such as `{help:stalking}`; `fill_help` turns it into the chosen region's line, or a
plain fallback where the region has none, so no item text carries one country's number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from devicecheck.core.yamltext import parse_yaml
from devicecheck.errors import DeviceCheckError, InvalidDataError

DEFAULT_REGION = "GB"

# The kinds of help a line can give, and the words used where a region has no such line.
ROLE_FALLBACKS: dict[str, str] = {
    "stalking": "a stalking or victim-support service where you live",
    "domestic-abuse": "a domestic-abuse service where you live",
    "image-abuse": "a service that helps when intimate images are shared or threatened",
    "lgbt": "an LGBT+ domestic-abuse service where you live",
    "men": "a domestic-abuse service for men where you live",
    "stalking-advocacy": "a stalking advocacy service where you live",
    "police": "your local police non-emergency number",
}
ROLES: tuple[str, ...] = tuple(ROLE_FALLBACKS)
DEFAULT_HELP_ROLES: tuple[str, ...] = ("stalking", "domestic-abuse")

# `{help:stalking}`, `{help:stalking,domestic-abuse}`, `{emergency}` (the number) and
# `{emergency-notes}` (the region's notes on calling, e.g. a silent call) in checklist text.
HELP_PLACEHOLDER = re.compile(r"\{help:([a-z-]+(?:,[a-z-]+)*)\}|\{(emergency(?:-notes)?)\}")
# Anything that looks like a placeholder: one that HELP_PLACEHOLDER does not take whole would be
# printed as it stands ("{help: stalking}") instead of naming help.
_PLACEHOLDER_LIKE = re.compile(r"\{\s*(?:help|emergency)[^{}]*\}", re.IGNORECASE)


@dataclass(frozen=True)
class EmergencyLine:
    number: str
    text: str  # the one line shown on every screen, e.g. "If you are in danger now, call 999."
    notes: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class Helpline:
    id: str
    name: str
    number: str
    about: str
    source: str
    hours: str | None = None
    other: tuple[str, ...] = ()
    roles: tuple[str, ...] = ()
    phrase: str | None = None  # how text names it, when "the <name>" reads wrongly
    covers: str | None = None  # the part of the region it serves, when not all of it

    @property
    def in_text(self) -> str:
        """The line as a sentence names it, with its number: "the X Helpline (0808 ...)"."""
        name = self.phrase or f"the {self.name}"
        return f"{name} on {self.number}" if "(" in self.number else f"{name} ({self.number})"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    emergency: EmergencyLine
    lines: tuple[Helpline, ...]
    fallbacks: tuple[tuple[str, str], ...] = ()  # (role, wording) for roles no line here has

    def line_for(self, role: str) -> Helpline | None:
        """The first line (in file order) that gives this kind of help, if any."""
        for line in self.lines:
            if role in line.roles:
                return line
        return None

    def fallback_for(self, role: str) -> str:
        for known_role, wording in self.fallbacks:
            if known_role == role:
                return wording
        return ROLE_FALLBACKS.get(role, "a support service where you live")


@dataclass(frozen=True)
class HelplineBook:
    reviewed: str
    default_region: str
    regions: tuple[Region, ...]

    def region(self, code: str | None) -> Region:
        wanted = (code or self.default_region).upper()
        for region in self.regions:
            if region.code == wanted:
                return region
        known = ", ".join(region.code for region in self.regions)
        raise DeviceCheckError(f"no help lines for region {wanted!r} (known regions: {known})")

    def codes(self) -> tuple[str, ...]:
        return tuple(region.code for region in self.regions)


def _text(data: dict[str, Any], name: str, where: str, optional: bool = False) -> str | None:
    value = data.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, (str, int)) or isinstance(value, bool) or not str(value).strip():
        raise InvalidDataError(f"helplines.yaml: {where}: {name!r} must be text")
    return str(value)


def _texts(data: dict[str, Any], name: str, where: str) -> tuple[str, ...]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidDataError(f"helplines.yaml: {where}: {name!r} must be a list of text")
    return tuple(value)


def _mapping(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidDataError(f"helplines.yaml: {where} must be a mapping")
    return value


def _roles(data: dict[str, Any], where: str) -> tuple[str, ...]:
    roles = _texts(data, "roles", where)
    for role in roles:
        if role not in ROLE_FALLBACKS:
            raise InvalidDataError(
                f"helplines.yaml: {where}: unknown role {role!r} (use {', '.join(ROLES)})"
            )
    return roles


def _fallbacks(data: dict[str, Any], where: str) -> tuple[tuple[str, str], ...]:
    raw = _mapping(data.get("fallbacks") or {}, f"{where} fallbacks")
    for role, wording in raw.items():
        if role not in ROLE_FALLBACKS:
            raise InvalidDataError(f"helplines.yaml: {where} fallbacks: unknown role {role!r}")
        if not isinstance(wording, str) or not wording.strip():
            raise InvalidDataError(f"helplines.yaml: {where} fallbacks: {role!r} must be text")
    return tuple((str(role), str(wording)) for role, wording in raw.items())


def parse_helplines(data: Any) -> HelplineBook:
    top = _mapping(data, "the file")
    regions: list[Region] = []
    raw_regions = top.get("regions")
    if not isinstance(raw_regions, list) or not raw_regions:
        raise InvalidDataError("helplines.yaml: 'regions' must be a non-empty list")
    for index, raw in enumerate(raw_regions):
        region_data = _mapping(raw, f"region {index + 1}")
        code = str(_text(region_data, "code", f"region {index + 1}")).upper()
        emergency_data = _mapping(region_data.get("emergency"), f"{code} emergency")
        emergency = EmergencyLine(
            number=str(_text(emergency_data, "number", f"{code} emergency")),
            text=str(_text(emergency_data, "text", f"{code} emergency")),
            notes=_texts(emergency_data, "notes", f"{code} emergency"),
            source=str(_text(emergency_data, "source", f"{code} emergency")),
        )
        raw_lines = region_data.get("lines") or []
        if not isinstance(raw_lines, list):
            raise InvalidDataError(f"helplines.yaml: {code}: 'lines' must be a list")
        lines = []
        for line_index, raw_line in enumerate(raw_lines):
            where = f"{code} line {line_index + 1}"
            line = _mapping(raw_line, where)
            lines.append(
                Helpline(
                    id=str(_text(line, "id", where)),
                    name=str(_text(line, "name", where)),
                    number=str(_text(line, "number", where)),
                    about=str(_text(line, "about", where)),
                    source=str(_text(line, "source", where)),
                    hours=_text(line, "hours", where, optional=True),
                    other=_texts(line, "other", where),
                    roles=_roles(line, where),
                    phrase=_text(line, "phrase", where, optional=True),
                    covers=_text(line, "covers", where, optional=True),
                )
            )
        regions.append(
            Region(
                code=code,
                name=str(_text(region_data, "name", code)),
                emergency=emergency,
                lines=tuple(lines),
                fallbacks=_fallbacks(region_data, code),
            )
        )
    return HelplineBook(
        reviewed=str(top.get("reviewed", "")),
        default_region=str(top.get("default_region", DEFAULT_REGION)).upper(),
        regions=tuple(regions),
    )


@lru_cache(maxsize=1)
def load_helplines() -> HelplineBook:
    """The shipped help lines (read once per process)."""
    text = resources.files("devicecheck").joinpath("data/helplines.yaml").read_text("utf-8")
    return parse_helplines(parse_yaml(text, "helplines.yaml"))


def region_for(code: str | None) -> Region:
    return load_helplines().region(code)


def line_for_role(region_code: str | None, role: str) -> Helpline | None:
    """The region's line for this kind of help (None when the region has none)."""
    return region_for(region_code).line_for(role)


def help_phrase(region_code: str | None, roles: Sequence[str] = DEFAULT_HELP_ROLES) -> str:
    """Words naming the region's help for these roles, e.g. "the National Stalking Helpline
    (0808 802 0300) or the National Domestic Abuse Helpline (0808 2000 247)".

    A role the region has no line for is left out when another role has one; when none has,
    the region's fallback wording for the first role is used, with the emergency number. A line
    that serves only part of the region (`covers`) is named after that fallback, with its area.
    """
    region = region_for(region_code)
    found: list[Helpline] = []
    for role in roles:
        line = region.line_for(role)
        if line is not None and line not in found:
            found.append(line)
    first = roles[0] if roles else DEFAULT_HELP_ROLES[0]
    if found and not all(line.covers for line in found):
        return " or ".join(line.in_text for line in found if not line.covers)
    if found:  # lines for part of the region only: the service where you live first
        local = " or ".join(f"in {line.covers}, {line.in_text}" for line in found)
        return f"{region.fallback_for(first)}, or {local}"
    return (
        f"{region.fallback_for(first)} (if you are in danger now, call {region.emergency.number})"
    )


def fill_help(text: str, region_code: str | None) -> str:
    """Checklist text with its `{help:ROLE[,ROLE]}` and `{emergency}` placeholders filled in
    for the region. Text without placeholders comes back unchanged."""
    if "{" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        if match.group(2) == "emergency":
            return region_for(region_code).emergency.number
        if match.group(2) == "emergency-notes":
            return " ".join(region_for(region_code).emergency.notes)
        return help_phrase(region_code, match.group(1).split(","))

    return HELP_PLACEHOLDER.sub(replace, text)


def unknown_placeholder_roles(text: str) -> list[str]:
    """Roles named in placeholders of this text that no line could ever have (for the validator)."""
    return [
        role
        for match in HELP_PLACEHOLDER.finditer(text)
        if match.group(1)
        for role in match.group(1).split(",")
        if role not in ROLE_FALLBACKS
    ]


def malformed_placeholders(text: str) -> list[str]:
    """Placeholder-like text that fill_help would leave as it is (for the validator)."""
    return [
        match.group(0)
        for match in _PLACEHOLDER_LIKE.finditer(text)
        if not HELP_PLACEHOLDER.fullmatch(match.group(0))
    ]
