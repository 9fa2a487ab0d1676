"""`devicecheck pack [SESSION_ID | --latest] -o FILE.zip [--redact]`: an evidence pack."""

from __future__ import annotations

import argparse

from devicecheck.cli.context import data_dir_of, tell
from devicecheck.cli.report_cmd import add_scope_arguments, altered_error, region_arg, session_of


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
    from pathlib import Path

    from devicecheck.core.report.pack import write_pack
    from devicecheck.core.report.redaction import parse_also

    also = parse_also(args.redact_also)
    session = session_of(args)
    written = write_pack(
        data_dir_of(args),
        session,
        Path(args.output),
        region=region_arg(args),
        redact=args.redact,
        redact_also=also,
        include_unsessioned=args.include_unsessioned,
    )
    print(written.path)
    what = "Redacted evidence pack" if args.redact or also else "Evidence pack"
    if not written.intact:
        raise altered_error(what, session.id, written.path)
    tell(
        f"{what} for session {session.id} written to {written.path}: {written.entries} of "
        f"{written.total} log entries and {written.files} file(s). It is not encrypted: keep it "
        "somewhere only you (and people you trust) can see. Check it with `python3 verify.py` "
        "in the unzipped folder."
    )
    return 0
