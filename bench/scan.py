"""Benchmark: the whole `devicecheck scan --json` process against a bare psutil enumeration.

Run: .venv/bin/python bench/scan.py [--repeat N] [--extra 500]

Both sides are whole processes, timed wall-clock, alternated, in the same run:
  baseline  `python -c` that imports psutil and reads the same per-process fields the scan
            reads (pid, name, exe, cmdline, username, create_time, ppid) plus the inet
            connections: the least any scan of this computer must do.
  scan      `devicecheck scan --json` with all bundled indicators (a warm indicator cache in a
            temporary data directory, as after the first run).
Then the same again with N extra sleeping processes started by the benchmark (and killed
after). The scan reads the processes and connections in a child process on the other core
(`core.system_reading`) while it loads everything else, so its figure needs that core free: with
a busy loop on one core it is about what a scan done in one line takes (docs/performance.md). Also prints the indicator load time (in a fresh process, warm cache, with the lookups a
scan uses built). Goal: <= 1.5x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import (
    SCAN_LOOKUPS,
    devicecheck_command,
    extra_processes,
    prepare_bytecode,
    timed,
)

BASELINE = (
    "import psutil\n"
    "attrs = ['pid', 'name', 'exe', 'cmdline', 'username', 'create_time', 'ppid']\n"
    "processes = [p.info for p in psutil.process_iter(attrs)]\n"
    "connections = psutil.net_connections(kind='inet')\n"
)
LOAD = (
    "import time\n"
    "started = time.perf_counter()\n"
    "from devicecheck.core.datadir import DataDir\n"
    "from devicecheck.core.indicators import load_indicators\n"
    "indicators = load_indicators(DataDir.resolve())\n"
    "index = indicators.index\n"
    f"for lookup in {SCAN_LOOKUPS!r}:\n"
    "    getattr(index, lookup)\n"
    "print(time.perf_counter() - started, len(indicators.apps))\n"
)


def compare(repeat: int, env: dict[str, str]) -> tuple[float, float]:
    baseline_command = [sys.executable, "-c", BASELINE]
    scan_command = [*devicecheck_command(), "scan", "--json"]
    timed(scan_command, env)  # warm the indicator cache and the file-system cache
    timed(baseline_command, env)
    baseline, scan = [], []
    for _ in range(repeat):
        baseline.append(timed(baseline_command, env))
        scan.append(timed(scan_command, env))
    return statistics.median(baseline), statistics.median(scan)


def report(label: str, baseline: float, scan: float) -> None:
    print(
        f"{label:<34} baseline {baseline * 1000:7.1f} ms   scan {scan * 1000:7.1f} ms   "
        f"ratio {scan / baseline:4.2f}x"
    )


def load_time(repeat: int, env: dict[str, str]) -> tuple[float, int]:
    runs = []
    apps = 0
    for _ in range(repeat):
        output = subprocess.run(
            [sys.executable, "-c", LOAD], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        runs.append(float(output[0]))
        apps = int(output[1])
    return statistics.median(runs), apps


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--extra", type=int, default=500, help="extra sleeping processes")
    args = parser.parse_args()
    prepare_bytecode()
    with tempfile.TemporaryDirectory(prefix="devicecheck-bench-") as home:
        env = {**os.environ, "DEVICECHECK_HOME": home}
        env.pop("DEVICECHECK_DEBUG", None)
        seconds, apps = load_time(args.repeat, env)
        print(
            f"indicator load (fresh process: imports + load_indicators + index, warm cache): "
            f"{seconds * 1000:.1f} ms, {apps} apps"
        )
        count = len(__import__("psutil").pids())
        report(f"scan, {count} processes", *compare(args.repeat, env))
        with extra_processes(args.extra):
            count = len(__import__("psutil").pids())
            report(f"scan, {count} processes (+{args.extra})", *compare(args.repeat, env))
    print(f"median of {args.repeat} alternated runs each; Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
