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
MIN_YEAR, MAX_YEAR = 1900, 2100


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
    """`YYYY-MM-DD HH:MM` in local time (or ISO 8601 with an offset) -> ISO 8601 with offset."""
    return parse_when_with_notes(text)[0]


def parse_when_with_notes(text: str, now: dt.datetime | None = None) -> tuple[str, tuple[str, ...]]:
    """The time as ISO 8601 with its offset, and anything the person should be told about it.

    The local offset is the one in force at that moment, so a date across a clock change gets
    the right one. A local time the clocks skipped (a spring-forward gap) is refused; one they
    passed twice (autumn) takes the first and says so; a future time is kept with a warning;
    a year outside 1900-2100 is refused (almost always a typing slip).
    """
    cleaned = text.strip()
    try:
        moment = dt.datetime.strptime(cleaned, WHEN_FORMAT)
    except ValueError:
        moment = _parse_iso(cleaned)
    if not MIN_YEAR <= moment.year <= MAX_YEAR:
        raise DeviceCheckError(
            f"--when must be a date between {MIN_YEAR} and {MAX_YEAR}; got {cleaned!r}"
        )
    notes: list[str] = []
    if moment.tzinfo is None:
        moment, note = _localised(moment, cleaned)
        if note:
            notes.append(note)
    current = now or dt.datetime.now(dt.timezone.utc)
    if moment > current + dt.timedelta(minutes=5):
        notes.append(f"{cleaned} is in the future; check the date (it was kept as given)")
    return moment.isoformat(), tuple(notes)


def _localised(naive: dt.datetime, cleaned: str) -> tuple[dt.datetime, str]:
    """The local time with its offset; refuses a time that did not exist."""
    first = naive.replace(fold=0).astimezone()
    second = naive.replace(fold=1).astimezone()
    if first.utcoffset() == second.utcoffset():
        return first, ""
    exists = first.replace(tzinfo=None) == naive or second.replace(tzinfo=None) == naive
    if not exists or first.astimezone(dt.timezone.utc) == second.astimezone(dt.timezone.utc):
        raise DeviceCheckError(
            f"{cleaned} did not happen here: the clocks went forward at that time. Give the "
            "time just before or after the change, or add the UTC offset "
            "(e.g. 2024-03-31T01:30+00:00)"
        )
    earlier = min(first, second, key=lambda moment: moment.astimezone(dt.timezone.utc))
    return earlier, (
        f"{cleaned} happened twice here (the clocks went back); took the first, "
        f"{earlier.isoformat()}. To choose the second, give its UTC offset"
    )


def _parse_iso(text: str) -> dt.datetime:
    try:
        return dt.datetime.fromisoformat(text)
    except (ValueError, OverflowError):
        raise DeviceCheckError(
            f'--when must look like "2024-05-31 21:40" (local time); got {text!r}'
        ) from None


def _parse_iso_with_offset(text: str) -> dt.datetime:
    moment = _parse_iso(text)
    if moment.tzinfo is None:
        raise DeviceCheckError(f"a stored incident time needs its UTC offset; got {text!r}")
    return moment
