"""Indicator load: the compiled JSON index against parsing the bundled YAML, same run.

    .venv/bin/python bench/indicators.py [--rounds N]

- cold: `parse_bundled()` (curated.yaml, Echap ioc.yaml and the 319 LOLRMM files, with
  libyaml's safe loader) — the baseline;
- compiled: `load_indicators(data_dir)` with the cache already built (stat the bundled files,
  read and validate one JSON file); goal <= 50 ms;
- index: building the lookups a scan uses (names, addresses, ports, path rules; the index
  builds each on first use) once loaded.
Rounds alternate between the sides; medians are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchlib import SCAN_LOOKUPS

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.store import parse_bundled


def scan_lookups(indicators) -> None:
    """Build what a scan of this computer looks up (the index builds each lookup on first use)."""
    index = indicators.index
    for lookup in SCAN_LOOKUPS:
        getattr(index, lookup)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = DataDir(Path(folder) / "home")
        built = load_indicators(home)  # builds the cache
        cold, compiled, index = [], [], []
        for _ in range(args.rounds):
            started = time.perf_counter()
            parsed = parse_bundled()
            cold.append(time.perf_counter() - started)
            started = time.perf_counter()
            loaded = load_indicators(home)
            compiled.append(time.perf_counter() - started)
            started = time.perf_counter()
            scan_lookups(loaded)
            index.append(time.perf_counter() - started)
            assert loaded == built == parsed
    cold_ms = statistics.median(cold) * 1000
    compiled_ms = statistics.median(compiled) * 1000
    index_ms = statistics.median(index) * 1000
    apps = len(built.apps)
    print(f"apps: {apps}; rounds: {args.rounds}")
    print(f"cold YAML parse (baseline): {cold_ms:.1f} ms")
    print(f"compiled index load:        {compiled_ms:.1f} ms  ({compiled_ms / cold_ms:.2f}x cold)")
    print(f"lookup index build:         {index_ms:.1f} ms")
    verdict = "meets" if compiled_ms <= 50 else "MISSES"
    print(f"goal: compiled load <= 50 ms: {verdict}")


if __name__ == "__main__":
    main()
