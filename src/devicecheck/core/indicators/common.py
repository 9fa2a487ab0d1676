"""Helpers every importer shares: safe YAML/JSON reading and strict, well-placed type checks.

Importers read outside input. Every problem becomes one `InvalidDataError` that names the file
and, where it can, the place inside it (`ioc.yaml: app 12 (TheTruthSpy): c2.ips: ...`).
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
from pathlib import Path
from typing import Any

from devicecheck.errors import InvalidDataError

MAX_INDICATOR_FILE_BYTES = 50 * 1024 * 1024
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


def read_text(path: Path) -> str:
    """The file's text (UTF-8), or one clear error naming it."""
    return decode(read_bytes(path), str(path))


def read_bytes(path: Path) -> bytes:
    """The file's bytes (up to a size cap), or one clear error naming it."""
    try:
        # Unbuffered: every load hashes the 322 bundled files, and the buffered reader
        # pathlib uses costs more than the read itself.
        with open(path, "rb", buffering=0) as handle:
            if os.fstat(handle.fileno()).st_size > MAX_INDICATOR_FILE_BYTES:
                raise InvalidDataError(f"{path}: larger than {MAX_INDICATOR_FILE_BYTES} bytes")
            data = handle.readall()
    except FileNotFoundError:
        raise InvalidDataError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InvalidDataError(f"{path}: is a folder, not a file") from None
    except OSError as error:
        raise InvalidDataError(f"{path}: cannot read it ({error.strerror or error})") from None
    return data


def decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidDataError(f"{where}: not UTF-8 text (byte {error.start})") from None


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
    found: list[str] = []
    for number, item in enumerate(items):
        text = expect_text(item, f"{where}[{number}]", required=False)
        if text and text not in found:
            found.append(text)
    return tuple(found)


def ip_list(value: Any, where: str) -> tuple[str, ...]:
    """IP addresses, each checked and written the canonical way."""
    found: list[str] = []
    for number, text in enumerate(text_list(value, where)):
        try:
            address = str(ipaddress.ip_address(text))
        except ValueError:
            raise InvalidDataError(f"{where}[{number}]: {text!r} is not an IP address") from None
        if address not in found:
            found.append(address)
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


def unique_id(prefix: str, name: str, taken: set[str]) -> str:
    """`<prefix>:<slug>`, with a number added if that id is already used in the set."""
    base = f"{prefix}:{slug(name)}"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def sha256_hex(data: bytes) -> str:
    import hashlib  # not at import: OpenSSL takes milliseconds to load, and a scan rarely hashes

    return hashlib.sha256(data).hexdigest()
