"""`devicecheck log list | show | add-note | add-incident | attach | amend | verify | receipt |
repair | export`. Text from the log is printed through core.textsafety (no raw controls)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from devicecheck.cli.context import (
    add_json_flag,
    data_dir_of,
    passphrase_given,
    print_json,
    tell,
)
from devicecheck.core.evidence.entries import KINDS
from devicecheck.core.evidence.incidents import HOW_CHANNELS
from devicecheck.core.textsafety import one_line
from devicecheck.errors import EXIT_FOUND_OR_INVALID, DeviceCheckError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "log", help="the evidence log: record, read, check and export", parents=[common]
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _register_reading(actions, common)
    _register_writing(actions, common)
    _register_keeping(actions, common)


def _register_reading(actions: Any, common: argparse.ArgumentParser) -> None:
    listing = actions.add_parser("list", help="every entry, oldest first", parents=[common])
    listing.add_argument("--kind", choices=KINDS, help="only entries of this kind")
    listing.add_argument("--session", metavar="ID", help="only entries from this session")
    add_json_flag(listing)
    listing.set_defaults(handler=list_entries)

    show = actions.add_parser("show", help="one entry in full, with corrections", parents=[common])
    show.add_argument("id", help="the entry id (or its first six or more characters)")
    add_json_flag(show)
    show.set_defaults(handler=show_entry)


def _register_writing(actions: Any, common: argparse.ArgumentParser) -> None:
    note = actions.add_parser("add-note", help="write a note into the log", parents=[common])
    note.add_argument("text", help="what to record")
    _add_entry_options(note)
    note.set_defaults(handler=add_note)

    incident = actions.add_parser(
        "add-incident", help="record an incident (what, when, where, how, who)", parents=[common]
    )
    incident.add_argument("--what", required=True, metavar="TEXT", help="what happened")
    incident.add_argument(
        "--when", metavar="'YYYY-MM-DD HH:MM'", help="when it happened, your local time"
    )
    incident.add_argument("--where", default="", metavar="TEXT", help="where it happened")
    incident.add_argument("--how", default="", choices=HOW_CHANNELS, help="how it happened")
    incident.add_argument("--who", default="", metavar="TEXT", help="who did it")
    incident.add_argument("--witnesses", default="", metavar="TEXT", help="who saw or heard it")
    incident.add_argument("--impact", default="", metavar="TEXT", help="how it affected you")
    incident.add_argument("--police-ref", default="", metavar="REF", help="a police reference")
    incident.add_argument(
        "--attach",
        dest="attachments",
        action="append",
        default=[],
        metavar="FILE",
        help="a screenshot, photo or file to keep with it (repeatable)",
    )
    _add_entry_options(incident)
    incident.set_defaults(handler=add_incident)

    attach = actions.add_parser(
        "attach", help="keep a copy of a file as evidence", parents=[common]
    )
    attach.add_argument("file", help="the file (a copy is stored; the original stays where it is)")
    attach.add_argument("--note", default="", metavar="TEXT", help="what the file shows")
    _add_entry_options(attach)
    attach.set_defaults(handler=attach_file)

    amend = actions.add_parser(
        "amend",
        help="add a correction to an entry (the entry itself never changes)",
        parents=[common],
    )
    amend.add_argument("id", help="the entry to correct")
    amend.add_argument("--note", required=True, metavar="TEXT", help="the correction")
    amend.add_argument("--author", default="self", metavar="NAME", help="who is writing this")
    add_json_flag(amend)
    amend.set_defaults(handler=amend_entry)


def _register_keeping(actions: Any, common: argparse.ArgumentParser) -> None:
    verify = actions.add_parser(
        "verify", help="check that nothing was altered (exit 1 if it was)", parents=[common]
    )
    verify.add_argument(
        "--receipt",
        dest="receipts",
        action="append",
        default=[],
        metavar="SEQ:HASH",
        help="a receipt noted earlier (`devicecheck log receipt`): also check that the log "
        "still holds that entry and everything since extends it (repeatable)",
    )
    add_json_flag(verify)
    verify.set_defaults(handler=verify_log)

    receipt = actions.add_parser(
        "receipt",
        help="a short receipt of the log as it is now, to write down or send to a caseworker",
        parents=[common],
    )
    add_json_flag(receipt)
    receipt.set_defaults(handler=print_receipt)

    repair = actions.add_parser(
        "repair", help="set aside an incomplete last line after a crash", parents=[common]
    )
    add_json_flag(repair)
    repair.set_defaults(handler=repair_log)

    export = actions.add_parser(
        "export", help="write the log to a file for a caseworker or the police", parents=[common]
    )
    export.add_argument("--format", required=True, choices=("jsonl", "csv"), dest="fmt")
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write")
    export.set_defaults(handler=export_entries)


def _add_entry_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--session", metavar="ID", help="the session this belongs to")
    parser.add_argument(
        "--author", default="self", metavar="NAME", help="who is writing this (default: self)"
    )
    add_json_flag(parser)


# --- handlers --------------------------------------------------------------------------------


def _log(args: argparse.Namespace) -> Any:
    from devicecheck.core.evidence import EvidenceLog

    return EvidenceLog(data_dir_of(args))


def _session_of(args: argparse.Namespace) -> str | None:
    """The --session id, checked against the saved sessions so a typo is caught."""
    if not args.session:
        from devicecheck.core.session_log import unsessioned_warning

        warning = unsessioned_warning(data_dir_of(args))
        if warning:
            tell(f"Warning: {warning}.")
        return None
    from devicecheck.core.casework import require_consent
    from devicecheck.core.sessions import SessionStore

    store = SessionStore(data_dir_of(args))
    if not store.path_for(args.session).exists():
        raise DeviceCheckError(f"no session {args.session} (see `devicecheck session list`)")
    require_consent(store.load(args.session), "evidence")
    return args.session


def _recorded(args: argparse.Namespace, entry: Any) -> int:
    if args.json:
        print_json(entry.to_dict())
    else:
        print(entry.id)
        tell(f"Recorded as entry {entry.seq} ({entry.kind}). It is saved and cannot be changed.")
    return 0


def add_note(args: argparse.Namespace) -> int:
    entry = _log(args).add_note(args.text, session=_session_of(args), author=args.author)
    return _recorded(args, entry)


def add_incident(args: argparse.Namespace) -> int:
    from devicecheck.core.evidence import Incident
    from devicecheck.core.evidence.incidents import parse_when_with_notes

    when, notes = parse_when_with_notes(args.when) if args.when else (None, ())
    for note in notes:
        tell(f"Note: {note}.")
    incident = Incident(
        what=args.what,
        when=when,
        where=args.where,
        how=args.how,
        who=args.who,
        witnesses=args.witnesses,
        impact=args.impact,
        police_ref=args.police_ref,
    )
    entry = _log(args).add_incident(
        incident,
        attachments=[Path(name) for name in args.attachments],
        session=_session_of(args),
        author=args.author,
    )
    return _recorded(args, entry)


def attach_file(args: argparse.Namespace) -> int:
    entry = _log(args).attach(
        Path(args.file), note=args.note, session=_session_of(args), author=args.author
    )
    return _recorded(args, entry)


def amend_entry(args: argparse.Namespace) -> int:
    entry = _log(args).amend(args.id, args.note, author=args.author)
    return _recorded(args, entry)


def list_entries(args: argparse.Namespace) -> int:
    from devicecheck.core.evidence.export import summarise

    log = _log(args)
    contents = log.read()
    _warn_about_damage(contents)
    _warn_unless_intact(log)
    entries = [
        entry
        for entry in contents.entries
        if (args.kind is None or entry.kind == args.kind)
        and (args.session is None or entry.session == args.session)
    ]
    if args.json:
        print_json([entry.to_dict() for entry in entries])
        return 0
    if not entries:
        tell("No evidence entries yet." if not contents.entries else "No entries match.")
        return 0
    print(f"{'SEQ':>5}  {'RECORDED (UTC)':<19}  {'KIND':<13} {'ID':<16}  {'AUTHOR':<12} SUMMARY")
    for entry in entries:
        summary = one_line(summarise(entry))
        summary = summary if len(summary) <= 70 else summary[:69] + "…"
        recorded = one_line(entry.recorded_at[:19].replace("T", " "))
        print(
            f"{entry.seq:>5}  {recorded:<19}  {entry.kind:<13} "
            f"{one_line(entry.id):<16}  {one_line(entry.author[:12]):<12} {summary}"
        )
    return 0


def _warn_unless_intact(log: Any) -> None:
    """`log list` and `log show` say so when the chain does not verify (they still show it)."""
    report = log.verify(keyed=True)
    if not report.ok and report.first_bad is not None:
        bad = report.first_bad
        tell(
            f"devicecheck: warning: the log does NOT verify (entry {bad.seq}: {bad.reason}); "
            "what is shown may have been changed. Run `devicecheck log verify`"
        )


def _warn_about_damage(contents: Any) -> None:
    if contents.unreadable_lines:
        lines = ", ".join(str(number) for number in contents.unreadable_lines[:10])
        tell(
            f"devicecheck: warning: line(s) {lines} of the log are not readable entries; "
            "run `devicecheck log verify`"
        )
    if contents.torn_tail:
        tell(
            "devicecheck: warning: the log ends in an incomplete line; run `devicecheck log repair`"
        )


def show_entry(args: argparse.Namespace) -> int:
    log = _log(args)
    entry = log.get(args.id)
    amendments = log.amendments_of(entry.id)
    _warn_unless_intact(log)
    if args.json:
        print_json({**entry.to_dict(), "amendments": [item.to_dict() for item in amendments]})
        return 0
    print(f"Entry {entry.seq} ({entry.kind}), id {one_line(entry.id)}")
    print(f"Recorded: {one_line(entry.recorded_at)} by {one_line(entry.author)}")
    if entry.session:
        print(f"Session: {one_line(entry.session)}")
    for key, value in sorted(entry.data.items()):
        print(f"  {one_line(key)}: {one_line(_readable(value))}")
    print(f"Hash: {entry.hash}")
    print(f"Follows: {entry.prev}")
    for amendment in amendments:
        print(
            f"Correction (entry {amendment.seq}, {one_line(amendment.recorded_at)} by "
            f"{one_line(amendment.author)}): {one_line(amendment.data.get('note', ''))}"
        )
    return 0


def _readable(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def verify_log(args: argparse.Namespace) -> int:
    from devicecheck.core.evidence.receipts import parse_receipt

    claims = [parse_receipt(text) for text in args.receipts]
    log = _log(args)
    # A protected folder: without a passphrase given, only the public chain is checked; on a
    # terminal the passphrase is asked for, so the full check runs.
    keyed = passphrase_given(args) or sys.stdin.isatty() or bool(claims)
    report = log.verify(claims, keyed=keyed)  # `keyed` means nothing in a plain folder
    if args.json:
        print_json(report.to_dict())
    else:
        _print_verify(report)
    return 0 if report.ok else EXIT_FOUND_OR_INVALID


def _print_verify(report: Any) -> None:
    bad = report.first_bad
    unmatched = [check for check in report.receipts if not check.ok]
    if bad is not None:
        print(f"The evidence log is NOT intact: entry {bad.seq} (line {bad.line}): {bad.reason}.")
        print(f"  {bad.detail}")
        print(f"  {report.entries} entries before it check out.")
    elif unmatched:
        print(
            f"The evidence log is NOT intact: it does not match {len(unmatched)} of the "
            f"receipts you kept, so it was cut short, rebuilt or replaced since (its "
            f"{report.entries} entries fit together, which on its own proves nothing here)."
        )
    elif report.keyed is False:
        print(
            f"The stored lines of the protected evidence log fit together: {report.entries} "
            "entries, each linked to the one before. That is all that can be checked without "
            "the passphrase: lines added, changed or removed by someone who also redid the "
            "links, and changed attached files, are caught only with it (give "
            "--passphrase-file); entries cut off the end, only with a receipt."
        )
    else:
        print(
            f"The evidence log is intact: {report.entries} entries, "
            f"{report.attachments} attached file(s) checked"
            + (", each entry opened with the folder's key." if report.keyed else ".")
        )
        print(_WHAT_VERIFY_ALONE_CANNOT_SEE[bool(report.keyed)])
    for check in report.receipts:
        status = "matches" if check.ok else "DOES NOT MATCH"
        print(f"Receipt {check.claim}: {status}: {check.detail}.")


_WHAT_VERIFY_ALONE_CANNOT_SEE = {
    False: "On its own this shows the entries fit together; someone with access to this "
    "computer could still rebuild the whole chain or cut entries off the end. A receipt "
    "kept elsewhere (`devicecheck log receipt`) catches that.",
    True: "Every entry was written with the passphrase, and they fit together. Entries cut "
    "off the end, or the log put back to an older copy of itself, are caught only by a "
    "receipt kept elsewhere (`devicecheck log receipt`).",
}


def print_receipt(args: argparse.Namespace) -> int:
    from devicecheck.core.evidence.receipts import receipt_of

    log = _log(args)
    report = log.verify()
    if not report.ok:
        bad = report.first_bad
        where = f" at entry {bad.seq} ({bad.reason})" if bad else ""
        raise DeviceCheckError(
            f"the log does not verify{where}; a receipt would vouch for a damaged log. "
            "Run `devicecheck log verify`"
        )
    receipt = receipt_of(log)
    if receipt is None:
        if args.json:
            print_json(None)
        tell("The log is empty: there is nothing to give a receipt for yet.")
        return 0
    if args.json:
        print_json(receipt.to_dict())
        return 0
    print(f"Receipt: {receipt.short_form}")
    print(f"  entry {receipt.seq}, recorded {receipt.recorded_at}")
    print(f"  full hash {receipt.head_hash}")
    tell(
        "Write the receipt down or send it to your caseworker, somewhere the other person cannot "
        "reach. Later, `devicecheck log verify --receipt "
        f"{receipt.short_form}` shows whether the log still holds everything up to this entry "
        "unchanged: a log that was cut short, rebuilt or replaced will not match."
    )
    return 0


def repair_log(args: argparse.Namespace) -> int:
    result = _log(args).repair()
    if args.json:
        print_json(result.to_dict())
    elif result.repaired:
        print(
            f"Set aside an incomplete last line ({result.size} bytes) in {result.quarantine}; "
            f"recorded as entry {result.entry.seq if result.entry else '?'}. Nothing was deleted."
        )
    else:
        print("Nothing to repair: the log does not end in an incomplete line.")
    return 0


def export_entries(args: argparse.Namespace) -> int:
    from devicecheck.core.evidence.export import export_log
    from devicecheck.core.report import check_output

    log = _log(args)
    count = export_log(log, args.fmt, check_output(Path(args.output), data_dir_of(args)))
    tell(f"Wrote {count} entries to {args.output} ({args.fmt}). Keep it somewhere private.")
    if log.is_protected():
        tell(
            "The export is NOT encrypted (the data folder is): anyone who opens that file can "
            "read it."
        )
    return 0
