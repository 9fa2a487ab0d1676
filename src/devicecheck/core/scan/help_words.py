"""Who to talk to, in the words scan advice uses, for each region: from a compiled cache.

Every finding's advice ends by naming the region's stalking and domestic-abuse lines
(`core.helplines.help_phrase`). Reading them from `data/helplines.yaml` means importing PyYAML
and the help-line model (dataclasses, inspect, importlib.resources): 40-60 ms, more than all
the extra checks of a scan together. So the phrase of every region is compiled once into
`indicators/cache/help-words.json` in the data folder, stamped with the help-line file's path,
size, modification time, inode and the package version (the trust the bundled indicators'
cache gives its files). While the stamp holds, a scan reads that small JSON file instead. A
cache that is damaged, stale or lacks the region is rebuilt from the YAML, never trusted.
As with the indicator cache, someone who can write the data folder could forge a matching
file, just as they could edit `helplines.yaml` itself; in a protected folder it is sealed
(`write_private`), so a planted file is refused and rebuilt.

The engine names the data folder once per scan (`keep_cache_in`); nothing is read until a
finding needs advice, so a clean scan reads neither file. Without a data folder (tests, a
library caller) the phrase comes straight from `core.helplines`.
"""

from __future__ import annotations

import contextlib
import json

from devicecheck.core.datadir import DataDir
from devicecheck.core.emergency_lines import helplines_stamp
from devicecheck.core.protection import read_private, write_private
from devicecheck.errors import DeviceCheckError

CACHE_NAME = "help-words.json"

_cache_folder: DataDir | None = None
_phrases: dict[str, str] = {}


def keep_cache_in(data_dir: DataDir | None) -> None:
    """Where the compiled phrases are kept for this process's scans (None: not kept)."""
    global _cache_folder
    if data_dir is not _cache_folder:
        _cache_folder = data_dir
        _phrases.clear()


def help_words(region: str | None) -> str:
    """The region's help, as advice names it (`help_phrase(region)`), e.g. "the National
    Stalking Helpline (0808 802 0300) or ...". An unknown region is refused as help_phrase
    refuses it (DeviceCheckError, one line)."""
    if not _phrases and _cache_folder is not None:
        _phrases.update(_cached_phrases(_cache_folder))
    wanted = (region or _phrases.get("", "")).upper()
    if wanted in _phrases:
        return _phrases[wanted]
    from devicecheck.core.helplines import help_phrase  # not compiled: the help lines themselves

    return help_phrase(region)


def compile_phrases() -> dict[str, str]:
    """Every region's phrase, and the default region under the key ""."""
    from devicecheck.core.helplines import help_phrase, load_helplines

    book = load_helplines()
    phrases = {region.code: help_phrase(region.code) for region in book.regions}
    phrases[""] = book.default_region
    return phrases


def _cached_phrases(data_dir: DataDir) -> dict[str, str]:
    path = data_dir.indicators / "cache" / CACHE_NAME
    try:
        stamp = helplines_stamp()
    except OSError:
        return {}
    with contextlib.suppress(OSError, DeviceCheckError, ValueError):
        document = json.loads(read_private(path))
        if isinstance(document, dict) and document.get("stamp") == stamp:
            phrases = document.get("phrases")
            if _is_text_mapping(phrases):
                return phrases
    phrases = compile_phrases()
    with contextlib.suppress(OSError, DeviceCheckError):
        data_dir.ensure(data_dir.indicators, path.parent)
        write_private(path, json.dumps({"stamp": stamp, "phrases": phrases}).encode())
    return phrases


def _is_text_mapping(value: object) -> bool:
    return (
        isinstance(value, dict)
        and "" in value
        and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())
    )
