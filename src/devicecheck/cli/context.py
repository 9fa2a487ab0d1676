"""What every command handler needs: the data directory, the region, and output helpers."""

from __future__ import annotations

import argparse
import json
import sys
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


def print_json(document: Any) -> None:
    """The one JSON document a `--json` command writes to stdout."""
    sys.stdout.write(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n")


def tell(message: str) -> None:
    """A message for the person, on stderr so stdout stays clean for data."""
    print(message, file=sys.stderr)


def add_json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document on stdout")
