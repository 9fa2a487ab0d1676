"""Start-up cost: `devicecheck --version` wall time as a ratio to `python -c pass`, same run.

Usage: python bench/startup.py [--runs N]
Both commands are run alternately so machine noise hits them alike; medians are compared.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

from benchlib import devicecheck_command, prepare_bytecode


def wall_time(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    runs = parser.parse_args().runs
    prepare_bytecode()
    baseline_command = [sys.executable, "-c", "pass"]
    version_command = [*devicecheck_command(), "--version"]
    wall_time(baseline_command)
    wall_time(version_command)
    baseline, version = [], []
    for _ in range(runs):
        baseline.append(wall_time(baseline_command))
        version.append(wall_time(version_command))
    base, ours = statistics.median(baseline), statistics.median(version)
    print(f"python -c pass:          median {base * 1000:.1f} ms over {runs} runs")
    print(f"devicecheck --version:   median {ours * 1000:.1f} ms over {runs} runs")
    print(f"ratio: {ours / base:.2f}x (goal <= 3x)")


if __name__ == "__main__":
    main()
