"""Dates as people write them: "Saturday 21 November 2026, 09:15", in the region's style.

The names are English whatever the computer's locale (the report is in English), so the output
does not change with the machine that made it. A time keeps the offset it was recorded with:
an incident is shown in the local time it happened; a UTC record time says "UTC".
"""

from __future__ import annotations

import datetime as dt

from devicecheck.core.clock import MONTHS, WEEKDAYS

# Regions that write the month before the day and use a 12-hour clock.
MONTH_FIRST = frozenset(("US", "PH"))


def parse_moment(text: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def format_moment(
    text: str, region_code: str = "GB", *, time: bool = True, zone: bool = True
) -> str:
    """An ISO 8601 time in words with its weekday; text that is not a time comes back as is.

    `zone`: say "UTC" after a time recorded in UTC (record times); an incident's time is the
    local time it happened and is shown without it."""
    moment = parse_moment(text) if text else None
    if moment is None:
        return text
    day = WEEKDAYS[moment.weekday()]
    month = MONTHS[moment.month - 1]
    if region_code.upper() in MONTH_FIRST:
        words = f"{day}, {month} {moment.day}, {moment.year}"
        clock = (
            f"{(moment.hour % 12) or 12}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"
        )
    else:
        words = f"{day} {moment.day} {month} {moment.year}"
        clock = f"{moment.hour:02d}:{moment.minute:02d}"
    if not time:
        return words
    utc = zone and moment.utcoffset() == dt.timedelta(0)
    return f"{words}, {clock}{' UTC' if utc else ''}"
