"""Walkthrough start-up: process start to the welcome screen's first frame, against a bare app.

    .venv/bin/python bench/tui_start.py [--rounds N]

Each side runs as a fresh Python process, headless, and prints the wall-clock time of its
first frame (Textual's Ready event, sent once the first frame has been displayed) before it
exits; the parent notes the time just before it starts the process. The baseline is a bare
Textual app showing one Static; the other side is DeviceCheckApp showing the welcome screen.
Rounds alternate between the two; medians are printed, with the ratio (goal <= 1.3). The
child also reports whether psutil, fpdf or the indicator loaders were imported by then
(they must not be).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import prepare_bytecode

BARE_CODE = """
import sys, time
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("If you are in danger now, call 999.")

    def on_ready(self):
        print(time.time(), "-")
        self.exit()

Bare().run(headless=True)
"""

WELCOME_CODE = """
import sys, time
from devicecheck.tui.app import DeviceCheckApp

HEAVY = ("psutil", "fpdf", "devicecheck.core.indicators.echap", "devicecheck.core.scan")

class Timed(DeviceCheckApp):
    def on_ready(self):
        assert type(self.screen).__name__ == "WelcomeScreen", self.screen
        heavy = [name for name in HEAVY if name in sys.modules]
        print(time.time(), ",".join(heavy) or "-")
        self.exit()

Timed(data_dir=sys.argv[1]).run(headless=True)
"""


def first_frame(script: Path, *args: str) -> tuple[float, str]:
    started = time.time()
    output = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, check=True
    ).stdout.split()
    return float(output[0]) - started, output[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args()
    prepare_bytecode()
    bare: list[float] = []
    welcome: list[float] = []
    heavy_seen: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        # Scripts in files, not `-c`: Textual finds CSS relative to the defining file.
        home = str(Path(folder) / "home")
        bare_script, welcome_script = Path(folder) / "bare.py", Path(folder) / "welcome.py"
        bare_script.write_text(BARE_CODE, encoding="utf-8")
        welcome_script.write_text(WELCOME_CODE, encoding="utf-8")
        first_frame(bare_script)  # warm the file cache for both sides
        first_frame(welcome_script, home)
        for _ in range(args.rounds):
            bare.append(first_frame(bare_script)[0])
            seconds, heavy = first_frame(welcome_script, home)
            welcome.append(seconds)
            heavy_seen.update(name for name in heavy.split(",") if name != "-")
    bare_median = statistics.median(bare)
    welcome_median = statistics.median(welcome)
    print(
        f"bare Textual app, first frame:   {bare_median * 1000:7.1f} ms (median of {args.rounds})"
    )
    print(f"devicecheck welcome, first frame: {welcome_median * 1000:7.1f} ms")
    print(f"ratio: {welcome_median / bare_median:.2f}x (goal <= 1.3x)")
    print(f"heavy modules imported before the welcome: {', '.join(sorted(heavy_seen)) or 'none'}")


if __name__ == "__main__":
    main()
