"""One evidence entry: its fields, its canonical JSON, its hash, and the strict line parser.

A stored line is the canonical JSON of the whole entry (hash included) followed by one
newline. The hash is SHA-256 over the canonical JSON of the entry *without* its `hash` field;
`prev` is the hash of the entry before, or GENESIS for the first. Canonical JSON: keys sorted,
no insignificant whitespace, UTF-8, non-ASCII characters written as themselves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from devicecheck.errors import DeviceCheckError, InvalidDataError

try:
    from orjson import loads as _loads
except ImportError:  # pragma: no cover - orjson is a dependency
    _loads = json.loads

KINDS: tuple[str, ...] = (
    "finding",
    "incident",
    "note",
    "scan",
    "session-start",
    "session-end",
    "attachment",
    "amendment",
    "repair",
)
GENESIS = "0" * 64  # `prev` of the first entry
FIELDS: frozenset[str] = frozenset(
    ("seq", "id", "recorded_at", "kind", "session", "author", "data", "prev", "hash")
)
SELF = "self"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_ENTRY_ID = re.compile(r"^[0-9a-f]{16}$")


class LogLineError(InvalidDataError):
    """A line of the evidence log is not a well-formed entry."""


@dataclass(frozen=True)
class Entry:
    """One line of the log, exactly as stored."""

    seq: int
    id: str
    recorded_at: str  # UTC, ISO 8601 with offset
    kind: str  # one of KINDS
    session: str | None
    author: str  # "self" or the caseworker's name
    data: dict[str, Any]
    prev: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "id": self.id,
            "recorded_at": self.recorded_at,
            "kind": self.kind,
            "session": self.session,
            "author": self.author,
            "data": self.data,
            "prev": self.prev,
            "hash": self.hash,
        }


def canonical_json(value: Any) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8 as itself."""
    try:
        text = json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        )
        return text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as error:
        raise DeviceCheckError(f"this cannot be stored in the evidence log: {error}") from None


def entry_hash(fields_without_hash: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(fields_without_hash)).hexdigest()


def utc_now() -> str:
    """Now, UTC, ISO 8601 with offset, to the millisecond (entries can be close together)."""
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="milliseconds")


def new_entry_id() -> str:
    """16 random hex digits: unique in any real log, short enough to type."""
    return secrets.token_hex(8)


def seal_entry(
    *,
    seq: int,
    prev: str,
    kind: str,
    data: dict[str, Any],
    session: str | None,
    author: str,
    recorded_at: str | None = None,
    entry_id: str | None = None,
) -> tuple[Entry, bytes]:
    """Build the next entry and its stored line (canonical JSON + newline)."""
    check_new_entry(kind, data, session, author)
    identifier = entry_id or new_entry_id()
    fields: dict[str, Any] = {
        "seq": seq,
        "id": identifier,
        "recorded_at": recorded_at or utc_now(),
        "kind": kind,
        "session": session,
        "author": author,
        "data": data,
        "prev": prev,
    }
    body = canonical_json(fields)
    digest = hashlib.sha256(body).hexdigest()
    line = _with_hash(body, identifier, digest)
    # Read the stored form back, so the returned entry equals what a reader gets (tuples as lists).
    return Entry(**_loads(line)), line + b"\n"


def _with_hash(body: bytes, identifier: str, digest: str) -> bytes:
    """Insert the hash member where sorted keys put it: just before the top-level "id".

    Every member after "id" is a plain string, number or null, so the last `,"id":"<id>"` in
    the body is the top-level one even if the data holds an "id" of its own.
    """
    marker = b',"id":' + json.dumps(identifier).encode("utf-8")
    cut = body.rfind(marker)
    return body[:cut] + b',"hash":"' + digest.encode("ascii") + b'"' + body[cut:]


def check_new_entry(kind: str, data: Any, session: str | None, author: str) -> None:
    if kind not in KINDS:
        raise DeviceCheckError(f"unknown evidence kind {kind!r} (known: {', '.join(KINDS)})")
    if not isinstance(data, dict):
        raise DeviceCheckError("evidence data must be a JSON object")
    if session is not None and (not isinstance(session, str) or not session):
        raise DeviceCheckError("a session id must be non-empty text")
    if not isinstance(author, str) or not author.strip():
        raise DeviceCheckError("the author must be 'self' or a caseworker's name")


def parse_line(raw: bytes, *, line_number: int | None = None) -> Entry:
    """Parse one stored line (without its newline) into an Entry; LogLineError if it is not one.

    This checks shape only; whether the hash and the chain hold is verify's job.
    """
    where = f"line {line_number}: " if line_number is not None else ""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise LogLineError(f"{where}not JSON ({_short(error)})") from None
    return entry_from_value(value, where)


def entry_from_value(value: Any, where: str = "") -> Entry:
    if not isinstance(value, dict):
        raise LogLineError(f"{where}not an entry (expected a JSON object)")
    if set(value) != FIELDS:
        missing = sorted(FIELDS - set(value))
        extra = sorted(set(value) - FIELDS)
        raise LogLineError(f"{where}not an entry (missing {missing}, unexpected {extra})")
    seq = value["seq"]
    if type(seq) is not int or seq < 1:
        raise LogLineError(f"{where}seq must be a positive whole number")
    for name in ("id", "recorded_at", "kind", "author"):
        if not isinstance(value[name], str) or not value[name]:
            raise LogLineError(f"{where}{name} must be non-empty text")
    if value["kind"] not in KINDS:
        raise LogLineError(f"{where}unknown kind {value['kind']!r}")
    if value["session"] is not None and not isinstance(value["session"], str):
        raise LogLineError(f"{where}session must be text or null")
    if not isinstance(value["data"], dict):
        raise LogLineError(f"{where}data must be an object")
    for name in ("prev", "hash"):
        if not isinstance(value[name], str) or not _HEX64.match(value[name]):
            raise LogLineError(f"{where}{name} must be 64 lowercase hex digits")
    return Entry(**value)


def looks_like_entry_id(text: str) -> bool:
    return bool(_ENTRY_ID.match(text))


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]
