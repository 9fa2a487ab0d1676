"""What every command handler needs: the data directory, the region, and output helpers."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devicecheck.core.datadir import DataDir
    from devicecheck.core.helplines import Region


def data_dir_of(args: argparse.Namespace) -> DataDir:
    from devicecheck.core.datadir import DataDir

    return DataDir.resolve(getattr(args, "data_dir", None))


def region_of(args: argparse.Namespace) -> Region:
    from devicecheck.core.helplines import region_for

    return region_for(getattr(args, "region", None))


COMMANDS_WITHOUT_DATA = frozenset({"checklists"})  # they read only the shipped checklists


def prepare_protection(args: argparse.Namespace) -> None:
    """Finish any interrupted change of protection, and say where a protected folder's
    passphrase comes from: `--passphrase-file`, then DEVICECHECK_PASSPHRASE_FILE, then the
    terminal. The folder is unlocked when something first needs its keys."""
    if getattr(args, "command", None) in COMMANDS_WITHOUT_DATA:
        return  # nothing to unlock: spare them resolving the data folder
    from devicecheck.core import protection

    # The full-screen walkthrough owns the terminal: it asks on its own lock screen instead.
    full_screen = getattr(args, "handler", None) is None or (
        getattr(args, "command", None) == "walk" and not getattr(args, "plain", False)
    )
    protection.set_passphrase_provider(lambda _root: passphrase_of(args, ask=not full_screen))
    root = data_dir_of(args).root
    if (root / protection.JOURNAL_NAME).exists():
        from devicecheck.core.protect_folder import recover

        recover(root)


def passphrase_of(args: argparse.Namespace, ask: bool = True) -> str | None:
    """The passphrase from --passphrase-file, the environment, or (with `ask`) the terminal."""
    from devicecheck.core import protection

    explicit = getattr(args, "passphrase_file", None)
    if explicit:
        return protection.read_passphrase_file(Path(explicit))
    from_environment = protection.passphrase_from_environment()
    if from_environment is not None:
        return from_environment
    if not ask or not sys.stdin.isatty():
        return None
    import getpass

    entered = getpass.getpass("Passphrase for this protected data folder: ")
    return entered or None


def passphrase_given(args: argparse.Namespace) -> bool:
    """Whether a passphrase can be had without asking anyone (a file or the variable)."""
    from devicecheck.core.protection import PASSPHRASE_FILE_VARIABLE

    return bool(getattr(args, "passphrase_file", None) or os.environ.get(PASSPHRASE_FILE_VARIABLE))


def print_json(document: Any) -> None:
    """The one JSON document a `--json` command writes to stdout."""
    import json

    from devicecheck.core.textsafety import json_text

    if sys.stdout is None:  # started with its standard output closed (`>&-`)
        from devicecheck.errors import DeviceCheckError

        raise DeviceCheckError(
            "standard output is closed, so the JSON could not be written (anything saved "
            "before this is kept)"
        )
    text = json.dumps(document, ensure_ascii=False, indent=2, default=str)
    sys.stdout.write(json_text(text) + "\n")


def tell(message: str) -> None:
    """A message for the person, on stderr so stdout stays clean for data (control and bidi
    characters in any outside text it quotes are escaped)."""
    from devicecheck.core.textsafety import lines

    print(lines(message), file=sys.stderr)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
