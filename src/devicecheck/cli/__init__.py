"""The command line: argparse subcommands over the core. Errors are one line, never a traceback.

Each `*_cmd` module registers its subcommand with `register(subparsers, common)`. Modules import
their heavy dependencies inside the handlers, so `--version` and `--help` stay fast and never
import Textual.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence

from devicecheck import __version__
from devicecheck.errors import EXIT_USAGE_OR_RUNTIME, DeviceCheckError

# Not `typing.TYPE_CHECKING`: importing typing would cost `--version` a few milliseconds.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

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
    "pack": "devicecheck.cli.pack_cmd",
    "protect": "devicecheck.cli.protect_cmd",
    "unprotect": "devicecheck.cli.protect_cmd",
    "phone": "devicecheck.cli.phone_cmd",
}
# The walkthrough (`walk`, or no command at all) runs for as long as the person needs; the
# cycle collector stays on for it. Every other command runs for a moment.
LONG_LIVED_COMMANDS = frozenset({"walk"})
_OPTIONS_WITH_VALUES = ("--data-dir", "--region", "--passphrase-file")
DEBUG_VARIABLE = "DEVICECHECK_DEBUG"


def help_formatter(prog: str) -> argparse.HelpFormatter:
    """argparse's own formatter, told the terminal's width: left to find it, argparse imports
    shutil (and the compression modules shutil imports) on every command, for `--help` only."""
    return argparse.HelpFormatter(prog, width=terminal_columns() - 2)


def terminal_columns(fallback: int = 80) -> int:
    """COLUMNS if set, else the width of the terminal on standard output, else `fallback`."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or fallback
    except (AttributeError, ValueError, OSError):  # no terminal, or stdout closed or replaced
        return fallback


class OneLineArgumentParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (exit 2) instead of the usage block."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", help_formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE_OR_RUNTIME, f"{self.prog}: error: {message} (see --help)\n")


def common_options() -> argparse.ArgumentParser:
    """Options accepted both before and after the subcommand."""
    common = OneLineArgumentParser(add_help=False)
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
    common.add_argument(
        "--passphrase-file",
        metavar="FILE",
        default=argparse.SUPPRESS,
        # The variable (DEVICECHECK_PASSPHRASE_FILE) is in the README: a name that long would be
        # broken in two when the help is wrapped to a narrow terminal.
        help="a protected data folder's passphrase, on the first line of FILE (else the "
        "passphrase variable, or the terminal asks)",
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
    command = requested_command(arguments)
    if command is None or command in LONG_LIVED_COMMANDS:
        return _run(arguments, command)
    # A one-shot command keeps nearly everything it makes (modules, indicators, entries) until
    # it exits, so the cycle collector would only walk those objects again and again: 3-5 ms
    # of an 80 ms `scan`. Reference counting still frees everything else at once.
    was_collecting = gc.isenabled()
    gc.disable()
    try:
        return _run(arguments, command)
    finally:
        if was_collecting:
            gc.enable()


def run() -> None:
    """The `devicecheck` program: `main()`, then exit.

    Before exiting, every object is frozen out of the cycle collector (`gc.freeze`): Python's
    final collection would otherwise walk all of them (the modules, a scan's indicators and
    results: about 7 ms of a 90 ms scan) only to free memory that the exit frees anyway. Nothing
    waits on that collection: every file a command writes is closed (a `with` block, or an
    explicit close) before `main` returns, and `atexit` work still runs. Tests call `main`.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


def _run(arguments: list[str], command: str | None) -> int:
    parser = build_parser(command)
    args = parser.parse_args(arguments)
    try:
        from devicecheck.cli.context import prepare_protection

        prepare_protection(args)
        handler = getattr(args, "handler", None)
        if handler is None:
            return _start_walkthrough(args)
        return int(handler(args))
    except DeviceCheckError as error:
        print(f"devicecheck: error: {_one_line(error.message)}", file=sys.stderr)
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
        message = f"{error.strerror or error}{where}"
        print(f"devicecheck: error: {_one_line(message)}", file=sys.stderr)
        return EXIT_USAGE_OR_RUNTIME
    except Exception as error:  # the last guard: a frightened person never sees a traceback
        if os.environ.get(DEBUG_VARIABLE):
            raise
        print(
            f"devicecheck: unexpected error: {type(error).__name__}: {_one_line(error)}. "
            f"Nothing saved was lost. Set {DEBUG_VARIABLE}=1 to see details.",
            file=sys.stderr,
        )
        return EXIT_USAGE_OR_RUNTIME


def _one_line(text: object) -> str:
    """An error message as one safe line (imported here: a command that succeeds prints none)."""
    from devicecheck.core.textsafety import one_line

    return one_line(text)


def _start_walkthrough(args: argparse.Namespace) -> int:
    from devicecheck.tui.app import run_walkthrough

    return run_walkthrough(
        data_dir=getattr(args, "data_dir", None), region=getattr(args, "region", None)
    )
