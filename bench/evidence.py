"""Evidence log benchmarks: append with fsync, verify of 100,000 entries, plain and protected.

    .venv/bin/python bench/evidence.py [--dir DIR] [--appends N] [--entries N]

Each figure is a ratio against a baseline measured in the same run on the same disk:
- append: EvidenceLog.append (lock, tail read, hashing, one write, fsync) against a bare loop
  that os.write()s and fsyncs the very same lines to a file opened with O_APPEND;
- verify: EvidenceLog.verify() against a loop that only json.loads every line of the same file.
- protected (a folder under `devicecheck protect`): append (sealing with AES-256-GCM) against bare
  fsync'd writes of the same stored bytes (goal <= 1.5x); verify of 100,000 protected entries
  with the key (public chain, every entry opened, ordinary chain; goal < 1.5 s); and unlocking
  with the default scrypt parameters (goal < 1 s).
Rounds alternate between the two sides so drift in disk speed hits both; medians are printed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.evidence.entries import GENESIS, seal_entry

NOTE = "He turned up outside my work again at 17:40 and waited by the car park gate. ü"


class AppendFigures(NamedTuple):
    """Median seconds per append, wall and CPU, of EvidenceLog.append and of the bare loop.
    The CPU times are steadier on a shared machine: waiting for the disk or for a core that
    another process holds counts in the wall time only."""

    log: float
    bare: float
    log_cpu: float
    bare_cpu: float


def bench_appends(
    directory: Path, per_round: int, rounds: int, protected: bool = False
) -> AppendFigures:
    """Per append: EvidenceLog.append against bare fsync'd writes of the same bytes."""
    log_times, bare_times, log_cpu, bare_cpu = [], [], [], []
    for round_number in range(rounds):
        data_dir = DataDir(directory / f"append-{protected}-{round_number}")
        if protected:
            _protect(data_dir, FAST_FOR_SET_UP)
        log = EvidenceLog(data_dir)
        log.keys()  # unlocking is measured on its own below
        started, cpu = time.perf_counter(), time.process_time()
        for index in range(per_round):
            log.append("note", {"text": f"{NOTE} #{index}"}, session="20240101-abcdef")
        log_times.append((time.perf_counter() - started) / per_round)
        log_cpu.append((time.process_time() - cpu) / per_round)
        lines = log.path.read_bytes().splitlines(keepends=True)
        bare_path = directory / f"bare-{protected}-{round_number}.jsonl"
        fd = os.open(bare_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        started, cpu = time.perf_counter(), time.process_time()
        for line in lines:
            os.write(fd, line)
            os.fsync(fd)
        bare_times.append((time.perf_counter() - started) / per_round)
        bare_cpu.append((time.process_time() - cpu) / per_round)
        os.close(fd)
    median = statistics.median
    return AppendFigures(median(log_times), median(bare_times), median(log_cpu), median(bare_cpu))


def print_appends(what: str, figures: AppendFigures, goal: str) -> None:
    print(
        f"{what} with fsync: {figures.log * 1e6:.0f} us/entry; bare fsync'd write of the same "
        f"bytes: {figures.bare * 1e6:.0f} us; ratio {figures.log / figures.bare:.2f}x (goal "
        f"{goal}); CPU {figures.log_cpu * 1e6:.0f} us against {figures.bare_cpu * 1e6:.0f} us"
    )


def write_log(data_dir: DataDir, count: int) -> EvidenceLog:
    """A realistic log without fsync per line: notes, incidents and scan findings mixed."""
    log = EvidenceLog(data_dir)
    data_dir.ensure(log.directory)
    prev = GENESIS
    with open(log.path, "wb") as handle:
        for seq in range(1, count + 1):
            kind, data = _sample(seq)
            entry, line = seal_entry(
                seq=seq, prev=prev, kind=kind, data=data, session="20240101-abcdef", author="self"
            )
            handle.write(line)
            prev = entry.hash
    return log


def _sample(seq: int) -> tuple[str, dict]:
    if seq % 3 == 0:
        return "finding", {
            "origin": "scan",
            "app": "Example Monitor",
            "category": "employee-monitoring",
            "severity": "high",
            "matched": {"indicator": "examplemon.exe", "field": "process.name", "value": "x"},
            "process": {"pid": 4000 + seq, "name": "examplemon.exe", "exe": "C:/x/examplemon.exe"},
        }
    if seq % 3 == 1:
        return "note", {"text": f"{NOTE} #{seq}"}
    return "incident", {"what": "Messages from a new number", "when": None, "how": "text"}


FAST_FOR_SET_UP = None  # filled in main: KdfParameters for folders whose unlock is not measured


def _protect(data_dir: DataDir, kdf: object) -> None:
    from devicecheck.core import protect_folder

    protect_folder.protect(data_dir.root, "benchmark passphrase", kdf)  # type: ignore[arg-type]


def write_protected_log(data_dir: DataDir, count: int) -> EvidenceLog:
    """The same entries as write_log, stored sealed in a protected folder."""
    from devicecheck.core import protection
    from devicecheck.core.evidence.sealed import seal_line

    _protect(data_dir, FAST_FOR_SET_UP)
    keys = protection.keys_for(data_dir.root)
    assert keys is not None
    log = EvidenceLog(data_dir)
    data_dir.ensure(log.directory)
    prev, stored = GENESIS, GENESIS
    with open(log.path, "wb") as handle:
        for seq in range(1, count + 1):
            kind, data = _sample(seq)
            entry, line = seal_entry(
                seq=seq, prev=prev, kind=kind, data=data, session="20240101-abcdef", author="self"
            )
            sealed_line, stored = seal_line(keys, seq, stored, line[:-1])
            handle.write(sealed_line)
            prev = entry.hash
    return log


def bench_unlock(directory: Path, rounds: int) -> tuple[float, dict]:
    """Median seconds to unlock with the default key derivation, and its parameters."""
    from devicecheck.core import protection

    data_dir = DataDir(directory / "unlock")
    _protect(data_dir, protection.DEFAULT_KDF)
    times = []
    for _ in range(rounds):
        protection.forget_keys(data_dir.root)
        started = time.perf_counter()
        protection.unlock(data_dir.root, "benchmark passphrase")
        times.append(time.perf_counter() - started)
    return statistics.median(times), protection.read_header(data_dir.root)["kdf"]


def bench_verify(log: EvidenceLog, rounds: int) -> tuple[float, float, int, float]:
    """Median seconds of verify and of json.loads of every line, the entry count, and the
    median CPU seconds of verify (steadier than the wall time on a machine others load)."""
    import json

    verify_times, parse_times, cpu_times = [], [], []
    report = None
    for _ in range(rounds):
        started, cpu = time.perf_counter(), time.process_time()
        report = log.verify()
        verify_times.append(time.perf_counter() - started)
        cpu_times.append(time.process_time() - cpu)
        started = time.perf_counter()
        with open(log.path, "rb") as handle:
            for line in handle:
                json.loads(line)
        parse_times.append(time.perf_counter() - started)
    assert report is not None and report.ok, report
    assert report.keyed is not False, "a protected log must be verified with its key here"
    return (
        statistics.median(verify_times),
        statistics.median(parse_times),
        report.entries,
        statistics.median(cpu_times),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", help="where to write (default: a temporary folder)")
    parser.add_argument("--appends", type=int, default=250, help="appends per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--entries", type=int, default=100_000, help="entries for verify")
    args = parser.parse_args()
    global FAST_FOR_SET_UP
    from devicecheck.core.protection import KdfParameters

    FAST_FOR_SET_UP = KdfParameters(n=2**12)
    with tempfile.TemporaryDirectory(dir=args.dir) as temporary:
        directory = Path(temporary)
        print_appends("append", bench_appends(directory, args.appends, args.rounds), "<= 1.3x")
        log = write_log(DataDir(directory / "verify"), args.entries)
        size = log.path.stat().st_size
        verify_time, parse_time, entries, _ = bench_verify(log, 3)
        print(
            f"verify {entries:,} entries ({size / 1e6:.1f} MB): {verify_time:.2f} s (goal <= 1 s); "
            f"json.loads of every line alone: {parse_time:.2f} s; ratio {verify_time / parse_time:.2f}x"
        )
        protected = bench_appends(directory, args.appends, args.rounds, protected=True)
        print_appends("protected append", protected, "<= 1.5x")
        log = write_protected_log(DataDir(directory / "verify-protected"), args.entries)
        size = log.path.stat().st_size
        verify_time, parse_time, entries, cpu_time = bench_verify(log, 3)
        print(
            f"verify {entries:,} protected entries with the key ({size / 1e6:.1f} MB): "
            f"{verify_time:.2f} s, {cpu_time:.2f} s of CPU (goal < 1.5 s); json.loads of every "
            f"stored line alone: {parse_time:.2f} s"
        )
        unlock_time, kdf = bench_unlock(directory, 5)
        print(
            f"unlock (scrypt n={kdf['n']}, r={kdf['r']}, p={kdf['p']}, "
            f"{128 * kdf['n'] * kdf['r'] // 2**20} MiB): {unlock_time:.2f} s (goal < 1 s)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
