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
    "answer",
    "consent",
    "case-note",
    "action",
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


# One encoder made once: json.dumps with these options would build a new one on every call.
_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_json_text = json.encoder.encode_basestring  # a JSON string with non-ASCII as itself


def canonical_json(value: Any) -> bytes:
    """The one byte form that is hashed: sorted keys, no spaces, UTF-8 as itself."""
    try:
        return _CANONICAL.encode(value).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError, RecursionError) as error:
        raise DeviceCheckError(f"this cannot be stored in the evidence log: {error}") from None


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
    """Build the next entry and its stored line (canonical JSON + newline).

    The top-level members are few and fixed, so the line is put together from their encoded
    values in sorted-key order rather than by serialising a whole dict twice (once without the
    hash, once with it); `canonical_json` of the same fields gives the very same bytes.
    """
    check_new_entry(kind, data, session, author)
    identifier = entry_id or new_entry_id()
    recorded = recorded_at or utc_now()
    data_json = canonical_json(data)
    before_hash, after_hash = _members_around_hash(
        data_json, seq, identifier, recorded, kind, session, author, prev
    )
    digest = hashlib.sha256(before_hash + after_hash).hexdigest()
    line = b'%b,"hash":"%b"%b\n' % (before_hash, digest.encode("ascii"), after_hash)
    # Data is read back from its stored form, so the entry equals what a reader gets
    # (tuples become lists, keys become text, and integers of any size stay integers).
    data_read_back = json.loads(data_json)
    entry = Entry(seq, identifier, recorded, kind, session, author, data_read_back, prev, digest)
    return entry, line


def _members_around_hash(
    data_json: bytes,
    seq: int,
    entry_id: str,
    recorded_at: str,
    kind: str,
    session: str | None,
    author: str,
    prev: str,
) -> tuple[bytes, bytes]:
    """The canonical members before and after where `"hash"` goes, in sorted-key order."""
    text = _json_text
    session_json = "null" if session is None else text(session)
    try:
        before = f'{{"author":{text(author)},"data":'.encode() + data_json
        after = (
            f',"id":{text(entry_id)},"kind":{text(kind)},"prev":{text(prev)},'
            f'"recorded_at":{text(recorded_at)},"seq":{seq:d},"session":{session_json}}}'
        ).encode()
    except UnicodeEncodeError as error:  # a lone surrogate, e.g. from a non-UTF-8 argument
        raise DeviceCheckError(f"this cannot be stored in the evidence log: {error}") from None
    return before, after


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
