"""`devicecheck report [SESSION_ID | --latest] --format html|pdf|md|txt -o FILE [--redact]`."""

from __future__ import annotations

import argparse

from devicecheck.cli.context import data_dir_of, tell
from devicecheck.errors import DeviceCheckError

FORMATS = ("html", "pdf", "md", "txt")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "report",
        help="write a session's findings and evidence as HTML, PDF, Markdown or text",
        parents=[common],
    )
    parser.add_argument("id", nargs="?", metavar="SESSION_ID", help="the session to report on")
    parser.add_argument("--latest", action="store_true", help="the most recently saved session")
    parser.add_argument("--format", required=True, choices=FORMATS, dest="fmt", help="file format")
    parser.add_argument("-o", "--output", required=True, metavar="FILE", help="where to write it")
    parser.add_argument(
        "--redact",
        action="store_true",
        help="leave out the client reference, people's and computers' names and file paths",
    )
    parser.set_defaults(handler=write)


def write(args: argparse.Namespace) -> int:
    from pathlib import Path

    from devicecheck.core.helplines import region_for
    from devicecheck.core.report import write_report
    from devicecheck.core.sessions import SessionStore

    if bool(args.id) == bool(args.latest):
        raise DeviceCheckError("name one session: give its SESSION_ID or use --latest")
    data_dir = data_dir_of(args)
    store = SessionStore(data_dir)
    session = store.latest() if args.latest else store.load(args.id)
    region_code = getattr(args, "region", None)
    region = region_for(region_code) if region_code else None
    written = write_report(
        data_dir, session, args.fmt, Path(args.output), region=region, redact=args.redact
    )
    print(written)
    redacted = "Redacted report" if args.redact else "Report"
    tell(
        f"{redacted} for session {session.id} written to {written}. It holds sensitive details: "
        "keep it somewhere only you (and people you trust) can see."
    )
    return 0
