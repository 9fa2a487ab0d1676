"""`devicecheck report [SESSION_ID | --latest] --format html|pdf|md|txt -o FILE [--redact]
[--redact-also addresses,witnesses,emails,phones] [--include-unsessioned]`."""

from __future__ import annotations

import argparse

from devicecheck.cli.context import data_dir_of, tell
from devicecheck.core.textsafety import one_line
from devicecheck.errors import DeviceCheckError, InvalidDataError

FORMATS = ("html", "pdf", "md", "txt")
REDACT_HELP = (
    "leave out names (shown as client or caseworker), the client reference, device, computer "
    "and user names, file paths and names, and pictures of attached files"
)


def add_scope_arguments(parser: argparse.ArgumentParser) -> None:
    """The session and redaction options `report` and `pack` share."""
    parser.add_argument("id", nargs="?", metavar="SESSION_ID", help="the session")
    parser.add_argument("--latest", action="store_true", help="the most recently saved session")
    parser.add_argument("--redact", action="store_true", help=REDACT_HELP)
    parser.add_argument(
        "--redact-also",
        metavar="KINDS",
        default="",
        help="also remove addresses, witnesses, emails, phones (comma-separated; implies --redact)",
    )
    parser.add_argument(
        "--include-unsessioned",
        action="store_true",
        help="also include evidence recorded outside any session (said on page 1)",
    )


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a session's findings and evidence as HTML, PDF, Markdown or text",
        parents=[common],
    )
    add_scope_arguments(parser)
    parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt", help="file format")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it")
    parser.set_defaults(handler=write)


def session_of(args: argparse.Namespace):
    """The one session named by SESSION_ID or --latest."""
    from devicecheck.core.sessions import SessionStore

    if bool(args.id) == bool(args.latest):
        raise DeviceCheckError("name one session: give its SESSION_ID or use --latest")
    store = SessionStore(data_dir_of(args))
    if not args.latest:
        return store.load(args.id)
    try:
        session, skipped = store.latest_readable()
    except DeviceCheckError:
        problems = store.list().problems  # session files that are there but do not load
        if problems:
            raise DeviceCheckError(
                f"no saved session can be read ({len(problems)} damaged): " + one_line(problems[0])
            ) from None
        raise
    for problem in skipped:  # a newer session that does not load is not silently passed over
        tell(
            "devicecheck: warning: skipped a newer session that cannot be read: "
            + one_line(problem)
        )
    return session


def region_arg(args: argparse.Namespace):
    from devicecheck.core.helplines import region_for

    code = getattr(args, "region", None)
    return region_for(code) if code else None


def altered_error(what: str, session_id: str, written: object) -> InvalidDataError:
    return InvalidDataError(
        f"THE EVIDENCE LOG HAS BEEN ALTERED: {what} for session {session_id} was written to "
        f"{written}; {'the report in it' if 'pack' in what.lower() else 'it'} says so on every "
        "page (see the integrity section)"
    )


def write_scoped(args: argparse.Namespace, writer, **options):
    """Run `writer` (a report or a pack) for the session and scope the arguments name; return
    the session, what was written, and its name in words."""
    from pathlib import Path

    from devicecheck.core.report.redaction import parse_also

    also = parse_also(args.redact_also)
    session = session_of(args)
    written = writer(
        data_dir_of(args),
        session,
        output=Path(args.output),
        region=region_arg(args),
        redact=args.redact,
        redact_also=also,
        include_unsessioned=args.include_unsessioned,
        **options,
    )
    print(written.path)
    return session, written, bool(args.redact or also)


def write(args: argparse.Namespace) -> int:
    from devicecheck.core.report import write_checked_report

    session, written, redacted = write_scoped(args, write_checked_report, fmt=args.fmt)
    what = "Redacted report" if redacted else "Report"
    if not written.intact:
        raise altered_error(what, session.id, written.path)
    tell(
        f"{what} for session {session.id} written to {written.path}. It is not encrypted "
        "and holds sensitive details: keep it somewhere only you (and people you trust) can see."
    )
    return 0
