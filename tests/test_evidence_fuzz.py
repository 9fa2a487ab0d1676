"""Hypothesis: whatever bytes are in the log, the parser and verify give the project's own errors."""

from __future__ import annotations

import contextlib
import hashlib
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import REASONS, EvidenceLog, LogLineError, parse_line
from devicecheck.core.evidence.entries import seal_entry
from devicecheck.errors import DeviceCheckError

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELD_NAMES = st.sampled_from(
    ["seq", "id", "recorded_at", "kind", "session", "author", "data", "prev", "hash", "x"]
)


@settings(max_examples=400)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_only_a_log_line_error(raw: bytes) -> None:
    with contextlib.suppress(LogLineError):
        parse_line(raw)


@settings(max_examples=300)
@given(st.dictionaries(FIELD_NAMES, JSON_VALUES, max_size=10))
def test_arbitrary_json_objects_give_only_a_log_line_error(value: dict) -> None:
    try:
        entry = parse_line(json.dumps(value).encode())
    except LogLineError:
        return
    assert entry.to_dict() == value


@settings(max_examples=200)
@given(st.binary(max_size=100), st.integers(min_value=0, max_value=3))
def test_deeply_nested_or_odd_lines_are_errors_not_crashes(tail: bytes, depth_power: int) -> None:
    nested = b"[" * (10 ** (depth_power + 2)) + tail
    with contextlib.suppress(LogLineError):
        parse_line(nested)


def _sealed_log(count: int) -> bytes:
    lines, prev = [], "0" * 64
    for seq in range(1, count + 1):
        entry, line = seal_entry(
            seq=seq, prev=prev, kind="note", data={"text": str(seq)}, session=None, author="self"
        )
        lines.append(line)
        prev = entry.hash
    return b"".join(lines)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=300), st.integers(min_value=0, max_value=4), st.booleans())
@example(b'{"box":"', 0, False)  # a torn line that starts like a protected entry: repairable
def test_verify_append_and_repair_survive_any_garbage(
    garbage: bytes, keep: int, garbage_first: bool
) -> None:
    sealed = _sealed_log(keep)
    content = garbage + sealed if garbage_first else sealed + garbage
    with tempfile.TemporaryDirectory() as temporary:
        log = EvidenceLog(DataDir(Path(temporary)))
        log.directory.mkdir(parents=True)
        log.path.write_bytes(content)
        report = log.verify()
        assert report.ok or report.first_bad.reason in REASONS
        if not garbage:
            assert report.ok
        log.read()
        try:
            log.add_note("still recording")
        except DeviceCheckError as error:
            assert "repair" in error.message
            result = log.repair()
            offset = result.entry.data["offset"]
            # Nothing lost: the log keeps everything before the cut, quarantine everything after.
            assert result.quarantine.read_bytes() == content[offset:]
            assert log.path.read_bytes().startswith(content[:offset])
            if not garbage_first:
                assert offset >= len(sealed)
            log.add_note("after repair")
        assert log.entries()[-1].data["text"] in ("still recording", "after repair")


@settings(max_examples=300)
@given(
    data=st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5),
    seq=st.integers(min_value=1, max_value=10**12),
    session=st.none() | st.text(min_size=1, max_size=20),
    author=st.text(min_size=1, max_size=20).filter(str.strip),
    entry_id=st.text(min_size=1, max_size=20),
    recorded_at=st.text(min_size=1, max_size=40),
)
def test_sealed_line_is_the_documented_canonical_json(
    data: dict, seq: int, session: str | None, author: str, entry_id: str, recorded_at: str
) -> None:
    """seal_entry assembles the line from its members; it must equal what
    docs/evidence-format.md tells a verifier to compute with json.dumps(sort_keys=True)."""
    try:
        entry, line = seal_entry(
            seq=seq,
            prev="a" * 64,
            kind="note",
            data=data,
            session=session,
            author=author,
            recorded_at=recorded_at,
            entry_id=entry_id,
        )
    except DeviceCheckError:
        documented = {"data": data, "session": session, "author": author, "id": entry_id}
        with pytest.raises((UnicodeEncodeError, ValueError)):
            json.dumps(documented, ensure_ascii=False, allow_nan=False).encode("utf-8")
        return
    stored = json.loads(line)
    assert line == _documented_canonical_form(stored) + b"\n"
    without_hash = {name: value for name, value in stored.items() if name != "hash"}
    assert entry.hash == hashlib.sha256(_documented_canonical_form(without_hash)).hexdigest()
    assert entry.to_dict() == stored
    assert parse_line(line.rstrip(b"\n")) == entry


def _documented_canonical_form(value: dict) -> bytes:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def test_large_integers_in_data_stay_integers() -> None:
    entry, line = seal_entry(
        seq=1,
        prev="0" * 64,
        kind="note",
        data={"n": 10**30, "m": -(2**70)},
        session=None,
        author="self",
    )
    assert entry.data == {"n": 10**30, "m": -(2**70)}
    assert parse_line(line.rstrip(b"\n")) == entry
