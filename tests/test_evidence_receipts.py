"""Receipts against the attacker the log exists for: someone who can write to the data folder,
knows the format, and rebuilds the chain after an edit, cuts entries off, or replaces the log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.evidence.entries import seal_entry
from devicecheck.core.evidence.receipts import (
    MIN_HASH_DIGITS,
    SHORT_HASH_DIGITS,
    Receipt,
    parse_receipt,
    receipt_of,
)
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli


@pytest.fixture
def log(tmp_path: Path) -> EvidenceLog:
    log = EvidenceLog(DataDir(tmp_path / "home"))
    for text in ("He called 14 times", "He was outside work", "He texted my sister"):
        log.add_note(text)
    return log


def _rebuilt(lines: list[dict]) -> bytes:
    """The documented format, used as an attacker would: every hash recomputed."""
    prev = "0" * 64
    out = b""
    for seq, entry in enumerate(lines, 1):
        _, line = seal_entry(
            seq=seq, prev=prev, kind=entry["kind"], data=entry["data"], session=entry["session"],
            author=entry["author"], recorded_at=entry["recorded_at"], entry_id=entry["id"],
        )  # fmt: skip
        prev = json.loads(line)["hash"]
        out += line
    return out


def _entries(log: EvidenceLog) -> list[dict]:
    return [json.loads(line) for line in log.path.read_bytes().splitlines()]


def test_an_edit_with_the_chain_rebuilt_passes_verify_alone_but_not_a_receipt(
    log: EvidenceLog,
) -> None:
    receipt = receipt_of(log)
    assert receipt is not None and receipt.seq == 3
    entries = _entries(log)
    entries[0]["data"]["text"] = "He called once"
    log.path.write_bytes(_rebuilt(entries))
    assert log.verify().ok  # what verify alone cannot see
    report = log.verify([parse_receipt(receipt.short_form)])
    assert not report.ok
    (check,) = report.receipts
    assert not check.ok and "changed" in check.detail


def test_entries_cut_off_the_end_are_caught_by_a_receipt(log: EvidenceLog) -> None:
    receipt = receipt_of(log)
    assert receipt is not None
    lines = log.path.read_bytes().splitlines(keepends=True)
    log.path.write_bytes(b"".join(lines[:2]))
    assert log.verify().ok  # a shorter chain is still a chain
    report = log.verify([parse_receipt(receipt.short_form)])
    assert not report.ok and "only 2 entries" in report.receipts[0].detail


def test_rebuild_and_truncate_together_are_caught(log: EvidenceLog) -> None:
    receipt = receipt_of(log)
    entries = _entries(log)[:2]
    entries[1]["data"]["text"] = "nothing happened"
    log.path.write_bytes(_rebuilt(entries))
    assert log.verify().ok
    assert not log.verify([parse_receipt(receipt.short_form)]).ok


def test_a_replaced_log_is_caught_by_a_receipt(log: EvidenceLog, tmp_path: Path) -> None:
    receipt = receipt_of(log)
    other = EvidenceLog(DataDir(tmp_path / "other"))
    for text in ("a", "b", "c", "d"):
        other.add_note(text)
    log.path.write_bytes(other.path.read_bytes())
    report = log.verify([parse_receipt(receipt.short_form)])
    assert log.verify().ok and not report.ok


def test_a_receipt_still_matches_after_new_entries(log: EvidenceLog) -> None:
    first = receipt_of(log)
    log.add_note("later entry")
    second = receipt_of(log)
    report = log.verify([parse_receipt(first.short_form), parse_receipt(second.short_form)])
    assert report.ok and [check.ok for check in report.receipts] == [True, True]


def test_an_edit_after_the_receipt_is_not_what_that_receipt_covers(log: EvidenceLog) -> None:
    """What a receipt does not prove, shown: entries after it can be rebuilt unseen by it."""
    receipt = receipt_of(log)
    log.add_note("written after the receipt")
    entries = _entries(log)
    entries[3]["data"]["text"] = "changed later"
    log.path.write_bytes(_rebuilt(entries))
    assert log.verify([parse_receipt(receipt.short_form)]).ok


def test_the_short_form_and_the_json_members() -> None:
    receipt = Receipt(12, "ab" * 32, "2026-11-30T07:00:00.000+00:00")
    assert receipt.short_form == "12:" + ("ab" * 32)[:SHORT_HASH_DIGITS]
    assert set(receipt.to_dict()) == {"seq", "head_hash", "recorded_at", "short_form"}


@pytest.mark.parametrize(
    "text",
    ["", "12", "12:", ":abc", "0:" + "a" * 20, "12:" + "a" * (MIN_HASH_DIGITS - 1),
     "12:" + "g" * 20, "12:" + "a" * 65, "-1:" + "a" * 20],
)  # fmt: skip
def test_bad_receipts_are_one_clear_error(text: str) -> None:
    with pytest.raises(DeviceCheckError):
        parse_receipt(text)


@given(st.text(max_size=80))
def test_any_text_as_a_receipt_parses_or_is_refused_cleanly(text: str) -> None:
    try:
        claim = parse_receipt(text)
    except DeviceCheckError:
        return
    assert claim.seq >= 1 and MIN_HASH_DIGITS <= len(claim.hash_prefix) <= 64


def test_cli_receipt_and_verify_with_receipts(tmp_path: Path) -> None:
    home = tmp_path / "home"
    for text in ("one", "two"):
        assert run_cli("log", "add-note", text, data_dir=home).returncode == 0
    printed = run_cli("log", "receipt", "--json", data_dir=home)
    assert printed.returncode == 0, printed.stderr
    receipt = json.loads(printed.stdout)
    assert receipt["seq"] == 2 and len(receipt["head_hash"]) == 64 and receipt["recorded_at"]
    plain = run_cli("log", "receipt", data_dir=home)
    assert receipt["short_form"] in plain.stdout

    good = run_cli("log", "verify", "--receipt", receipt["short_form"], data_dir=home)
    assert good.returncode == 0 and "matches" in good.stdout
    log = EvidenceLog(DataDir(home))
    entries = _entries(log)[:1]
    log.path.write_bytes(_rebuilt(entries))
    bad = run_cli("log", "verify", "--receipt", receipt["short_form"], "--json", data_dir=home)
    assert bad.returncode == 1
    document = json.loads(bad.stdout)
    assert document["ok"] is False and document["first_bad"] is None
    assert document["receipts"][0]["ok"] is False
    text = run_cli("log", "verify", "--receipt", receipt["short_form"], data_dir=home)
    assert text.returncode == 1 and "DOES NOT MATCH" in text.stdout
    assert "NOT intact" in text.stdout and "is intact" not in text.stdout  # no line says intact
    assert_one_line_error(run_cli("log", "verify", "--receipt", "nonsense", data_dir=home))


def test_cli_refuses_a_receipt_for_a_log_that_does_not_verify(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run_cli("log", "add-note", "one", data_dir=home)
    path = home / "evidence" / "log.jsonl"
    path.write_bytes(path.read_bytes().replace(b"one", b"two"))
    assert_one_line_error(run_cli("log", "receipt", data_dir=home))


def test_receipts_work_on_a_protected_log_and_survive_unprotect(tmp_path: Path) -> None:
    from devicecheck.core import protect_folder, protection

    data_dir = DataDir(tmp_path / "home")
    try:
        protect_folder.protect(
            data_dir.root, "receipt passphrase", protection.KdfParameters(n=2**12)
        )
        log = EvidenceLog(data_dir)
        log.add_note("protected one")
        receipt = receipt_of(log)
        assert log.verify([parse_receipt(receipt.short_form)]).ok
        protect_folder.unprotect(data_dir.root)
        assert EvidenceLog(data_dir).verify([parse_receipt(receipt.short_form)]).ok
    finally:
        protection.forget_keys()
