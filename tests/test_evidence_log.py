"""The evidence log's API on real files: appends, reading, amendments, attachments, repair."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import (
    GENESIS,
    EvidenceLog,
    Incident,
    canonical_json,
    parse_line,
    parse_when,
)
from devicecheck.errors import DeviceCheckError


@pytest.fixture
def log(data_dir: Path) -> EvidenceLog:
    return EvidenceLog(DataDir(data_dir))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_entries_chain_from_genesis_and_read_back_exactly(log: EvidenceLog) -> None:
    first = log.add_note("He called 14 times between 9 and 10pm. ünïcödé ✓")
    second = log.append("finding", {"origin": "checklist", "item_id": "x", "answer": "yes"})
    assert (first.seq, first.prev) == (1, GENESIS)
    assert (second.seq, second.prev) == (2, first.hash)
    assert log.entries() == [first, second]
    assert log.entries(kind="finding") == [second]
    body = {key: value for key, value in first.to_dict().items() if key != "hash"}
    import hashlib

    assert hashlib.sha256(canonical_json(body)).hexdigest() == first.hash
    stored = log.path.read_bytes().splitlines()
    assert stored[0] == canonical_json(first.to_dict())
    assert parse_line(stored[1]) == second


def test_files_are_private(log: EvidenceLog, tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    source.write_bytes(b"\xff\xd8 not really a jpeg")
    log.attach(source, note="the car outside")
    assert _mode(log.path) == 0o600
    assert _mode(log.directory) == 0o700
    assert _mode(log.files_dir) == 0o700
    for stored in log.files_dir.iterdir():
        assert _mode(stored) == 0o600


def test_tuples_and_nested_data_come_back_as_stored(log: EvidenceLog) -> None:
    entry = log.append("scan", {"limits": ("a", "b"), "examined": {"processes": 3}})
    assert entry.data == {"limits": ["a", "b"], "examined": {"processes": 3}}
    assert log.get(entry.id) == entry


@pytest.mark.parametrize(
    "data",
    [{"x": float("nan")}, {"x": object()}, {1: "a", "b": 2}],
)
def test_unstorable_data_is_refused_before_anything_is_written(
    log: EvidenceLog, data: dict
) -> None:
    with pytest.raises(DeviceCheckError):
        log.append("note", data)
    assert log.entries() == []


def test_a_lone_surrogate_is_kept_escaped_not_refused(log: EvidenceLog) -> None:
    entry = log.append("note", {"x": "\ud800 and caf\udce9"})
    assert entry.data == {"x": "\\ud800 and caf\\xe9"}
    assert log.verify().ok


def test_unknown_kind_and_empty_author_are_refused(log: EvidenceLog) -> None:
    with pytest.raises(DeviceCheckError, match="unknown evidence kind"):
        log.append("gossip", {})
    with pytest.raises(DeviceCheckError, match="author"):
        log.add_note("x", author="  ")


def test_amend_points_at_the_old_entry_and_leaves_it_alone(log: EvidenceLog) -> None:
    original = log.add_note("It was Tuesday", session=None)
    before = log.path.read_bytes()
    amendment = log.amend(original.id[:8], "It was Wednesday", author="Sam (caseworker)")
    assert log.path.read_bytes().startswith(before)
    assert amendment.kind == "amendment"
    assert amendment.data == {"amends": original.id, "amends_seq": 1, "note": "It was Wednesday"}
    assert log.get(original.id) == original
    assert log.amendments_of(original.id) == [amendment]
    with pytest.raises(DeviceCheckError, match="no evidence entry"):
        log.amend("ffffffffffffffff", "nothing")


def test_incident_with_attachments(log: EvidenceLog, tmp_path: Path) -> None:
    shot = tmp_path / "screenshot.png"
    shot.write_bytes(b"PNG bytes")
    os.utime(shot, (1_700_000_000, 1_700_000_000))
    incident = Incident(
        what="Messages from a new number",
        when=parse_when("2024-05-31 21:40"),
        how="text",
        who="my ex",
        police_ref="CAD 1234",
    )
    entry = log.add_incident(incident, attachments=[shot], session=None)
    (record,) = entry.data["attachments"]
    assert record["name"] == "screenshot.png"
    assert record["size"] == 9
    assert record["mtime"] == "2023-11-14T22:13:20+00:00"
    assert (log.files_dir / record["sha256"]).read_bytes() == b"PNG bytes"
    assert entry.data["what"] == "Messages from a new number"
    assert entry.data["police_ref"] == "CAD 1234"
    assert log.verify().ok


def test_incident_fields_are_checked(log: EvidenceLog) -> None:
    with pytest.raises(DeviceCheckError, match="what happened"):
        log.add_incident(Incident(what="  "))
    with pytest.raises(DeviceCheckError, match="--how"):
        log.add_incident(Incident(what="x", how="pigeon"))
    with pytest.raises(DeviceCheckError, match="offset"):
        log.add_incident(Incident(what="x", when="2024-05-31T21:40:00"))


def test_when_is_local_time_with_the_offset_in_force_then() -> None:
    script = (
        "from devicecheck.core.evidence import parse_when\n"
        "print(parse_when('2024-07-01 09:30'))\n"
        "print(parse_when('2024-01-15 09:30'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={**os.environ, "TZ": "Europe/London"},
        check=True,
    )
    assert result.stdout.split() == ["2024-07-01T09:30:00+01:00", "2024-01-15T09:30:00+00:00"]
    with pytest.raises(DeviceCheckError, match="2024-05-31 21:40"):
        parse_when("last tuesday")


def test_symlinked_log_attachment_source_and_destination_are_refused(
    log: EvidenceLog, tmp_path: Path
) -> None:
    target = tmp_path / "elsewhere.jsonl"
    target.write_bytes(b"")
    log.directory.mkdir(parents=True)
    log.path.symlink_to(target)
    with pytest.raises(DeviceCheckError, match="symbolic link"):
        log.add_note("x")
    assert target.read_bytes() == b""
    log.path.unlink()

    real = tmp_path / "real.txt"
    real.write_bytes(b"evidence")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    with pytest.raises(DeviceCheckError, match="symbolic link"):
        log.attach(link)

    import hashlib

    log.files_dir.mkdir(mode=0o700, exist_ok=True)
    decoy = tmp_path / "decoy"
    (log.files_dir / hashlib.sha256(b"evidence").hexdigest()).symlink_to(decoy)
    with pytest.raises(DeviceCheckError, match="symbolic link"):
        log.attach(real)
    assert not decoy.exists()
    assert log.entries() == []


def test_attach_refuses_folders_and_missing_files(log: EvidenceLog, tmp_path: Path) -> None:
    with pytest.raises(DeviceCheckError, match="not a regular file"):
        log.attach(tmp_path)
    with pytest.raises(DeviceCheckError, match="no such file"):
        log.attach(tmp_path / "absent.png")
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(DeviceCheckError, match="not a regular file"):
        log.attach(tmp_path / "pipe")


def test_torn_tail_blocks_appends_until_repair_moves_it_aside(log: EvidenceLog) -> None:
    entries = [log.add_note(f"note {n}") for n in range(3)]
    torn = b'{"author":"self","data":{"text":"half a li'
    with open(log.path, "ab") as handle:
        handle.write(torn)
    report = log.verify()
    assert not report.ok
    assert (report.first_bad.seq, report.first_bad.reason) == (4, "torn tail")
    with pytest.raises(DeviceCheckError, match="devicecheck log repair"):
        log.add_note("after the crash")
    assert log.entries() == entries

    result = log.repair()
    assert result.repaired and result.size == len(torn)
    assert result.quarantine.read_bytes() == torn
    assert _mode(result.quarantine) == 0o600
    import hashlib

    assert result.entry.data["sha256"] == hashlib.sha256(torn).hexdigest()
    assert result.entry.kind == "repair" and result.entry.prev == entries[-1].hash
    assert log.verify().ok
    assert log.add_note("after the repair").seq == 5


def test_a_complete_planted_last_line_is_edited_not_a_torn_tail(log: EvidenceLog) -> None:
    """`repair` sets aside only bytes after the last newline, so verify must not send a
    complete line someone added to `repair` (which would find nothing to do)."""
    for n in range(3):
        log.add_note(f"note {n}")
    with open(log.path, "ab") as handle:
        handle.write(b'{"author":"self","data":{"text":"planted"}}\n')
    report = log.verify()
    assert (report.first_bad.seq, report.first_bad.reason) == (4, "edited")
    assert not log.repair().repaired
    assert log.repair().repaired is False


def test_a_complete_damaged_last_line_is_reported_as_edited_and_never_cut(
    log: EvidenceLog,
) -> None:
    log.add_note("kept")
    log.add_note("the last entry, later damaged")
    original = log.path.read_bytes()
    damaged = original.replace(b"later damaged", b"later DAMAGED")
    log.path.write_bytes(damaged)
    report = log.verify()
    assert (report.first_bad.seq, report.first_bad.reason) == (2, "edited")
    assert log.repair().repaired is False  # a complete line is evidence: never set aside
    assert log.path.read_bytes() == damaged
    log.add_note("new evidence is still kept")
    assert log.path.read_bytes().startswith(damaged)
    assert log.verify().first_bad.reason == "edited"


def test_a_complete_line_of_garbage_at_the_end_is_not_cut(log: EvidenceLog) -> None:
    kept = log.add_note("kept")
    with open(log.path, "ab") as handle:
        handle.write(b"\x00\x00\x00\x00\n")
    assert log.verify().first_bad.seq == 2
    assert log.repair().repaired is False
    assert log.path.read_bytes().endswith(b"\x00\x00\x00\x00\n")
    assert log.entries()[0] == kept


def test_tail_is_found_behind_entries_larger_than_the_read_window(log: EvidenceLog) -> None:
    big = log.add_note("x" * 300_000)
    other = EvidenceLog(log.data_dir)  # no remembered tail: must read it from the file
    follower = other.add_note("after a big one")
    assert (follower.seq, follower.prev) == (2, big.hash)
    assert log.add_note("and again").prev == follower.hash  # notices the other writer
    assert log.verify().ok


def test_reading_skips_damaged_lines_and_says_which(log: EvidenceLog) -> None:
    for n in range(3):
        log.add_note(f"note {n}")
    lines = log.path.read_bytes().splitlines(keepends=True)
    lines[1] = b"garbage\n"
    log.path.write_bytes(b"".join(lines))
    contents = log.read()
    assert [entry.seq for entry in contents.entries] == [1, 3]
    assert contents.unreadable_lines == (2,)
    assert not contents.torn_tail
    follower = log.add_note("still recording")  # a damaged middle line does not stop new evidence
    assert follower.seq == 4
    assert log.verify().first_bad.seq == 2


def test_empty_and_missing_logs(log: EvidenceLog) -> None:
    assert log.entries() == []
    report = log.verify()
    assert report.ok and report.entries == 0 and report.head_hash is None
    assert log.repair().repaired is False
    assert report.to_dict() == {
        "ok": True,
        "entries": 0,
        "head_hash": None,
        "first_bad": None,
        "attachments": 0,
        "receipts": [],
        "protected": False,
        "keyed": None,
    }
