"""The evidence log: an append-only, hash-chained, crash-safe record (format: docs/evidence-format.md).

Modules: `entries` (an entry, canonical JSON, hashes, the line parser), `log` (EvidenceLog:
locked, fsync'd appends, reading, repair), `verify` (chain, attachment and receipt checks),
`receipts` (what a person keeps elsewhere to catch a rebuilt, cut or replaced log), `sealed`
(an entry's stored form in a protected folder), `attachments` (content-addressed copies),
`incidents` (the incident diary fields), `export` (JSON Lines and CSV), `locking` (the
inter-process lock), `standalone_verify` (the plain-Python verifier shipped in packs).
"""

from __future__ import annotations

from devicecheck.core.evidence.attachments import AttachmentRecord
from devicecheck.core.evidence.entries import (
    GENESIS,
    KINDS,
    Entry,
    LogLineError,
    canonical_json,
    parse_line,
)
from devicecheck.core.evidence.incidents import HOW_CHANNELS, Incident, parse_when
from devicecheck.core.evidence.log import EvidenceLog, LogContents, RepairResult
from devicecheck.core.evidence.verify import REASONS, BadEntry, VerifyReport

__all__ = [
    "GENESIS",
    "HOW_CHANNELS",
    "KINDS",
    "REASONS",
    "AttachmentRecord",
    "BadEntry",
    "Entry",
    "EvidenceLog",
    "Incident",
    "LogContents",
    "LogLineError",
    "RepairResult",
    "VerifyReport",
    "canonical_json",
    "parse_line",
    "parse_when",
]
