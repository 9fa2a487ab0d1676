"""`devicecheck pack [SESSION_ID | --latest] -o FILE.zip [--redact]`: an evidence pack."""

from __future__ import annotations

import argparse

from devicecheck.cli.context import tell
from devicecheck.cli.report_cmd import add_scope_arguments, altered_error, write_scoped


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "pack",
        help="one zip for the police or a solicitor: report, evidence, verify.py, README",
        parents=[common],
    )
    add_scope_arguments(parser)
    parser.add_argument("-o", "--output", required=True, metavar="FILE.zip", help="the zip")
    parser.set_defaults(handler=pack)


def pack(args: argparse.Namespace) -> int:
    from devicecheck.core.report.pack import write_pack

    session, written, redacted = write_scoped(args, write_pack)
    what = "Redacted evidence pack" if redacted else "Evidence pack"
    if not written.intact:
        raise altered_error(what, session.id, written.path)
    tell(
        f"{what} for session {session.id} written to {written.path}: {written.entries} of "
        f"{written.total} log entries and {written.files} file(s). It is not encrypted: keep it "
        "somewhere only you (and people you trust) can see. Check it with `python3 verify.py` "
        "in the unzipped folder."
    )
    return 0
