"""Benchmark: what the behaviour checks (input capture, hidden programs, ways in, traffic
capture, macOS privacy, the saved-scan baseline) add to `devicecheck scan --json`.

Run: .venv/bin/python bench/scan_behaviour.py [--repeat N] [--extra 500]

Three whole processes, timed wall-clock, alternated, in the same run:
  baseline  the bare psutil enumeration bench/scan.py compares with;
  without   `devicecheck scan --json` with the behaviour checks taken out of EXTRA_CHECKS;
  with      `devicecheck scan --json` as shipped (a saved scan first, so the baseline check
            has a baseline to compare with).
Then the time of each behaviour check inside one process (median), and all of it again with N
extra sleeping processes. "without" and "with" run `cli.main` after importing the scan's
checks (to take some out), so the processes are read after that import rather than during it:
compare them with each other; the scan's own goal is bench/scan.py's figure.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

from benchlib import extra_processes, prepare_bytecode, timed

BEHAVIOUR_CHECKS = (
    "check_input_capture",
    "check_hidden",
    "check_way_in",
    "check_traffic_capture",
    "check_macos_privacy",
    "check_baseline",
)
BASELINE = (
    "import psutil\n"
    "attrs = ['pid', 'name', 'exe', 'cmdline', 'username', 'create_time', 'ppid']\n"
    "processes = [p.info for p in psutil.process_iter(attrs)]\n"
    "connections = psutil.net_connections(kind='inet')\n"
)
SCAN = (
    "import contextlib, io, sys\n"
    "from devicecheck.core.scan import checks\n"
    "if sys.argv[1] == 'without':\n"
    f"    checks.EXTRA_CHECKS[:] = [c for c in checks.EXTRA_CHECKS "
    f"if c.__name__ not in {BEHAVIOUR_CHECKS!r}]\n"
    "from devicecheck.cli import main\n"
    "with contextlib.redirect_stdout(io.StringIO()):\n"
    "    main(['scan', '--json'])\n"
)
EACH = (
    "import statistics, sys, time\n"
    "from pathlib import Path\n"
    "from devicecheck.core.datadir import DataDir\n"
    "from devicecheck.core.indicators.model import IndicatorSet\n"
    "from devicecheck.core.scan import checks\n"
    "from devicecheck.core.scan.autostart import collect_autostart\n"
    "from devicecheck.core.scan.connections import observe_connections\n"
    "from devicecheck.core.scan.findings import ScanContext\n"
    "from devicecheck.core.scan.processes import observe_processes\n"
    "processes, _ = observe_processes()\n"
    "connections, _ = observe_connections()\n"
    "entries = collect_autostart(sys.platform).entries\n"
    "context = ScanContext(tuple(processes), sys.platform, Path.home(), IndicatorSet((), ()),\n"
    "    DataDir(Path(sys.argv[1])), None, tuple(connections), tuple(entries), ())\n"
    f"mine = [c for c in checks.EXTRA_CHECKS if c.__name__ in {BEHAVIOUR_CHECKS!r}]\n"
    "times = {c.__name__: [] for c in mine}\n"
    "for _ in range(int(sys.argv[2])):\n"
    "    for check in mine:\n"
    "        started = time.perf_counter()\n"
    "        check(context)\n"
    "        times[check.__name__].append((time.perf_counter() - started) * 1000)\n"
    "print('  '.join(f'{name[6:]} {statistics.median(t):.2f}' for name, t in times.items()))\n"
)


def compare(repeat: int, env: dict[str, str], home: str) -> None:
    python = sys.executable
    commands = {
        "baseline": [python, "-c", BASELINE],
        "without": [python, "-c", SCAN, "without"],
        "with": [python, "-c", SCAN, "with"],
    }
    for command in commands.values():  # warm the caches
        timed(command, env)
    runs: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            runs[name].append(timed(command, env))
    median = {name: statistics.median(values) * 1000 for name, values in runs.items()}
    count = len(__import__("psutil").pids())
    print(
        f"{count} processes: baseline {median['baseline']:.1f} ms; scan without the behaviour "
        f"checks {median['without']:.1f} ms ({median['without'] / median['baseline']:.2f}x), "
        f"with them {median['with']:.1f} ms ({median['with'] / median['baseline']:.2f}x): "
        f"they add {median['with'] - median['without']:.1f} ms"
    )
    each = subprocess.run(
        [python, "-c", EACH, home, str(repeat)], env=env, capture_output=True, text=True
    )
    print(f"  each check in one process, ms (median): {each.stdout.strip() or each.stderr}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--extra", type=int, default=500, help="extra sleeping processes")
    args = parser.parse_args()
    prepare_bytecode()
    with tempfile.TemporaryDirectory(prefix="devicecheck-bench-") as home:
        env = {**os.environ, "DEVICECHECK_HOME": home}
        env.pop("DEVICECHECK_DEBUG", None)
        python = sys.executable
        subprocess.run(
            [python, "-m", "devicecheck", "scan", "--save", "--json"],
            env=env,
            capture_output=True,
            check=False,
        )  # a saved scan leaves the baseline the baseline check compares with
        compare(args.repeat, env, home)
        with extra_processes(args.extra):
            compare(args.repeat, env, home)
    print(f"median of {args.repeat} alternated runs each; Python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
