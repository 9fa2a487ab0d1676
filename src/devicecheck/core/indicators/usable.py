"""Which indicators of a set a devicecheck check can use, here or on a phone.

An import says so in plain words, and a file with nothing any check can use is refused (by
`indicators import`) or, when nothing in it can be compared on this computer, by
`scan --indicators`: a scan must not say it checked against a list it could not use.
"""

import sys
from typing import NamedTuple

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.errors import InvalidDataError

# Indicator kind -> what on this computer it is compared with.
COMPUTER_USES = {
    "process_names": "running programs",
    "exe_paths": "running programs' files",
    "cmdline_patterns": "running programs' command lines",
    "autostart_names": "start-up entries",
    "domains": "browser history and the hosts file",
    "ips": "network connections",
    "ports": "listening ports",
}
# Kinds that say where a program runs: they apply only on the platforms the app names.
PLATFORM_BOUND = frozenset({"process_names", "exe_paths", "cmdline_patterns", "autostart_names"})
PHONE_USES = {"packages": "the apps of an Android phone (devicecheck phone scan)"}
NOT_USED = {
    "certificates": "signing certificates (a phone over USB shows only a short code of them)",
    "file_hashes": "file hashes",
}
LABELS = {  # kind -> (one, several)
    "process_names": ("program name", "program names"),
    "exe_paths": ("install path", "install paths"),
    "cmdline_patterns": ("command-line pattern", "command-line patterns"),
    "autostart_names": ("start-up entry name", "start-up entry names"),
    "domains": ("domain", "domains"),
    "ips": ("IP address", "IP addresses"),
    "ports": ("port", "ports"),
    "packages": ("Android package name", "Android package names"),
    "certificates": ("signing certificate", "signing certificates"),
    "file_hashes": ("file hash", "file hashes"),
}


class Usability(NamedTuple):
    """Counts of indicators by kind: compared on this computer, on a phone, for other systems
    only (program names of an iOS or Windows product on Linux), and compared by no check;
    `other_computers` is how many of the other systems' ones are for a computer (the scan
    uses them there), not for a phone."""

    here: dict[str, int]
    phone: dict[str, int]
    other_platforms: dict[str, int]
    not_used: dict[str, int]
    other_computers: int = 0

    @property
    def usable_here(self) -> int:
        return sum(self.here.values())

    @property
    def usable_anywhere(self) -> int:
        return self.usable_here + sum(self.phone.values()) + self.other_computers

    def to_dict(self) -> dict[str, dict[str, int]]:
        return {
            "this_computer": dict(self.here),
            "phone": dict(self.phone),
            "other_systems": dict(self.other_platforms),
            "not_used": dict(self.not_used),
        }

    def sentences(self) -> list[str]:
        """What the person is told, one line per group that holds anything."""
        lines = []
        if self.here:
            lines.append("This computer's scan can use: " + _listed(self.here, COMPUTER_USES) + ".")
        else:
            lines.append("This computer's scan can use none of them.")
        if self.phone:
            lines.append("A phone check can use: " + _listed(self.phone, PHONE_USES) + ".")
        if self.other_platforms:
            lines.append(
                "For other systems only (not compared here): "
                + _listed(self.other_platforms, {})
                + "."
            )
        if self.not_used:
            lines.append("Compared by no check: " + _listed(self.not_used, {}) + ".")
        return lines


def _listed(counts: dict[str, int], uses: dict[str, str]) -> str:
    parts = []
    for kind, count in counts.items():
        use = f" ({uses[kind]})" if kind in uses else ""
        parts.append(f"{count} {LABELS[kind][count != 1]}{use}")
    return ", ".join(parts)


def platform_name(platform: str = sys.platform) -> str:
    """`sys.platform` as the indicator model's platform name."""
    if platform.startswith("win"):
        return "windows"
    if platform == "darwin":
        return "macos"
    return "linux"


COMPUTERS = frozenset({"windows", "macos", "linux"})


def usability(indicators: IndicatorSet, platform: str = sys.platform) -> Usability:
    here_name = platform_name(platform)
    groups: tuple[dict[str, int], ...] = ({}, {}, {}, {})
    here, phone, other, unused = groups
    other_computers = 0
    for app in indicators.apps:
        runs_here = not app.platforms or here_name in app.platforms
        if not runs_here and COMPUTERS.intersection(app.platforms):
            other_computers += sum(len(getattr(app, kind)) for kind in PLATFORM_BOUND)
        for kind in (*COMPUTER_USES, *PHONE_USES, *NOT_USED):
            count = len(getattr(app, kind))
            if not count:
                continue
            if kind in PHONE_USES:
                target = phone
            elif kind in NOT_USED:
                target = unused
            elif kind in PLATFORM_BOUND and not runs_here:
                target = other
            else:
                target = here
            target[kind] = target.get(kind, 0) + count
    return Usability(*groups, other_computers)


def require_usable(indicators: IndicatorSet, where: str, *, here: bool = False) -> Usability:
    """The set's usability; InvalidDataError if no check (with `here`: no check of this
    computer) can use any of it."""
    found = usability(indicators)
    if not (found.usable_here if here else found.usable_anywhere):
        what = "this computer's scan" if here else "any devicecheck check"
        held = _listed({**found.phone, **found.other_platforms, **found.not_used}, {})
        detail = f" (it holds only {held})" if held else ""
        raise InvalidDataError(f"{where}: holds no indicators {what} can use{detail}")
    return found
