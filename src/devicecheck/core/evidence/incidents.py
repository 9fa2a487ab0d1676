"""The incident diary: the fields police and the National Stalking Helpline ask for."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from devicecheck.errors import DeviceCheckError

HOW_CHANNELS: tuple[str, ...] = (
    "in-person",
    "phone",
    "text",
    "email",
    "social-media",
    "device",
    "other",
)
WHEN_FORMAT = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Incident:
    what: str
    when: str | None = None  # when it happened: ISO 8601, local time with its offset
    where: str = ""
    how: str = ""  # one of HOW_CHANNELS, or "" if not said
    who: str = ""
    witnesses: str = ""
    impact: str = ""
    police_ref: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def check_incident(incident: Incident) -> None:
    if not incident.what.strip():
        raise DeviceCheckError("say what happened (--what)")
    if incident.how and incident.how not in HOW_CHANNELS:
        raise DeviceCheckError(
            f"--how must be one of {', '.join(HOW_CHANNELS)} (got {incident.how!r})"
        )
    if incident.when is not None:
        _parse_iso_with_offset(incident.when)


def parse_when(text: str) -> str:
    """`YYYY-MM-DD HH:MM` in local time (or ISO 8601 with an offset) -> ISO 8601 with offset.

    The local offset is the one in force at that moment, so a date across a clock change
    gets the right one.
    """
    cleaned = text.strip()
    try:
        moment = dt.datetime.strptime(cleaned, WHEN_FORMAT)
    except ValueError:
        moment = _parse_iso(cleaned)
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.isoformat()


def _parse_iso(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise DeviceCheckError(
            f'--when must look like "2024-05-31 21:40" (local time); got {text!r}'
        ) from None


def _parse_iso_with_offset(text: str) -> dt.datetime:
    moment = _parse_iso(text)
    if moment.tzinfo is None:
        raise DeviceCheckError(f"a stored incident time needs its UTC offset; got {text!r}")
    return moment
