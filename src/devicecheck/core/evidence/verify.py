"""Verify a log: every hash, every link, every attachment; name the first bad entry and why.

The hot loop reads each line once: one json.loads, then SHA-256 over the line's own bytes with
the `"hash":"..."` member cut out. Because a stored line is the canonical JSON of the whole
entry, those bytes are exactly the canonical JSON of the entry without its hash, so nothing is
re-serialised. Any change to a line's bytes (even whitespace) changes that digest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devicecheck.core.evidence.attachments import attachment_problem
from devicecheck.core.evidence.entries import FIELDS, GENESIS, LogLineError
from devicecheck.core.files import refuse_symlink

# The reasons verify can give, first word of every BadEntry.reason.
EDITED = "edited"
NOT_JSON = "not JSON"
DELETED = "deleted"
REORDERED = "reordered"
INSERTED = "inserted"
TORN_TAIL = "torn tail"
ATTACHMENT_MISSING = "attachment missing"
ATTACHMENT_ALTERED = "attachment altered"
REASONS: tuple[str, ...] = (
    EDITED,
    NOT_JSON,
    DELETED,
    REORDERED,
    INSERTED,
    TORN_TAIL,
    ATTACHMENT_MISSING,
    ATTACHMENT_ALTERED,
)
_FIELD_COUNT = len(FIELDS)
_KINDS_WITH_FILES = frozenset(("attachment", "incident"))
_LINE_PROBLEMS = (ValueError, KeyError, TypeError, AttributeError, RecursionError, LogLineError)


@dataclass(frozen=True)
class BadEntry:
    """Where the log stops being trustworthy."""

    seq: int  # the chain position (1 = first entry); for a line that is not an entry, the seq it should have had
    reason: str  # one of REASONS
    detail: str  # one sentence for a person
    line: int  # the line number in log.jsonl

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "reason": self.reason, "detail": self.detail, "line": self.line}


@dataclass(frozen=True)
class VerifyReport:
    ok: bool
    entries: int  # complete lines read up to the first bad one (all of them when ok)
    head_hash: str | None  # hash of the last intact entry; None for an empty or missing log
    first_bad: BadEntry | None
    attachments: int = 0  # attachment files re-hashed

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_hash": self.head_hash,
            "first_bad": self.first_bad.to_dict() if self.first_bad else None,
            "attachments": self.attachments,
        }


@dataclass(frozen=True)
class _Reference:
    seq: int
    sha256: Any
    size: Any


def verify_log(log_path: Path, files_dir: Path) -> VerifyReport:
    refuse_symlink(log_path)
    if not log_path.exists():
        return VerifyReport(ok=True, entries=0, head_hash=None, first_bad=None)
    with open(log_path, "rb") as handle:
        chain = _walk_chain(handle)
        if chain.break_ is not None:
            chain = _classified(chain, _lenient(handle))
    bad, checked = _check_attachments(files_dir, chain.references, chain.bad)
    return VerifyReport(
        ok=bad is None,
        entries=chain.count,
        head_hash=None if chain.tip == GENESIS else chain.tip,
        first_bad=bad,
        attachments=checked,
    )


@dataclass(frozen=True)
class _Break:
    """What the hot loop saw at the first line it could not accept."""

    problem: str  # "torn", "unreadable", "hash" or "link"
    error: Exception | None = None
    entry: dict[str, Any] | None = None


@dataclass(frozen=True)
class _Chain:
    count: int  # intact entries before the break
    tip: str  # hash of the last intact entry (GENESIS if none)
    before_tip: str  # the `prev` of that entry
    references: list[_Reference]
    break_: _Break | None = None
    bad: BadEntry | None = None


def _walk_chain(handle: Any) -> _Chain:
    loads = _line_parser()
    sha256 = hashlib.sha256
    with_files = _KINDS_WITH_FILES
    references: list[_Reference] = []
    tip = before_tip = GENESIS
    count = 0
    for raw in handle:
        if raw[-1:] != b"\n":
            return _Chain(count, tip, before_tip, references, _Break("torn"))
        try:
            entry = loads(raw)
            digest = entry["hash"]
            seq, prev, kind = entry["seq"], entry["prev"], entry["kind"]
            needle = b',"hash":"' + digest.encode() + b'"'
            if len(entry) != _FIELD_COUNT:
                raise LogLineError("not an entry (wrong set of fields)")
        except _LINE_PROBLEMS as error:
            return _Chain(count, tip, before_tip, references, _Break("unreadable", error))
        cut = raw.rfind(needle)
        if cut < 0 or sha256(raw[:cut] + raw[cut + len(needle) : -1]).hexdigest() != digest:
            return _Chain(count, tip, before_tip, references, _Break("hash", entry=entry))
        count += 1
        if seq != count or prev != tip:
            count -= 1
            return _Chain(count, tip, before_tip, references, _Break("link", entry=entry))
        if kind in with_files:
            references.extend(_references_of(entry, count))
        before_tip = tip
        tip = digest
    return _Chain(count, tip, before_tip, references)


def _line_parser() -> Callable[[bytes], Any]:
    """orjson when it is installed (about twice as fast); json for anything orjson refuses.

    Imported here, when a log is verified, not with this module: orjson takes ~10 ms to load,
    which every `log add-note` and `scan --save` would pay otherwise.
    """
    try:
        from orjson import loads as fast
    except ImportError:  # pragma: no cover - orjson is a dependency; verify works without it
        return json.loads

    def loads(raw: bytes) -> Any:
        try:
            return fast(raw)
        except ValueError:
            return json.loads(raw.decode("utf-8"))

    return loads


def _lenient(lines: Iterable[bytes]) -> list[dict[str, Any] | None]:
    """The lines after the break, parsed where they can be (only read when something is wrong)."""
    parsed: list[dict[str, Any] | None] = []
    for raw in lines:
        try:
            entry = json.loads(raw)
            parsed.append(entry if isinstance(entry, dict) else None)
        except _LINE_PROBLEMS:
            parsed.append(None)
    return parsed


def _classified(chain: _Chain, rest: list[dict[str, Any] | None]) -> _Chain:
    bad = _first_bad(chain, rest)
    count, tip = chain.count, chain.tip
    if bad.seq == chain.count:  # the last accepted line was the one inserted
        count, tip = chain.count - 1, chain.before_tip
    return _Chain(count, tip, chain.before_tip, chain.references, chain.break_, bad)


def _first_bad(chain: _Chain, rest: list[dict[str, Any] | None]) -> BadEntry:
    assert chain.break_ is not None
    position = chain.count + 1
    following = rest[0] if rest else None
    problem = chain.break_.problem
    if problem == "torn" or (problem == "unreadable" and not rest):
        return _torn(position, "no newline" if problem == "torn" else "not a complete entry")
    if problem == "link":
        return _misplaced(chain, position, chain.break_.entry or {}, rest)
    if _links(following, position, chain.tip):
        detail = "a line that does not belong was put between two entries"
        return BadEntry(position, INSERTED, detail, position)
    if problem == "unreadable":
        error = chain.break_.error
        if isinstance(error, (ValueError, RecursionError)) and not isinstance(error, LogLineError):
            return BadEntry(position, NOT_JSON, "this line is not readable JSON any more", position)
        return BadEntry(
            position, EDITED, f"this line is no longer a valid entry ({error})", position
        )
    return BadEntry(position, EDITED, "its content no longer matches its hash", position)


def _misplaced(
    chain: _Chain, position: int, entry: dict[str, Any], rest: list[dict[str, Any] | None]
) -> BadEntry:
    """A self-consistent entry in the wrong place: were lines deleted, moved or added?"""
    found_seq = entry.get("seq")
    later_seqs = {item.get("seq") for item in rest if item is not None}
    if isinstance(found_seq, int) and found_seq > position:
        if position in later_seqs:
            return BadEntry(
                position,
                REORDERED,
                f"entry {found_seq} appears where entry {position} belongs",
                position,
            )
        missing = f"{position}" if found_seq == position + 1 else f"{position} to {found_seq - 1}"
        return BadEntry(position, DELETED, f"entry {missing} is missing", position)
    if found_seq == position - 1 and entry.get("prev") == chain.before_tip:
        detail = "this line was added: the entry after it links to the one before it"
        return BadEntry(position - 1, INSERTED, detail, position - 1)
    if isinstance(found_seq, int) and found_seq < position:
        detail = f"entry {found_seq} appears again after entry {position - 1}"
        return BadEntry(position, INSERTED, detail, position)
    if rest and _links(rest[0], position, chain.tip):
        detail = "a line that does not belong was put between two entries"
        return BadEntry(position, INSERTED, detail, position)
    detail = f"it does not link to entry {position - 1}: one of the two was rewritten"
    return BadEntry(position, EDITED, detail, position)


def _links(entry: dict[str, Any] | None, seq: int, prev: str) -> bool:
    return entry is not None and entry.get("seq") == seq and entry.get("prev") == prev


def _torn(seq: int, why: str) -> BadEntry:
    return BadEntry(
        seq,
        TORN_TAIL,
        f"the last line is incomplete ({why}); a write was interrupted. "
        "Run `devicecheck log repair` to set it aside",
        seq,
    )


def _references_of(entry: dict[str, Any], seq: int) -> list[_Reference]:
    data = entry["data"]
    if entry["kind"] == "attachment":
        records: list[Any] = [data]
    else:
        found = data.get("attachments") or []
        records = found if isinstance(found, list) else [None]
    return [_Reference(seq, _field(record, "sha256"), _field(record, "size")) for record in records]


def _field(record: Any, name: str) -> Any:
    return record.get(name) if isinstance(record, dict) else None


def _check_attachments(
    files_dir: Path, references: list[_Reference], chain_bad: BadEntry | None
) -> tuple[BadEntry | None, int]:
    """Re-hash each stored file once; an attachment problem before the chain break comes first."""
    checked: dict[Any, str | None] = {}
    for reference in references:
        if chain_bad is not None and reference.seq >= chain_bad.seq:
            break
        key = (reference.sha256, reference.size)
        if key not in checked:
            checked[key] = attachment_problem(files_dir, reference.sha256, reference.size)
        problem = checked[key]
        if problem is not None:
            reason = ATTACHMENT_MISSING if problem == "missing" else ATTACHMENT_ALTERED
            what = (
                "is not in evidence/files"
                if problem == "missing"
                else "was changed after it was stored"
            )
            detail = f"the attached file {reference.sha256} {what}"
            return BadEntry(reference.seq, reason, detail, reference.seq), len(checked)
    return chain_bad, len(checked)
