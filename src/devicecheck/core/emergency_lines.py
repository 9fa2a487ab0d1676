"""The region's emergency line for the first frame, from a small compiled cache.

Every screen opens with the emergency line and the welcome adds its notes, so they must be on
the very first frame. Reading them from `data/helplines.yaml` means importing PyYAML and the
help-line model and parsing every region: about 19 ms, a third of what the welcome costs over
a bare Textual app. So each region's emergency line is compiled into
`indicators/cache/emergency-lines.json` in the data folder, stamped with the help-line file's
path, size, modification time, inode and the package version (the stamp help-words.json and
the indicator cache use). While the stamp holds, the first frame reads that small JSON file.
A cache that is damaged, too large, stale or lacks the region is not used: the line comes
from the YAML, and the cache is written again after the first frame.

The cache holds only the shipped, public help lines, nothing of the person's. It is kept only
in a data folder that already exists (starting the walkthrough must not create one on a shared
computer) and that is not protected: a protected folder keeps nothing in plaintext, and its
files cannot be read before it is unlocked, so there the first frame reads the YAML. As with
the other caches, someone who can write the data folder could forge a matching file, just as
they could edit `helplines.yaml` itself.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from devicecheck import __version__
from devicecheck.core.datadir import DataDir
from devicecheck.core.files import refuse_symlink
from devicecheck.core.protection import is_protected, write_private
from devicecheck.errors import DeviceCheckError

HELPLINES_FILE = Path(__file__).resolve().parents[1] / "data" / "helplines.yaml"
CACHE_NAME = "emergency-lines.json"
# The shipped lines compile to a few kilobytes; anything much larger was not written by us.
MAX_CACHE_BYTES = 256 * 1024


class EmergencyWords(NamedTuple):
    """What the first frame shows: the region's code, its emergency line and notes on calling.
    (A named tuple: the help-line model's dataclasses are what the first frame avoids.)"""

    code: str
    text: str
    notes: tuple[str, ...]


def cache_path(data_dir: DataDir) -> Path:
    return data_dir.indicators / "cache" / CACHE_NAME


def helplines_stamp(path: Path = HELPLINES_FILE) -> str:
    status = os.stat(path)
    return f"{__version__}:{path}:{status.st_size}:{status.st_mtime_ns}:{status.st_ino}"


def emergency_words(region: str | None, data_dir: DataDir) -> EmergencyWords:
    """The region's emergency line (the default region's for None), from the cache while it
    holds, else from the help lines; an unknown region is refused by `core.helplines` (one
    DeviceCheckError line)."""
    cached = cached_lines(data_dir)
    if cached is not None:
        default, lines = cached
        found = lines.get((region or default).upper())
        if found is not None:
            return found
    from devicecheck.core.helplines import region_for

    emergency = region_for(region)
    return EmergencyWords(emergency.code, emergency.emergency.text, emergency.emergency.notes)


def cached_lines(data_dir: DataDir) -> tuple[str, dict[str, EmergencyWords]] | None:
    """The default region and every region's line, when the cache exists and its stamp holds."""
    path = cache_path(data_dir)
    try:
        if is_protected(data_dir.root):
            return None
        refuse_symlink(path)
        with open(path, "rb") as handle:
            raw = handle.read(MAX_CACHE_BYTES + 1)
        if len(raw) > MAX_CACHE_BYTES:
            return None
        document = json.loads(raw)
        if not isinstance(document, dict) or document.get("stamp") != helplines_stamp():
            return None
        return _lines_of(document)
    except (OSError, ValueError, RecursionError, DeviceCheckError):
        return None


def _lines_of(document: dict[str, Any]) -> tuple[str, dict[str, EmergencyWords]] | None:
    default, regions = document.get("default_region"), document.get("regions")
    if not isinstance(default, str) or not isinstance(regions, dict) or default not in regions:
        return None
    lines: dict[str, EmergencyWords] = {}
    for code, line in regions.items():
        if not isinstance(line, dict):
            return None
        text, notes = line.get("text"), line.get("notes")
        if not isinstance(text, str) or not text.strip() or not isinstance(notes, list):
            return None
        if not all(isinstance(note, str) for note in notes):
            return None
        lines[code] = EmergencyWords(code, text, tuple(notes))
    return default, lines


def compile_lines() -> dict[str, Any]:
    """The cache's content: every region's emergency line, from the shipped help lines."""
    from devicecheck.core.helplines import load_helplines

    book = load_helplines()
    return {
        "default_region": book.default_region,
        "regions": {
            region.code: {"text": region.emergency.text, "notes": list(region.emergency.notes)}
            for region in book.regions
        },
    }


def keep_compiled_lines(data_dir: DataDir) -> bool:
    """Write the cache when it does not hold (after the first frame, off the UI thread), into a
    data folder that exists and is not protected. True when it was written."""
    try:
        if not data_dir.root.is_dir() or is_protected(data_dir.root):
            return False
        if cached_lines(data_dir) is not None:
            return False
        stamp = helplines_stamp()
        document = {"stamp": stamp, **compile_lines()}
        path = cache_path(data_dir)
        data_dir.ensure(data_dir.indicators, path.parent)
        write_private(path, json.dumps(document).encode("utf-8"))
    except (OSError, DeviceCheckError):
        return False
    return True
