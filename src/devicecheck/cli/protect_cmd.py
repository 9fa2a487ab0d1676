"""`devicecheck protect [--change]` and `devicecheck unprotect`: the protected data folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from devicecheck.cli.context import data_dir_of, passphrase_of, tell
from devicecheck.errors import DeviceCheckError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Registers both `protect` and `unprotect` (COMMAND_MODULES names this module twice)."""
    if "protect" in subparsers.choices:
        return
    protect = subparsers.add_parser(
        "protect",
        help="encrypt everything devicecheck keeps, under a passphrase",
        description="Encrypt the evidence log, attached files, sessions and imported indicator "
        "lists under a passphrase, so that someone else using this computer cannot read them. "
        "Without the passphrase nothing can be read or added, and it cannot be recovered: "
        "keep it somewhere safe.",
        parents=[common],
    )
    protect.add_argument(
        "--change",
        action="store_true",
        help="change the passphrase of a protected folder (nothing else is rewritten)",
    )
    protect.add_argument(
        "--new-passphrase-file",
        metavar="FILE",
        help="with --change: the new passphrase, on the first line of FILE",
    )
    protect.set_defaults(handler=protect_folder)

    unprotect = subparsers.add_parser(
        "unprotect",
        help="decrypt everything and stop asking for a passphrase",
        parents=[common],
    )
    unprotect.set_defaults(handler=unprotect_folder)


def protect_folder(args: argparse.Namespace) -> int:
    from devicecheck.core import protect_folder as conversion
    from devicecheck.core import protection

    root = data_dir_of(args).root
    if args.change:
        return _change(args, root)
    if protection.is_protected(root):
        raise DeviceCheckError(
            "this data folder is already protected (`devicecheck protect --change` changes "
            "the passphrase)"
        )
    passphrase = _new_passphrase(args, getattr(args, "passphrase_file", None))
    converted = conversion.protect(root, passphrase)
    tell(
        f"The data folder is now protected ({converted} file(s) encrypted). devicecheck will "
        "ask for the passphrase each time. If it is lost, nothing here can be read: keep it "
        "somewhere safe. Old unencrypted copies were deleted, but may stay readable on the "
        "disk itself until the space is reused."
    )
    return 0


def _change(args: argparse.Namespace, root: Path) -> int:
    from devicecheck.core import protection

    if not protection.is_protected(root):
        raise DeviceCheckError("this data folder is not protected; run `devicecheck protect`")
    old = passphrase_of(args)
    if old is None:
        raise DeviceCheckError(
            "give the current passphrase with --passphrase-file FILE (or on a terminal)"
        )
    new = _new_passphrase(args, args.new_passphrase_file, prompt="New passphrase")
    protection.change_passphrase(root, old, new)
    tell("The passphrase is changed. Entries and files were not rewritten; only the key is.")
    return 0


def _new_passphrase(args: Any, file_name: str | None, prompt: str = "Passphrase") -> str:
    """From the file, else asked twice on the terminal; one line and exit 2 otherwise."""
    from devicecheck.core import protection

    if file_name:
        passphrase = protection.read_passphrase_file(Path(file_name))
    else:
        if not sys.stdin.isatty():
            raise DeviceCheckError(
                "give the passphrase with --passphrase-file FILE (or run this on a terminal)"
            )
        import getpass

        passphrase = getpass.getpass(
            f"{prompt} (at least {protection.MIN_PASSPHRASE_LENGTH} "
            "characters; nothing shows as you type): "
        )
        if getpass.getpass(f"{prompt} again: ") != passphrase:
            raise DeviceCheckError("the two passphrases were not the same; nothing was changed")
    protection.check_passphrase(passphrase)
    return passphrase


def unprotect_folder(args: argparse.Namespace) -> int:
    from devicecheck.core import protect_folder as conversion

    converted = conversion.unprotect(data_dir_of(args).root)
    tell(
        f"The data folder is no longer protected ({converted} file(s) decrypted). Anyone who "
        "can open this folder can now read what is in it."
    )
    return 0
