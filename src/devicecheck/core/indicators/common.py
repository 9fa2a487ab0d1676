"""Helpers every importer shares: safe YAML/JSON reading and strict, well-placed type checks.

Importers read outside input. Every problem becomes one `InvalidDataError` that names the file
and, where it can, the place inside it (`ioc.yaml: app 12 (TheTruthSpy): c2.ips: ...`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import stat
from pathlib import Path
from typing import Any

from devicecheck.errors import DeviceCheckError, InvalidDataError

# Big enough for a 47 MB STIX bundle; more than any indicator list should be.
MAX_INDICATOR_FILE_BYTES = 64 * 1024 * 1024
# Caps on what one file may hold: the bundled lists have ~500 apps and ~5,000 indicators.
MAX_APPS = 50_000
MAX_INDICATORS = 2_000_000
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_BINARY = getattr(os, "O_BINARY", 0)
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def read_text(path: Path) -> str:
    """The file's text (UTF-8), or one clear error naming it."""
    return decode(read_bytes(path), str(path))


def read_bytes(path: Path, limit: int = MAX_INDICATOR_FILE_BYTES) -> bytes:
    """The file's bytes, or one clear error naming it.

    Only a regular file is read: a FIFO would block for ever and a device (`/dev/zero`) never
    ends, so both are refused before a byte is read (opened non-blocking, then checked). At
    most `limit` bytes are read, whatever size the file reports (files under /proc report 0).
    """
    try:
        # Unbuffered: every load hashes the 322 bundled files, and the buffered reader
        # pathlib uses costs more than the read itself.
        descriptor = os.open(path, os.O_RDONLY | _NONBLOCK | _BINARY)
        with open(descriptor, "rb", buffering=0) as handle:
            mode = os.fstat(descriptor).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                raise DeviceCheckError(
                    f"{path}: not a regular file (a device, a pipe or a socket); give the path "
                    "of an indicator file"
                )
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise InvalidDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidDataError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise InvalidDataError(f"{path}: cannot read it ({error.strerror or error})") from None
    if len(data) > limit:
        raise InvalidDataError(f"{path}: larger than {limit} bytes")
    return data


def decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidDataError(f"{where}: not UTF-8 text (byte {error.start})") from None


# An anchor (`&name`) or alias (`*name`) token may be present: only then are the YAML events
# read to be sure (a quoted '*.example.com' also brings that look, and costs only the look).
_MAYBE_ANCHOR = re.compile(r"(?:^|[\s\[{,:-])[&*][^\s,\[\]{}]", re.MULTILINE)


def parse_indicator_yaml(text: str, where: str) -> Any:
    """One YAML document of an indicator file, refusing anchors and aliases.

    No indicator list needs them, and aliases are how a 1 MB file becomes gigabytes in memory
    (each alias repeats what its anchor holds, nested: an "alias bomb"). The check reads the
    parser's events, which never expand an alias, so it takes time in proportion to the bytes.
    """
    from devicecheck.core.yamltext import parse_yaml

    if _MAYBE_ANCHOR.search(text):
        refuse_anchors(text, where)
    return parse_yaml(text, where)


def refuse_anchors(text: str, where: str) -> None:
    """InvalidDataError at the first anchor or alias; malformed YAML is left to the parser."""
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                mark = event.start_mark
                raise InvalidDataError(
                    f"{where}:{mark.line + 1}:{mark.column + 1}: YAML anchors and aliases "
                    "(& and *) are not accepted in indicator files"
                )
    except (yaml.YAMLError, ValueError, RecursionError):
        return  # parse_yaml reports it, with its place


def parse_json(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise InvalidDataError(
            f"{where}:{error.lineno}:{error.colno}: invalid JSON: {error.msg}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise InvalidDataError(f"{where}: invalid JSON: {error}") from None


def expect_mapping(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        raise InvalidDataError(f"{where}: expected a mapping, found {describe(value)}")
    return value


def expect_list(value: Any, where: str) -> list:
    """A list; a missing value (None) is an empty list."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidDataError(f"{where}: expected a list, found {describe(value)}")
    return value


def expect_text(value: Any, where: str, *, required: bool = True) -> str:
    if value is None and not required:
        return ""
    import datetime  # only while parsing, where YAML has imported it already

    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise InvalidDataError(f"{where}: expected text, found {describe(value)}")
    text = str(value).strip()
    if required and not text:
        raise InvalidDataError(f"{where}: must not be empty")
    return text


def text_list(value: Any, where: str) -> tuple[str, ...]:
    """A list of strings (a lone string is a list of one); blanks and repeats dropped."""
    if isinstance(value, str):
        value = [value]
    items = expect_list(value, where)
    found: dict[str, None] = {}  # ordered, and a repeat costs one look-up, not a scan
    for number, item in enumerate(items):
        text = expect_text(item, f"{where}[{number}]", required=False)
        if text:
            found[text] = None
    return tuple(found)


def ip_list(value: Any, where: str) -> tuple[str, ...]:
    """IP addresses, each checked and written the canonical way."""
    found: dict[str, None] = {}
    for number, text in enumerate(text_list(value, where)):
        try:
            found[str(ipaddress.ip_address(text))] = None
        except ValueError:
            raise InvalidDataError(f"{where}[{number}]: {text!r} is not an IP address") from None
    return tuple(found)


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    names = {dict: "a mapping", list: "a list", str: "text", bool: "true/false"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    if isinstance(value, (int, float)):
        return "a number"
    return type(value).__name__


def slug(text: str) -> str:
    return _SLUG_JUNK.sub("-", text.lower()).strip("-") or "unnamed"


class UniqueIds:
    """Gives `<prefix>:<slug>` ids, numbering repeats (`-2`, `-3`, ...) from a counter per
    base id, so 20,000 apps of one name cost 20,000 steps, not 200 million."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self._next: dict[str, int] = {}

    def make(self, prefix: str, name: str) -> str:
        base = f"{prefix}:{slug(name)}"
        candidate, number = base, self._next.get(base, 2)
        if candidate in self.taken:
            candidate = f"{base}-{number}"
            while candidate in self.taken:
                number += 1
                candidate = f"{base}-{number}"
            self._next[base] = number + 1
        self.taken.add(candidate)
        return candidate


def unique_id(prefix: str, name: str, taken: UniqueIds) -> str:
    """`<prefix>:<slug>`, with a number added if that id is already used in the set."""
    return taken.make(prefix, name)


def check_caps(apps: int, indicators: int, where: str) -> None:
    """Refuse a file holding more apps or indicators than any real list does."""
    if apps > MAX_APPS:
        raise InvalidDataError(
            f"{where}: holds {apps} apps, more than the {MAX_APPS} any indicator list should"
        )
    if indicators > MAX_INDICATORS:
        raise InvalidDataError(
            f"{where}: holds {indicators} indicators, more than the {MAX_INDICATORS} any "
            "indicator list should"
        )


def sha256_hex(data: bytes) -> str:
    import hashlib  # not at import: OpenSSL takes milliseconds to load, and a scan rarely hashes

    return hashlib.sha256(data).hexdigest()
