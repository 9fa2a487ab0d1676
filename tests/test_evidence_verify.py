"""Tampering is detected and located: byte flips, deleted, moved and inserted lines, files."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import REASONS, EvidenceLog, Incident, VerifyReport
from devicecheck.core.evidence.entries import seal_entry
from tests.conftest import REPO_ROOT

ENTRY_COUNT = 40
_ANY_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(st.sampled_from(["seq", "hash", "prev", "data", "kind", "x"]), children)
    ),
    max_leaves=10,
)


@pytest.fixture
def log(data_dir: Path, tmp_path: Path) -> EvidenceLog:
    """A log with every shape of entry: notes, incidents with files, findings, amendments."""
    evidence = EvidenceLog(DataDir(data_dir))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"a photo of the car")
    for number in range(ENTRY_COUNT):
        if number % 10 == 3:
            evidence.attach(photo, note=f"photo {number}")
        elif number % 10 == 6:
            evidence.add_incident(Incident(what=f"incident {number} ✓", how="phone"))
        elif number % 10 == 8:
            evidence.amend(evidence.entries()[0].id, f"correction {number}")
        else:
            finding = {"origin": "scan", "app": "Спy", "process": {"pid": number, "cmdline": ["a"]}}
            evidence.append("finding", finding, session="20240101-abcdef", author="Sam Lee")
    assert evidence.verify().ok
    return evidence


def _lines(log: EvidenceLog) -> list[bytes]:
    return log.path.read_bytes().splitlines(keepends=True)


def _verify_with(log: EvidenceLog, lines: list[bytes]) -> VerifyReport:
    log.path.write_bytes(b"".join(lines))
    return log.verify()


def test_intact_log_reports_count_and_head(log: EvidenceLog) -> None:
    report = log.verify()
    assert report.ok and report.first_bad is None
    assert report.entries == ENTRY_COUNT
    assert report.head_hash == log.entries()[-1].hash
    assert report.attachments == 1  # the same photo attached four times is stored once


def test_a_thousand_byte_flips_are_each_caught_at_the_flipped_entry(log: EvidenceLog) -> None:
    original = log.path.read_bytes()
    starts = [0]
    for index, byte in enumerate(original):
        if byte == ord("\n"):
            starts.append(index + 1)
    rng = random.Random(20240531)
    for _ in range(1000):
        position = rng.randrange(len(original))
        flipped_seq = max(i for i, start in enumerate(starts) if start <= position) + 1
        damaged = bytearray(original)
        damaged[position] ^= rng.randrange(1, 256)
        log.path.write_bytes(bytes(damaged))
        report = log.verify()
        assert not report.ok, position
        bad = report.first_bad
        assert bad.seq == flipped_seq, (position, bad)
        allowed = {"edited", "not JSON"} | ({"torn tail"} if flipped_seq == ENTRY_COUNT else set())
        assert bad.reason in allowed, (position, bad)


def test_deleted_line(log: EvidenceLog) -> None:
    lines = _lines(log)
    del lines[11]
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason) == (12, "deleted")
    del lines[11:14]
    assert "12 to 15" in _verify_with(log, lines).first_bad.detail


def test_deleted_last_line_is_caught_by_the_head_hash(log: EvidenceLog) -> None:
    head = log.verify().head_hash
    lines = _lines(log)
    report = _verify_with(log, lines[:-1])
    assert report.ok and report.head_hash != head  # why the head hash is worth writing down


def test_swapped_lines_are_reordered(log: EvidenceLog) -> None:
    lines = _lines(log)
    lines[20], lines[21] = lines[21], lines[20]
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason) == (21, "reordered")


def test_moved_to_the_end_is_reordered(log: EvidenceLog) -> None:
    lines = _lines(log)
    lines.append(lines.pop(5))
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason) == (6, "reordered")


def test_inserted_forged_entry_with_a_valid_hash(log: EvidenceLog) -> None:
    lines = _lines(log)
    before = json.loads(lines[9])
    _, forged = seal_entry(
        seq=11, prev=before["hash"], kind="note", data={"text": "forged"}, session=None, author="x"
    )
    lines.insert(10, forged)
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason, bad.line) == (11, "inserted", 11)


def test_inserted_plain_line_and_duplicated_line(log: EvidenceLog) -> None:
    lines = _lines(log)
    with_text = [*lines[:7], b'{"note": "I was never here"}\n', *lines[7:]]
    bad = _verify_with(log, with_text).first_bad
    assert (bad.seq, bad.reason) == (8, "inserted")
    duplicated = [*lines[:7], lines[3], *lines[7:]]
    bad = _verify_with(log, duplicated).first_bad
    assert (bad.seq, bad.reason) == (8, "inserted")


def test_edit_with_recomputed_hash_breaks_the_link(log: EvidenceLog) -> None:
    lines = _lines(log)
    original = json.loads(lines[14])
    _, rewritten = seal_entry(
        seq=15,
        prev=original["prev"],
        kind=original["kind"],
        data={"text": "rewritten"},
        session=original["session"],
        author=original["author"],
        entry_id=original["id"],
    )
    lines[14] = rewritten
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason) == (16, "edited")


def test_whitespace_only_edit_is_still_an_edit(log: EvidenceLog) -> None:
    lines = _lines(log)
    lines[2] = lines[2].replace(b'":', b'": ', 1)
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason) == (3, "edited")


def test_attachment_altered_missing_and_replaced_by_symlink(
    log: EvidenceLog, tmp_path: Path
) -> None:
    (stored,) = list(log.files_dir.iterdir())
    first_reference = next(e.seq for e in log.entries() if e.kind == "attachment")
    stored.write_bytes(b"a photo of something else")
    bad = log.verify().first_bad
    assert (bad.seq, bad.reason) == (first_reference, "attachment altered")
    stored.unlink()
    bad = log.verify().first_bad
    assert (bad.seq, bad.reason) == (first_reference, "attachment missing")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"a photo of the car")
    stored.symlink_to(elsewhere)
    assert log.verify().first_bad.reason == "attachment missing"


def test_attachment_problem_after_a_chain_break_does_not_hide_it(log: EvidenceLog) -> None:
    lines = _lines(log)
    lines[1] = lines[1].replace(b"Sam Lee", b"Sam Lea")
    (stored,) = list(log.files_dir.iterdir())
    stored.unlink()
    bad = _verify_with(log, lines).first_bad
    assert (bad.seq, bad.reason) == (2, "edited")


def test_every_reason_is_named_in_the_format_document() -> None:
    document = (REPO_ROOT / "docs" / "evidence-format.md").read_text(encoding="utf-8")
    for reason in REASONS:
        assert f"| `{reason}` |" in document


def _verifier_script(tmp_path: Path) -> Path:
    document = (REPO_ROOT / "docs" / "evidence-format.md").read_text(encoding="utf-8")
    match = re.search(
        r"<!-- verifier:start -->\n```python\n(.*?)```\n<!-- verifier:end -->", document, re.S
    )
    assert match, "the verifier script block is missing from docs/evidence-format.md"
    source = REPO_ROOT / "src" / "devicecheck" / "core" / "evidence" / "standalone_verify.py"
    assert match.group(1) == source.read_text(encoding="utf-8"), "the doc quotes the file"
    script = tmp_path / "verify.py"
    script.write_text(match.group(1), encoding="utf-8")
    return script


def test_the_documented_standalone_verifier_agrees(log: EvidenceLog, tmp_path: Path) -> None:
    script = _verifier_script(tmp_path)

    def run() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(script), str(log.path)],
            capture_output=True,
            text=True,
            check=False,
        )

    result = run()
    assert result.returncode == 0, result.stderr
    assert (
        result.stdout.strip()
        == f"intact: {ENTRY_COUNT} entries, head hash {log.verify().head_hash}"
    )

    original = log.path.read_bytes()
    log.path.write_bytes(original.replace(b"incident 6", b"incident 7", 1))
    result = run()
    assert result.returncode == 1 and "line 7: content does not match" in result.stderr

    lines = original.splitlines(keepends=True)
    del lines[4]
    log.path.write_bytes(b"".join(lines))
    result = run()
    assert result.returncode == 1 and "line 5: chain broken" in result.stderr

    log.path.write_bytes(original)
    (stored,) = list(log.files_dir.iterdir())
    stored.write_bytes(b"changed")
    result = run()
    assert result.returncode == 1 and "'photo.jpg' was altered" in result.stderr


def _run_standalone(*args: str) -> subprocess.CompletedProcess[str]:
    from devicecheck.core.evidence import standalone_verify

    return subprocess.run(
        [sys.executable, standalone_verify.__file__, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_the_standalone_verifier_is_as_strict_as_log_verify(log: EvidenceLog) -> None:
    """Whitespace re-serialised the same (the old doc verifier accepted it), wrong shapes, NaN."""
    original = log.path.read_bytes()
    lines = original.splitlines(keepends=True)
    tampered = {
        "spaces": lines[2].replace(b'","', b'", "', 1),
        "list": b"[1, 2, 3]\n",
        "number": b"42\n",
        "nan": lines[2].replace(b'"seq":3', b'"seq":NaN'),
        "extra": lines[2].replace(b'{"author"', b'{"x":1,"author"'),
        "latin-1": lines[2].replace(b'"author":"', b'"author":"\xe9', 1),
    }
    for name, line in tampered.items():
        log.path.write_bytes(b"".join([*lines[:2], line, *lines[3:]]))
        assert not log.verify().ok, name
        result = _run_standalone(str(log.path))
        assert result.returncode == 1, (name, result.stderr)
        assert "Traceback" not in result.stderr and "line 3" in result.stderr, name
    log.path.write_bytes(original)


def test_the_standalone_verifier_checks_an_export_and_receipts(
    log: EvidenceLog, tmp_path: Path
) -> None:
    from devicecheck.core.evidence.export import export_log
    from devicecheck.core.evidence.receipts import receipt_of

    exported = tmp_path / "export.jsonl"
    export_log(log, "jsonl", exported)
    missing = _run_standalone(str(exported))
    assert missing.returncode == 1 and "missing" in missing.stderr  # no files beside it
    receipt = receipt_of(log)
    assert receipt is not None
    result = _run_standalone(str(exported), "--no-files", "--receipt", receipt.short_form)
    assert result.returncode == 0, result.stderr
    assert "attached files not checked" in result.stdout
    assert _run_standalone(str(exported), "--files", str(log.files_dir)).returncode == 0
    cut = tmp_path / "cut.jsonl"
    cut.write_bytes(b"".join(exported.read_bytes().splitlines(keepends=True)[:5]))
    short = _run_standalone(str(cut), "--no-files", "--receipt", receipt.short_form)
    assert short.returncode == 1 and "cut short" in short.stderr
    for bad in (["--receipt", "0:" + "a" * 20], ["--bogus"], [str(tmp_path / "absent.jsonl")]):
        refused = _run_standalone(*bad)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr


@settings(max_examples=150)
@given(line=st.binary(max_size=200) | st.builds(lambda v: json.dumps(v).encode(), _ANY_JSON))
def test_the_standalone_verifier_never_shows_a_traceback(line: bytes) -> None:
    import tempfile

    from devicecheck.core.evidence import standalone_verify

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "log.jsonl"
        path.write_bytes(line + b"\n")
        code = standalone_verify.main([str(path), "--no-files"])
        assert code in (0, 1)
