"""The time stamps sessions and scans carry, in a module light enough for any start-up path."""

from __future__ import annotations

import time

# Day and month names in English whatever the computer's locale (what devicecheck writes is in
# English, so dates read the same on every machine): reports and scan advice use these.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def utc_now() -> str:
    """The current time, UTC, ISO 8601 with offset, to the second."""
    return utc_iso(time.time())


def utc_iso(timestamp: float) -> str:
    """A POSIX timestamp as UTC ISO 8601 with offset, to the second (what datetime's
    isoformat gives, without importing datetime)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(timestamp))
