"""What changed since the last saved scan: a baseline of the ways in and the start-up entries.

Each saved scan (`scan --save`) records a baseline in the data folder: the user accounts that
can log in, the keys in `authorized_keys`, the start-up entries, the listening network ports,
the remote-access tools the scan recognised and the browser extensions installed (through
`core.scan.browser_extensions`). The next scan compares this computer with that baseline
and reports what is new and what is gone, with the dates of both scans: "a new start-up entry
appeared between 3 and 10 November 2026". That is evidence in itself.

The baseline is kept with `core.protection.write_private`: in a protected data folder it is
encrypted and sealed, so a planted or altered file is refused; in a folder that is not
protected, anyone who can write to the folder could replace it (docs/architecture.md). A file
that is damaged, or that is not a baseline, is reported in one line and not used.

observe (`items_of`) -> compare (`changes`) -> judge (`check_changes`).
"""

import json
import os
import re
import stat
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.clock import MONTHS
from devicecheck.core.scan.accounts import Account, parse_passwd, read_text
from devicecheck.core.scan.authorized_keys import parse_authorized_keys
from devicecheck.core.scan.autostart import AutostartEntry
from devicecheck.core.scan.browser_extensions import InstalledExtension, list_extensions
from devicecheck.core.scan.connections import ObservedConnection
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Finding,
    Match,
    NotExamined,
    ProcessInfo,
    ScanContext,
    ScanResult,
    advice_for_behaviour,
    make_behaviour_finding,
)
from devicecheck.core.scan.way_in import AUTHORIZED_KEYS_FILES
from devicecheck.errors import DeviceCheckError, InvalidDataError

BASELINE_NAME = "scan-baseline.json"
FORMAT = "devicecheck-scan-baseline"
VERSION = 1
MAX_BASELINE_BYTES = 8 * 1024 * 1024
MAX_ITEMS = 20_000
MAX_ITEM_LENGTH = 4096
# Ports the system hands out to programs that ask for "any port" (ip_local_port_range's Linux
# default, 32768-60999, and IANA's dynamic range from 49152): they change from run to run, so
# they would be "new" at every scan.
EPHEMERAL_FROM = 32768
SPELLED_OUT_UP_TO = 5  # more changes of one kind than this are one finding with a list

# What each part of the baseline holds, in the words a finding uses.
KINDS: Mapping[str, tuple[str, str, str]] = {
    # kind: (one, many, category)
    "accounts": ("account that can log in", "accounts that can log in", "remote-access"),
    "authorized_keys": (
        "SSH key that allows a login",
        "SSH keys that allow a login",
        "remote-access",
    ),
    "autostart": ("start-up entry", "start-up entries", "spyware"),
    "listening_ports": ("listening network port", "listening network ports", "remote-access"),
    "remote_access": ("remote-access tool", "remote-access tools", "remote-access"),
    "browser_extensions": ("browser extension", "browser extensions", "spyware"),
}
_ISO_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$")


class Baseline(NamedTuple):
    taken_at: str  # when the saved scan finished (ISO 8601, UTC)
    scan_entry: str | None  # its "scan" entry in the evidence log
    items: dict[str, tuple[str, ...]]  # kind -> what was there, each in one line


# --- what is there now -------------------------------------------------------------------------


def account_items(accounts: Iterable[Account]) -> list[str]:
    return [
        f"{account.name} (user number {account.uid}, shell {account.shell})"
        for account in accounts
        if account.can_log_in
    ]


def key_items(places: Iterable[Path]) -> list[str]:
    items = []
    for path in places:
        try:
            text = read_text(path, 1024 * 1024)
        except OSError:
            continue
        for key in parse_authorized_keys(text).keys:
            items.append(f"{key.fingerprint} {key.comment or '(no name)'} in {path}")
    return items


def autostart_items(entries: Iterable[AutostartEntry]) -> list[str]:
    """One line per entry; a crontab's line number is left out (a line added above another job
    would otherwise make that job look new)."""
    items = []
    for entry in entries:
        place, _, line = entry.location.rpartition(":")
        location = place if line.isdigit() and place else entry.location
        items.append(f"{entry.name}: {entry.command or '(no command)'} ({location})")
    return items


def port_items(connections: Iterable[ObservedConnection], name_of: Mapping[int, str]) -> list[str]:
    items = []
    for connection in connections:
        if connection.status != "LISTEN" or connection.local_port >= EPHEMERAL_FROM:
            continue
        program = name_of.get(connection.pid or -1, "program unknown")
        address = f"{connection.local_ip}:{connection.local_port}"
        items.append(f"{connection.protocol} {address} ({program})")
    return items


INDICATOR_KINDS = frozenset({"process", "connection", "listener", "autostart"})


def remote_access_items(findings: Iterable[Finding]) -> list[str]:
    """The remote-access products the indicator lists recognised (not the behaviour signs:
    those are recorded as what they are, accounts, keys and ports)."""
    return [
        finding.app
        for finding in findings
        if finding.category == "remote-access" and finding.kind in INDICATOR_KINDS
    ]


def extension_items(extensions: Iterable[InstalledExtension]) -> list[str]:
    """One line per installed extension: browser, profile, name and id (not the version, which
    changes with every update)."""
    return [f"{e.browser} {e.profile}: {e.name} ({e.id})" for e in extensions]


def items_of(
    *,
    accounts: Sequence[Account],
    key_files: Iterable[Path],
    autostart: Iterable[AutostartEntry],
    connections: Iterable[ObservedConnection],
    processes: Iterable[ProcessInfo],
    findings: Iterable[Finding],
    extensions: Iterable[InstalledExtension] = (),
) -> dict[str, tuple[str, ...]]:
    name_of = {process.pid: process.name for process in processes}
    parts = {
        "accounts": account_items(accounts),
        "authorized_keys": key_items(key_files),
        "autostart": autostart_items(autostart),
        "listening_ports": port_items(connections, name_of),
        "remote_access": remote_access_items(findings),
        "browser_extensions": extension_items(extensions),
    }
    return {kind: tuple(sorted(set(values))) for kind, values in parts.items()}


def key_files_for(accounts: Sequence[Account], home: Path, system: Path) -> list[Path]:
    homes = [home] + [
        system / account.home.lstrip("/")
        for account in accounts
        if account.can_log_in and account.home
    ]
    unique = list(dict.fromkeys(homes))
    return [folder / name for folder in unique for name in AUTHORIZED_KEYS_FILES]


def accounts_of(system: Path, platform: str) -> list[Account]:
    if not platform.startswith("linux"):
        return []
    try:
        return parse_passwd(read_text(system / "etc/passwd"))
    except OSError:
        return []


# --- the file ----------------------------------------------------------------------------------


def encode_baseline(baseline: Baseline) -> bytes:
    document = {
        "format": FORMAT,
        "version": VERSION,
        "taken_at": baseline.taken_at,
        "scan_entry": baseline.scan_entry,
        "items": {kind: list(values) for kind, values in baseline.items.items()},
    }
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=True).encode("utf-8")


def parse_baseline(data: bytes, where: str = BASELINE_NAME) -> Baseline:
    """A baseline from its file; InvalidDataError (one line) for anything else."""
    damaged = f"{where} is damaged or was not written by devicecheck"
    if len(data) > MAX_BASELINE_BYTES:
        raise InvalidDataError(f"{damaged} (too large)")
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise InvalidDataError(f"{damaged} (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise InvalidDataError(f"{damaged} (not a scan baseline)")
    if document.get("version") != VERSION or type(document.get("version")) is not int:
        raise InvalidDataError(f"{damaged} (unknown version)")
    taken_at = document.get("taken_at")
    if not isinstance(taken_at, str) or not _ISO_UTC.match(taken_at):
        raise InvalidDataError(f"{damaged} (no date)")
    scan_entry = document.get("scan_entry")
    if scan_entry is not None and not (isinstance(scan_entry, str) and len(scan_entry) < 200):
        raise InvalidDataError(f"{damaged} (bad scan entry)")
    items = document.get("items")
    if not isinstance(items, dict) or set(items) - set(KINDS):
        raise InvalidDataError(f"{damaged} (unknown contents)")
    parsed: dict[str, tuple[str, ...]] = {}
    count = 0
    for kind, values in items.items():
        if not isinstance(values, list) or not all(
            isinstance(value, str) and len(value) <= MAX_ITEM_LENGTH for value in values
        ):
            raise InvalidDataError(f"{damaged} (bad {kind})")
        count += len(values)
        parsed[kind] = tuple(values)
    if count > MAX_ITEMS:
        raise InvalidDataError(f"{damaged} (too many entries)")
    return Baseline(taken_at, scan_entry, parsed)


def baseline_path(data_root: Path) -> Path:
    return Path(data_root) / BASELINE_NAME


def load_baseline(data_root: Path) -> Baseline | None:
    """The last saved baseline; None when there is none. InvalidDataError when damaged;
    DeviceCheckError when the protected folder is locked."""
    path = baseline_path(data_root)
    try:
        status = os.lstat(path)
        if not stat.S_ISREG(status.st_mode) or status.st_size > MAX_BASELINE_BYTES:
            raise InvalidDataError(f"{path} is damaged or was not written by devicecheck")
        from devicecheck.core.protection import read_private  # only when there is a baseline

        data = read_private(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise InvalidDataError(f"{path} could not be read ({error.strerror or error})") from None
    return parse_baseline(data, str(path))


def save_baseline(data_root: Path, baseline: Baseline) -> None:
    from devicecheck.core.protection import write_private

    write_private(baseline_path(data_root), encode_baseline(baseline))


# --- comparing -----------------------------------------------------------------------------------


class Change(NamedTuple):
    kind: str
    new: bool  # True: appeared since; False: gone since
    items: tuple[str, ...]


def changes(previous: Baseline, current: Mapping[str, Sequence[str]]) -> list[Change]:
    """What is new and what is gone, kind by kind (a kind the old baseline did not record is
    not compared)."""
    found = []
    for kind in KINDS:
        if kind not in previous.items or kind not in current:
            continue
        before, now = set(previous.items[kind]), set(current[kind])
        if now - before:
            found.append(Change(kind, True, tuple(sorted(now - before))))
        if before - now:
            found.append(Change(kind, False, tuple(sorted(before - now))))
    return found


def _day(iso: str) -> tuple[int, int, int]:
    return int(iso[:4]), int(iso[5:7]), int(iso[8:10])


def between(earlier: str, later: str) -> str:
    """'between 3 and 10 November 2026' (and the other spellings for months and years)."""
    (y1, m1, d1), (y2, m2, d2) = _day(earlier), _day(later)
    month1, month2 = MONTHS[m1 - 1], MONTHS[m2 - 1]
    if (y1, m1, d1) == (y2, m2, d2):
        return f"on {d1} {month1} {y1} (between {earlier[11:16]} and {later[11:16]} UTC)"
    if (y1, m1) == (y2, m2):
        return f"between {d1} and {d2} {month2} {y2}"
    if y1 == y2:
        return f"between {d1} {month1} and {d2} {month2} {y2}"
    return f"between {d1} {month1} {y1} and {d2} {month2} {y2}"


def check_changes(
    previous: Baseline, current: Mapping[str, Sequence[str]], now: str, region: str | None
) -> list[Finding]:
    findings = []
    for change in changes(previous, current):
        if len(change.items) <= SPELLED_OUT_UP_TO:
            findings += [_finding(change, (item,), previous, now, region) for item in change.items]
        else:
            findings.append(_finding(change, change.items, previous, now, region))
    return findings


def _finding(
    change: Change, items: tuple[str, ...], previous: Baseline, now: str, region: str | None
) -> Finding:
    one, many, category = KINDS[change.kind]
    when = between(previous.taken_at, now)
    listed = items[0] if len(items) == 1 else "; ".join(items)
    label = one if len(items) == 1 else f"{len(items)} {many}"
    if change.new:
        headline = f"New since the last saved scan: {label}"
        what = (
            f"{'A new ' + one if len(items) == 1 else str(len(items)) + ' new ' + many} appeared "
            f"{when}: {listed}. If you, or someone you trust, did not add "
            f"{'it' if len(items) == 1 else 'them'}, someone else may have. This is evidence in "
            "itself: the saved scans show when it appeared."
        )
    else:
        headline = f"Gone since the last saved scan: {label}"
        what = (
            f"{'A' if len(items) == 1 else len(items)} {one if len(items) == 1 else many} that "
            f"{'was' if len(items) == 1 else 'were'} there at the last saved scan "
            f"{'was' if len(items) == 1 else 'were'} gone by this one ({when}): {listed}. If you "
            "did not remove it, someone else may have, for example after it was noticed; the "
            "earlier scan in the evidence log shows it was there."
        )
    return make_behaviour_finding(
        kind="changed",
        app=headline,
        category=category,
        severity="medium",
        confidence="medium" if change.new else "low",
        matched=Match("the baseline of the last saved scan", change.kind, items[0]),
        advice=advice_for_behaviour(what, region, secret=False),
        detail={
            "change": "new" if change.new else "gone",
            "what": change.kind,
            "items": list(items),
            "previous_scan": previous.taken_at,
            "previous_scan_entry": previous.scan_entry,
            "this_scan": now,
            "when": when,
        },
    )


# --- the check, and recording a baseline -------------------------------------------------------


def _current_items(context: ScanContext, system: Path) -> dict[str, tuple[str, ...]]:
    accounts = accounts_of(system, context.platform)
    extensions, _, _ = list_extensions(context.home, context.platform)
    return items_of(
        extensions=extensions,
        accounts=accounts,
        key_files=key_files_for(accounts, context.home, system),
        autostart=context.autostart_entries,
        connections=context.connections,
        processes=context.processes,
        findings=context.findings,
    )


def check_baseline(context: ScanContext, system: Path = Path("/")) -> CheckOutcome:
    """Compare this computer with the baseline of the last saved scan, if there is one."""
    if context.data_dir is None:
        return CheckOutcome()
    try:
        previous = load_baseline(context.data_dir.root)
    except DeviceCheckError as error:
        return CheckOutcome(
            not_examined=(
                NotExamined(
                    "changes since the last saved scan",
                    f"{error.message}; the saved baseline was not used",
                ),
            )
        )
    if previous is None:
        return CheckOutcome(examined={"baseline_items_compared": 0})
    from devicecheck.core.clock import utc_now

    current = _current_items(context, system)
    findings = check_changes(previous, current, utc_now(), context.region)
    compared = sum(len(values) for values in current.values())
    return CheckOutcome(tuple(findings), {"baseline_items_compared": compared})


def record_baseline(
    data_root: Path,
    result: ScanResult,
    scan_entry: str | None,
    *,
    platform: str | None = None,
    home: Path | None = None,
    system: Path = Path("/"),
) -> bool:
    """Keep this computer's baseline as of a saved scan, for the next scan to compare with.

    Called when a scan is saved: the start-up entries and listening ports are read again (the
    scan does not keep them), the remote-access tools are the scan's own findings. Returns
    False when it could not be written; the evidence is saved all the same, and the next scan
    compares with the baseline before (its dates stay true).
    """
    import sys

    from devicecheck.core.indicators.model import IndicatorSet
    from devicecheck.core.scan.autostart import collect_autostart
    from devicecheck.core.scan.connections import observe_connections
    from devicecheck.core.scan.processes import observe_processes

    platform = platform or sys.platform
    processes, _ = observe_processes()
    connections, _ = observe_connections()
    context = ScanContext(
        processes=tuple(processes),
        platform=platform,
        home=home or Path.home(),
        indicators=IndicatorSet((), ()),
        data_dir=None,
        region=None,
        connections=tuple(connections),
        autostart_entries=tuple(collect_autostart(platform).entries),
        findings=result.findings,
    )
    items = _current_items(context, system)
    try:
        save_baseline(data_root, Baseline(result.finished_at, scan_entry, items))
    except (OSError, DeviceCheckError):
        return False
    return True
