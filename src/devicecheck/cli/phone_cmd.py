"""`devicecheck phone list [--json]` and `devicecheck phone scan [--serial S] [--json] [--save]
[--session ID] [--adb PATH] [--show-serial]`.

Exit codes for `scan`: 0 nothing found, 1 something found, 2 the check could not run (no adb,
no phone, not allowed, several phones, the phone went away part-way).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from devicecheck.cli.context import add_json_flag, data_dir_of, print_json, region_of, tell
from devicecheck.cli.scan_cmd import consented_session, show_result, wrapped
from devicecheck.core.finding_labels import (
    HOW_SERIOUS_IN_FULL,
    HOW_SURE,
    category_label,
    kind_label,
)
from devicecheck.core.textsafety import one_line
from devicecheck.errors import DeviceCheckError, InvalidDataError

if TYPE_CHECKING:
    from devicecheck.core.helplines import Region
    from devicecheck.core.phone.findings import PhoneFinding, PhoneScanResult

EXIT_NOTHING_FOUND = 0
EXIT_FOUND = 1


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "phone",
        help="check an Android phone connected over USB (reads only)",
        description="Check an Android phone connected to this computer by USB cable, with USB "
        "debugging turned on. Reads only: nothing on the phone is installed, removed or "
        "changed, and nothing is sent anywhere. Needs Android's adb program.",
        parents=[common],
    )
    actions = parser.add_subparsers(dest="phone_action", metavar="ACTION")
    actions.required = True
    listing = actions.add_parser(
        "list", help="list the phones adb can see and their state", parents=[common]
    )
    add_json_flag(listing)
    _add_adb_flag(listing)
    listing.set_defaults(handler=list_phones)
    scan = actions.add_parser(
        "scan",
        help="check one phone for stalkerware, dangerous access and risky settings",
        description="Check one Android phone. Exit status: 0 nothing found, 1 something "
        "found, 2 the check could not run.",
        parents=[common],
    )
    add_json_flag(scan)
    _add_adb_flag(scan)
    scan.add_argument("--serial", metavar="S", help="the phone to check (see `phone list`)")
    scan.add_argument(
        "--save", action="store_true", help="record the check and each finding in the evidence log"
    )
    scan.add_argument(
        "--session", metavar="ID", help="add the check to this session (implies --save)"
    )
    scan.add_argument(
        "--show-serial",
        action="store_true",
        help="show the phone's serial number (by default only a SHA-256 digest of it is shown "
        "and saved)",
    )
    scan.set_defaults(handler=scan_phone)


def _add_adb_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--adb", metavar="PATH", help="the adb program (default: $DEVICECHECK_ADB, then PATH)"
    )


def list_phones(args: argparse.Namespace) -> int:
    from devicecheck.core.phone.adb import AdbRunner, find_adb, serial_label
    from devicecheck.core.phone.engine import list_phones as read_phones

    phones = read_phones(AdbRunner(find_adb(args.adb)))
    if args.json:
        print_json([phone._asdict() for phone in phones])
        return 0
    if not phones:
        from devicecheck.core.phone.adb import NO_PHONE_HELP

        print(NO_PHONE_HELP[:1].upper() + NO_PHONE_HELP[1:] + ".")
        return 0
    for phone in phones:
        model = f" {phone.model}" if phone.model else ""
        state = _STATE_WORDS.get(phone.state, serial_label(phone.state))
        print(f"{serial_label(phone.serial)}\t{state}{model}")
    return 0


_STATE_WORDS = {
    "device": "ready",
    "unauthorized": "waiting: unlock the phone and tap Allow",
    "offline": "not answering (replug the cable)",
    "no-permissions": "this computer may not open it (USB permissions)",
}


def scan_phone(args: argparse.Namespace) -> int:
    from devicecheck.core.phone.adb import AdbRunner, find_adb
    from devicecheck.core.phone.engine import PhoneCheckInterrupted, phone_indicators
    from devicecheck.core.phone.engine import scan_phone as run_scan

    data_dir = data_dir_of(args)
    session, store = consented_session(args, data_dir, "phone-scan")
    runner = AdbRunner(find_adb(args.adb))
    try:
        indicators = phone_indicators(data_dir)
    except InvalidDataError as error:  # exit 2: 1 means the check found something
        raise DeviceCheckError(error.message) from None
    region = region_of(args)
    observer = _StepLines() if not args.json and sys.stderr.isatty() else None
    try:
        result = run_scan(
            runner,
            indicators,
            serial=args.serial,
            show_serial=args.show_serial,
            region=region.code,
            observer=observer,
        )
    except PhoneCheckInterrupted as stopped:
        _report(stopped.result, args, data_dir, session, store, region)
        raise DeviceCheckError(stopped.message) from None
    _report(result, args, data_dir, session, store, region)
    return EXIT_FOUND if result.findings else EXIT_NOTHING_FOUND


def _report(result: PhoneScanResult, args, data_dir, session, store, region: Region) -> None:
    saved = None
    if args.save or session is not None:
        saved = _save(result, data_dir, session, store)
    show_result(args, result, saved, session, lambda: render_result(result, region))
    from devicecheck.core.phone.findings import TURN_OFF_USB_DEBUGGING

    tell(TURN_OFF_USB_DEBUGGING)


def _save(result: PhoneScanResult, data_dir, session, store) -> str:
    from devicecheck.core.evidence import EvidenceLog
    from devicecheck.core.phone.engine import save_phone_scan

    return save_phone_scan(result, EvidenceLog(data_dir), session=session, store=store).id


class _StepLines:
    """Progress for a person at a terminal: one line per read, on stderr."""

    def step_started(self, what: str, number: int, total: int) -> None:
        tell(f"Reading {what} ({number} of {total})...")


# --- the human-readable result ---------------------------------------------------------------


def render_result(result: PhoneScanResult, region: Region) -> str:
    device = result.device
    from devicecheck.core.dates import format_moment

    lines: list[str] = []
    if result.findings:
        lines += [region.emergency.text, ""]
    when = format_moment(result.finished_at, region.code)
    examined = result.examined
    model = " ".join(part for part in (device.manufacturer, device.model) if part) or "phone"
    lines += wrapped(
        f"Check of the Android phone {model} (Android {device.android_version or '?'}, security "
        f"update {device.security_patch or 'unknown'}), finished {when}. Looked "
        f"at {examined.get('packages', 0)} apps ({examined.get('packages_from_elsewhere', 0)} "
        f"not from an app store or the phone's maker) against "
        f"{examined.get('indicator_apps', 0)} known apps, and at the phone's settings, in "
        f"{examined.get('adb_calls', 0)} reads over USB.",
        "",
    )
    if not result.complete:
        lines += [
            "",
            *wrapped(f"INCOMPLETE: the phone stopped answering. {result.interrupted}", ""),
        ]
    lines.append("")
    if result.findings:
        count = len(result.findings)
        lines.append(f"Found {count} thing{'s' if count != 1 else ''} to look at:")
        for number, finding in enumerate(result.findings, start=1):
            lines += ["", *_finding_lines(number, finding)]
        lines += ["", *wrapped(_BEFORE_REMOVING, "")]
    else:
        lines.append("Nothing known or worrying was found on this phone.")
        lines.append(
            "That is good news, but it cannot rule everything out: see below what this check "
            "does not cover."
        )
    if result.not_examined:
        lines += ["", "What could not be read:"]
        for item in result.not_examined:
            lines += wrapped(f"- {item.what}: {item.reason}", "  ")
    lines += ["", "What a check over USB cannot see:"]
    for limit in result.limits:
        lines += wrapped(f"- {limit}", "  ")
    return "\n".join(map(one_line, lines))  # names and paths come from outside


_BEFORE_REMOVING = (
    "Before you remove or change anything: the person who set it up may notice when an app "
    "disappears or a setting changes. Record it first (`devicecheck phone scan --save`, and "
    "photos of the phone's screen), and talk to a help line about a safe plan."
)


def _finding_lines(number: int, finding: PhoneFinding) -> list[str]:
    heading = (
        f"{number}. {finding.app} ({category_label(finding.category)}), "
        f"{kind_label(finding.kind, phone=True)}. "
        f"How sure: {HOW_SURE.get(finding.confidence, finding.confidence)}. "
        f"How serious: {HOW_SERIOUS_IN_FULL.get(finding.severity, finding.severity)}."
    )
    lines = wrapped(heading, "", subsequent="   ")
    if finding.package and finding.package != finding.app:
        lines.append(f"   App: {finding.package}")
    facts = [
        ("Installed", finding.first_installed),
        ("Version", finding.version),
        ("From", finding.detail.get("from")),
    ]
    for label, value in facts:
        if value:
            lines += wrapped(f"{label}: {value}", "   ")
    if finding.access:
        from devicecheck.core.phone.access import access_labels

        lines += wrapped(f"Access it holds: {access_labels(finding.access)}", "   ")
    lines.append(f"   Source: {finding.source.get('name', '')}")
    lines += wrapped(f"What to do: {finding.advice}", "   ")
    return lines
