"""Help lines by region, from the shipped data file `data/helplines.yaml`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from devicecheck.core.yamltext import parse_yaml
from devicecheck.errors import DeviceCheckError, InvalidDataError

DEFAULT_REGION = "GB"


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


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    emergency: EmergencyLine
    lines: tuple[Helpline, ...]


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
        lines = []
        for line_index, raw_line in enumerate(region_data.get("lines") or []):
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
                )
            )
        regions.append(
            Region(
                code=code,
                name=str(_text(region_data, "name", code)),
                emergency=emergency,
                lines=tuple(lines),
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
