"""The command line: argparse subcommands over the core. Errors are one line, never a traceback.

Each `*_cmd` module registers its subcommand with `register(subparsers, common)`. Modules import
their heavy dependencies inside the handlers, so `--version` and `--help` stay fast and never
import Textual.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from devicecheck import __version__
from devicecheck.errors import EXIT_USAGE_OR_RUNTIME, DeviceCheckError

# Subcommand name -> the module that registers it. Only the module for the command being run
# is imported, so one command never pays for the others' imports.
COMMAND_MODULES = {
    "walk": "devicecheck.cli.walk_cmd",
    "checklists": "devicecheck.cli.checklists_cmd",
    "session": "devicecheck.cli.session_cmd",
    "log": "devicecheck.cli.log_cmd",
    "scan": "devicecheck.cli.scan_cmd",
    "indicators": "devicecheck.cli.indicators_cmd",
    "report": "devicecheck.cli.report_cmd",
}
_OPTIONS_WITH_VALUES = ("--data-dir", "--region")
DEBUG_VARIABLE = "DEVICECHECK_DEBUG"


class OneLineArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (exit 2) instead of the usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE_OR_RUNTIME, f"{self.prog}: error: {message} (see --help)\n")


def common_options() -> argparse.ArgumentParser:
    """Options accepted both before and after the subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        metavar="DIR",
        default=argparse.SUPPRESS,
        help="where devicecheck keeps sessions and evidence (default: DEVICECHECK_HOME, "
        "then your user data folder)",
    )
    common.add_argument(
        "--region",
        metavar="CODE",
        default=argparse.SUPPRESS,
        help="which country's emergency and help lines to show (default GB)",
    )
    return common


def requested_command(arguments: Sequence[str]) -> str | None:
    """The subcommand named in `arguments`, skipping global options and their values."""
    skip_next = False
    for token in arguments:
        if skip_next:
            skip_next = False
        elif token in _OPTIONS_WITH_VALUES:
            skip_next = True
        elif not token.startswith("-"):
            return token if token in COMMAND_MODULES else None
    return None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand, or with only `command` when one is named."""
    common = common_options()
    parser = OneLineArgumentParser(
        prog="devicecheck",
        description="Check your accounts, devices and this computer for signs of digital "
        "stalking, and keep what you find as evidence. With no command, starts the guided "
        "walkthrough. If you are in danger now, call 999 (UK) or your local emergency number.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"devicecheck {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=OneLineArgumentParser
    )
    names = [command] if command in COMMAND_MODULES else list(COMMAND_MODULES)
    for name in names:
        importlib.import_module(COMMAND_MODULES[name]).register(subparsers, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # answered before any subcommand module is imported
        print(f"devicecheck {__version__}")
        return 0
    parser = build_parser(requested_command(arguments))
    args = parser.parse_args(arguments)
    try:
        handler = getattr(args, "handler", None)
        if handler is None:
            return _start_walkthrough(args)
        return int(handler(args))
    except DeviceCheckError as error:
        print(f"devicecheck: error: {error.message}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("devicecheck: stopped. Everything answered so far was saved.", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as error:
        if os.environ.get(DEBUG_VARIABLE):
            raise
        where = f" ({error.filename})" if error.filename else ""
        print(f"devicecheck: error: {error.strerror or error}{where}", file=sys.stderr)
        return EXIT_USAGE_OR_RUNTIME
    except Exception as error:  # the last guard: a frightened person never sees a traceback
        if os.environ.get(DEBUG_VARIABLE):
            raise
        print(
            f"devicecheck: unexpected error: {type(error).__name__}: {error}. Nothing saved "
            f"was lost. Set {DEBUG_VARIABLE}=1 to see details.",
            file=sys.stderr,
        )
        return EXIT_USAGE_OR_RUNTIME


def _start_walkthrough(args: argparse.Namespace) -> int:
    from devicecheck.tui.app import run_walkthrough

    return run_walkthrough(
        data_dir=getattr(args, "data_dir", None), region=getattr(args, "region", None)
    )
