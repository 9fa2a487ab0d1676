"""Receipts: the head of the log, written down somewhere the other person cannot reach.

A hash chain shows that entries fit together, but anyone who can write to the data folder can
change an entry and recompute every hash after it, or cut entries off the end; the chain then
fits again. A receipt (an entry's seq and hash, noted on paper or texted to a caseworker) pins
the log as it was: later, `log verify --receipt SEQ:HASH` checks that the entry at that seq still
has that hash and that the chain from it to today is intact, which neither a rebuilt chain, a cut
end nor a replaced log can fake.

The short form carries the first SHORT_HASH_DIGITS hex digits of the hash (80 bits). A receipt
may give as few as MIN_HASH_DIGITS (48 bits); docs/evidence-format.md says what each proves.
Receipts are always in terms of the ordinary (plaintext) chain, so one stays valid for an
export or a pack of the log and after `unprotect`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devicecheck.errors import DeviceCheckError

if TYPE_CHECKING:
    from devicecheck.core.evidence.log import EvidenceLog

SHORT_HASH_DIGITS = 20
MIN_HASH_DIGITS = 12
_RECEIPT = re.compile(r"^\s*([0-9]{1,12})\s*:\s*([0-9a-fA-F]+)\s*$")


@dataclass(frozen=True)
class Receipt:
    seq: int
    head_hash: str
    recorded_at: str

    @property
    def short_form(self) -> str:
        """What a person writes down or texts: `SEQ:` and the first 20 hex digits of the hash."""
        return f"{self.seq}:{self.head_hash[:SHORT_HASH_DIGITS]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "head_hash": self.head_hash,
            "recorded_at": self.recorded_at,
            "short_form": self.short_form,
        }


@dataclass(frozen=True)
class ReceiptClaim:
    """A receipt as given back: a seq and all or the start of a hash."""

    seq: int
    hash_prefix: str  # lowercase hex, MIN_HASH_DIGITS to 64 digits

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash_prefix}"


@dataclass(frozen=True)
class ReceiptCheck:
    claim: ReceiptClaim
    ok: bool
    detail: str  # one sentence for a person

    def to_dict(self) -> dict[str, Any]:
        return {"receipt": str(self.claim), "ok": self.ok, "detail": self.detail}


def parse_receipt(text: str) -> ReceiptClaim:
    """`SEQ:HASH` (the hash, or its first 12 or more hex digits) -> ReceiptClaim; one clear
    DeviceCheckError for anything else."""
    found = _RECEIPT.match(text) if isinstance(text, str) else None
    if found is None:
        raise DeviceCheckError(
            f"a receipt looks like 42:3f9a0c1d2e4b5a6c7d8e (seq, a colon, the hash), not {text!r}"
        )
    seq, digits = int(found.group(1)), found.group(2).lower()
    if seq < 1:
        raise DeviceCheckError("a receipt's seq starts at 1")
    if not MIN_HASH_DIGITS <= len(digits) <= 64:
        raise DeviceCheckError(
            f"a receipt needs at least {MIN_HASH_DIGITS} and at most 64 hex digits of the hash"
        )
    return ReceiptClaim(seq, digits)


def check_receipt(
    claim: ReceiptClaim, hash_at: dict[int, str], intact_entries: int, total_entries: int
) -> ReceiptCheck:
    """Does the log match the receipt? `hash_at` holds the hash of each intact entry asked
    about; `intact_entries` is how many entries from the first check out."""
    if claim.seq > total_entries:
        return ReceiptCheck(
            claim,
            False,
            f"the log has only {total_entries} entries now, but the receipt is for entry "
            f"{claim.seq}: entries were removed from the end, or the log was replaced",
        )
    if claim.seq > intact_entries:
        return ReceiptCheck(
            claim,
            False,
            f"the chain breaks before entry {claim.seq} (see above), so the receipt "
            "cannot be matched",
        )
    found = hash_at.get(claim.seq, "")
    if not found.startswith(claim.hash_prefix):
        return ReceiptCheck(
            claim,
            False,
            f"entry {claim.seq} now has hash {found[: len(claim.hash_prefix)]}, not "
            f"{claim.hash_prefix}: it or an entry before it was changed and the chain rebuilt, "
            "or the log was replaced",
        )
    return ReceiptCheck(claim, True, f"entry {claim.seq} still has the hash on the receipt")


def receipt_of(log: EvidenceLog) -> Receipt | None:
    """The receipt for the log's last complete entry (None for an empty log). It says what
    the log holds now; `verify` says whether that is intact."""
    head = log.head()
    if head is None:
        return None
    return Receipt(head.seq, head.hash, head.recorded_at)


def receipt_advice(receipt: Receipt | None) -> str:
    """What a person is told about the receipt of their log, in plain words."""
    if receipt is None:
        return "Your evidence log is empty, so there is no receipt to keep yet."
    return (
        f"Receipt of your evidence log: {receipt.short_form} (entry {receipt.seq}). Write it "
        "down or send it to your caseworker, somewhere the other person cannot reach. Later it "
        "shows whether the log was changed, cut short or replaced up to this entry. Checking "
        "the log on this computer alone cannot show that: someone who can use this computer "
        "could rebuild it."
    )


def current_receipt_advice(log: EvidenceLog) -> str | None:
    """`receipt_advice` for the log as it is now, or None when it cannot be read (locked,
    damaged): then no receipt is offered rather than a wrong one."""
    from devicecheck.errors import DeviceCheckError

    try:
        if not log.verify().ok:
            return None
        return receipt_advice(receipt_of(log))
    except (DeviceCheckError, OSError):
        return None
