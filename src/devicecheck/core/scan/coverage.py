"""What a scan compared each kind of indicator with, and how many products it could have found.

The indicator lists hold many kinds of signs (program names, paths, start-up names, addresses,
web domains, Android app ids, file hashes). A scan of this computer can use only some of them,
and says which: "checked against N products" counts only the products that the kinds it used
could have found here, on this platform.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from devicecheck.core.indicators.model import AppIndicator, IndicatorSet
from devicecheck.core.scan.findings import Coverage
from devicecheck.core.scan.matching import platform_name

# Kinds compared with the running programs: they find a product only where it runs.
_PROGRAM_KINDS = ("process_names", "exe_paths", "cmdline_patterns", "autostart_names")
_EVERY_KIND = (
    *_PROGRAM_KINDS,
    "ips",
    "ports",
    "domains",
    "packages",
    "certificates",
    "file_hashes",
)
_NEVER_HERE = {
    "packages": "not used: Android app ids can only be checked on the phone itself",
    "certificates": "not used: app signing certificates can only be checked on a phone",
    "file_hashes": "not used: the scan does not hash every file on this computer (the program "
    "file of each match is hashed and shown)",
    "domains": "not compared with anything on this computer",
}


def core_coverage(examined: Mapping[str, int]) -> list[Coverage]:
    """How the processes, connections and start-up stages used their kinds of indicator."""
    processes = examined.get("processes", 0)
    connections = examined.get("connections", 0)
    entries = examined.get("autostart_entries", 0)
    programs = f"compared with {counted(processes, 'running program')}"
    return [
        Coverage("process_names", processes > 0, f"{programs} (names)"),
        Coverage("exe_paths", processes > 0, f"{programs} (program files) and start-up entries"),
        Coverage("cmdline_patterns", processes > 0, f"{programs} (command lines)"),
        Coverage(
            "autostart_names",
            entries > 0,
            f"compared with {counted(entries, 'start-up entry', 'start-up entries')}",
        ),
        Coverage(
            "ips", connections > 0, f"compared with {counted(connections, 'network connection')}"
        ),
        Coverage("ports", connections > 0, "compared with the ports this computer listens on"),
    ]


def counted(number: int, singular: str, plural: str | None = None) -> str:
    """`1 running program`, `3 running programs`."""
    return f"{number} {singular if number == 1 else plural or singular + 's'}"


def complete_coverage(indicators: IndicatorSet, found: Iterable[Coverage]) -> tuple[Coverage, ...]:
    """Every kind the indicator lists hold, each once: as the scan used it, or why not.

    Where a check reported a kind used (the hosts file: domains), that heads the line, and
    what another check could not compare it with follows it ("...; not compared with browser
    history: no browser history was found or readable"), so no place seems read that was not.
    """
    held = _kinds_held(indicators)
    by_kind: dict[str, Coverage] = {}
    not_with: dict[str, list[str]] = {}
    for item in found:
        if not item.used:
            not_with.setdefault(item.kind, []).append(item.how)
        if item.kind not in by_kind or (item.used and not by_kind[item.kind].used):
            by_kind[item.kind] = item
        elif item.used:  # two checks used one kind (domains: browser history, hosts file)
            also = item.how.removeprefix("compared with ")
            by_kind[item.kind] = item._replace(how=f"{by_kind[item.kind].how} and {also}")
    for kind, reasons in not_with.items():
        if by_kind[kind].used:
            how = "; ".join([by_kind[kind].how, *dict.fromkeys(reasons)])
            by_kind[kind] = by_kind[kind]._replace(how=how)
    for kind in _EVERY_KIND:
        if kind in held and kind not in by_kind:
            by_kind[kind] = Coverage(kind, False, _NEVER_HERE.get(kind, "not used by this scan"))
    return tuple(by_kind[kind] for kind in by_kind if kind in held or by_kind[kind].used)


def detectable_products(
    indicators: IndicatorSet, coverage: Iterable[Coverage], platform: str
) -> int:
    """How many products the kinds used could have found on this platform."""
    used = {item.kind for item in coverage if item.used}
    here = platform_name(platform)
    return sum(1 for app in indicators.apps if _detectable(app, used, here))


def _detectable(app: AppIndicator, used: set[str], platform: str) -> bool:
    runs_here = not app.platforms or platform in app.platforms
    if runs_here and any(getattr(app, kind) for kind in _PROGRAM_KINDS if kind in used):
        return True
    return any(getattr(app, kind) for kind in ("ips", "ports", "domains") if kind in used)


def _kinds_held(indicators: IndicatorSet) -> set[str]:
    return {kind for kind in _EVERY_KIND if any(getattr(app, kind) for app in indicators.apps)}
