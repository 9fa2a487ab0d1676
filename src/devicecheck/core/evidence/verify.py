"""Verify a log: every hash, every link, every attachment; name the first bad entry and why.

The hot loop reads each line once: one json.loads, then SHA-256 over the line's own bytes with
the `"hash":"..."` member cut out. Because a stored line is the canonical JSON of the whole
entry, those bytes are exactly the canonical JSON of the entry without its hash, so nothing is
re-serialised. Any change to a line's bytes (even whitespace) changes that digest.

A protected log (core.evidence.sealed) has two chains: the public one over the stored lines,
checked the same way without any key, and, with the folder's keys, the ordinary chain of the
entries inside them, each of which must also open under the key at its place. Receipts
(core.evidence.receipts) are checked against the ordinary chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from devicecheck.core.evidence.attachments import attachment_problem
from devicecheck.core.evidence.entries import FIELDS, GENESIS, LogLineError
from devicecheck.core.evidence.receipts import ReceiptCheck, ReceiptClaim, check_receipt
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
FORGED = "forged"
REASONS: tuple[str, ...] = (
    EDITED,
    NOT_JSON,
    DELETED,
    REORDERED,
    INSERTED,
    TORN_TAIL,
    ATTACHMENT_MISSING,
    ATTACHMENT_ALTERED,
    FORGED,
)
_FIELD_COUNT = len(FIELDS)
_SEALED_FIELD_COUNT = 4
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
    ok: bool  # the chain, the attachments and every receipt check out
    entries: int  # complete lines read up to the first bad one (all of them when ok)
    head_hash: str | None  # hash of the last intact entry; None for an empty or missing log
    first_bad: BadEntry | None
    attachments: int = 0  # attachment files re-hashed
    receipts: tuple[ReceiptCheck, ...] = ()
    # None: an ordinary log. A protected log: True when each entry was also opened with the
    # key; False when only the public chain over the stored bytes was checked (no key), in
    # which case head_hash is the stored chain's and attachments were not checked.
    keyed: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "entries": self.entries,
            "head_hash": self.head_hash,
            "first_bad": self.first_bad.to_dict() if self.first_bad else None,
            "attachments": self.attachments,
            "receipts": [check.to_dict() for check in self.receipts],
            "protected": self.keyed is not None,
            "keyed": self.keyed,
        }


@dataclass(frozen=True)
class _Reference:
    seq: int
    sha256: Any
    size: Any


def verify_log(
    log_path: Path,
    files_dir: Path,
    receipts: Sequence[ReceiptClaim] = (),
    *,
    keys: Any = None,
    sealed_log: bool = False,
) -> VerifyReport:
    """Verify the log at `log_path` (and the files its entries attach) against any receipts.

    `sealed_log`: the log is in the protected form; with `keys` every entry is opened too.
    """
    refuse_symlink(log_path)
    wanted = {claim.seq for claim in receipts}
    keyed = None if not sealed_log else keys is not None
    if not log_path.exists():
        checks = tuple(check_receipt(claim, {}, 0, 0) for claim in receipts)
        ok = all(check.ok for check in checks)
        return VerifyReport(ok, 0, None, None, receipts=checks, keyed=keyed)
    with open(log_path, "rb") as handle:
        if sealed_log:
            chain, total = _verify_sealed(handle, keys, wanted)
        else:
            chain = _walk_chain(handle, wanted)
            if chain.break_ is not None:
                chain = _classified(chain, _lenient(handle))
            total = chain.count + (0 if chain.bad is None else _lines_after(chain))
    bad, checked = (chain.bad, 0)
    if not sealed_log or keys is not None:
        bad, checked = _check_attachments(files_dir, chain.references, chain.bad, keys)
    checks = tuple(check_receipt(claim, chain.found, chain.count, total) for claim in receipts)
    return VerifyReport(
        ok=bad is None and all(check.ok for check in checks),
        entries=chain.count,
        head_hash=None if chain.tip == GENESIS else chain.tip,
        first_bad=bad,
        attachments=checked,
        receipts=checks,
        keyed=keyed,
    )


def _lines_after(chain: _Chain) -> int:
    return chain.rest_lines + 1


def _verify_sealed(handle: Any, keys: Any, wanted: set[int]) -> tuple[_Chain, int]:
    """The public chain over the stored lines, then (with keys) the ordinary chain inside."""
    plain: list[bytes] | None = [] if keys is not None else None
    opener = None if plain is None else _box_opener(keys, plain)
    outer = _walk_chain(handle, set(), field_count=_SEALED_FIELD_COUNT, opener=opener)
    if outer.break_ is not None:
        outer = _classified(outer, _lenient(handle))
    total = outer.count + (0 if outer.bad is None else _lines_after(outer))
    if plain is None:
        return outer, total
    inner = _walk_chain(iter(plain), wanted)
    if inner.break_ is not None:
        inner = _classified(inner, _lenient(iter(())))
    if inner.bad is not None and (outer.bad is None or inner.bad.seq <= outer.bad.seq):
        return inner, total
    if outer.bad is not None:
        return _Chain(
            min(inner.count, outer.count),
            inner.tip,
            inner.before_tip,
            inner.references,
            outer.break_,
            outer.bad,
            inner.found,
            outer.rest_lines,
        ), total
    return inner, total


def _box_opener(keys: Any, plain: list[bytes]) -> Callable[[dict[str, Any]], None]:
    """Opens each sealed entry into `plain` (sealed.open_box, inlined: it runs 100,000 times)."""
    from cryptography.exceptions import InvalidTag

    from devicecheck.core.evidence.sealed import open_box

    append, decrypt, fromhex = plain.append, keys.log.decrypt, bytes.fromhex

    def opener(entry: dict[str, Any]) -> None:
        seq, prev = entry["seq"], entry["prev"]
        try:
            raw = fromhex(entry["box"])
            line = decrypt(raw[:12], raw[12:], b"devicecheck log v1 %d %s" % (seq, prev.encode()))
        except (InvalidTag, TypeError, ValueError, AttributeError, UnicodeEncodeError):
            line = open_box(keys, seq, prev, entry["box"])  # raises the one clear LogLineError
        append(line + b"\n")

    return opener


@dataclass(frozen=True)
class _Break:
    """What the hot loop saw at the first line it could not accept."""

    problem: str  # "torn", "unreadable", "hash", "link" or "forged"
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
    found: dict[int, str] = field(default_factory=dict)  # hashes at the seqs receipts name
    rest_lines: int = 0  # complete lines after the break (classified ones only)


def _walk_chain(
    handle: Any,
    wanted: set[int],
    *,
    field_count: int = _FIELD_COUNT,
    opener: Callable[[dict[str, Any]], None] | None = None,
) -> _Chain:
    fast_loads = _fast_parser()
    sha256 = hashlib.sha256
    with_files = _KINDS_WITH_FILES
    references: list[_Reference] = []
    found: dict[int, str] = {}
    tip = before_tip = GENESIS
    count = 0

    def stop(break_: _Break) -> _Chain:
        return _Chain(count, tip, before_tip, references, break_, found=found)

    for raw in handle:
        if raw[-1:] != b"\n":
            return stop(_Break("torn"))
        try:
            try:  # orjson inline (a call per line costs ~10% of verify); json if it refuses
                entry = fast_loads(raw)
            except ValueError:
                entry = json.loads(raw.decode("utf-8"))
            digest = entry["hash"]
            seq, prev, kind = entry["seq"], entry["prev"], entry.get("kind")
            needle = b',"hash":"' + digest.encode() + b'"'
            if len(entry) != field_count or type(seq) is not int:
                raise LogLineError("not an entry (wrong set of fields)")
        except _LINE_PROBLEMS as error:
            return stop(_Break("unreadable", error))
        cut = raw.rfind(needle)
        if cut < 0 or sha256(raw[:cut] + raw[cut + len(needle) : -1]).hexdigest() != digest:
            return stop(_Break("hash", entry=entry))
        if seq != count + 1 or prev != tip:
            return stop(_Break("link", entry=entry))
        if opener is not None:
            try:
                opener(entry)
            except LogLineError as error:
                return stop(_Break("forged", error, entry))
        count += 1
        if kind in with_files:
            references.extend(_references_of(entry, count))
        if seq in wanted:
            found[seq] = digest
        before_tip = tip
        tip = digest
    return _Chain(count, tip, before_tip, references, found=found)


def _fast_parser() -> Callable[[bytes], Any]:
    """orjson's loads when it is installed (about twice as fast as json), else json's.

    Imported here, when a log is verified, not with this module: orjson takes ~10 ms to load,
    which every `log add-note` and `scan --save` would pay otherwise.
    """
    try:
        from orjson import loads
    except ImportError:  # pragma: no cover - orjson is a dependency; verify works without it
        return json.loads
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
    return _Chain(
        count, tip, chain.before_tip, chain.references, chain.break_, bad, chain.found, len(rest)
    )


def _first_bad(chain: _Chain, rest: list[dict[str, Any] | None]) -> BadEntry:
    assert chain.break_ is not None
    position = chain.count + 1
    following = rest[0] if rest else None
    problem = chain.break_.problem
    if problem == "forged":
        detail = (
            "this entry was not written with this folder's key: someone without the "
            "passphrase added or changed it"
        )
        return BadEntry(position, FORGED, detail, position)
    if problem == "torn":  # only a line without its newline: `repair` sets exactly that aside
        return _torn(position)
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


def _torn(seq: int) -> BadEntry:
    return BadEntry(
        seq,
        TORN_TAIL,
        "the last line is incomplete (no newline); a write was interrupted. "
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
    files_dir: Path, references: list[_Reference], chain_bad: BadEntry | None, keys: Any = None
) -> tuple[BadEntry | None, int]:
    """Re-hash each stored file once; an attachment problem before the chain break comes first."""
    checked: dict[Any, str | None] = {}
    for reference in references:
        if chain_bad is not None and reference.seq >= chain_bad.seq:
            break
        key = (reference.sha256, reference.size)
        if key not in checked:
            checked[key] = attachment_problem(files_dir, reference.sha256, reference.size, keys)
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
