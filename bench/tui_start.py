"""Walkthrough speed: the welcome's first frame against a bare app, and a key to the next question.

    .venv/bin/python bench/tui_start.py [--rounds N] [--presses N]

Each side runs as a fresh Python process, headless, and prints the wall-clock time of its
first frame (Textual's Ready event, sent once the first frame has been displayed) before it
exits; the parent notes the time just before it starts the process. The baseline is a bare
Textual app showing one Static; the other side is DeviceCheckApp showing the welcome screen.
Rounds alternate between the two; medians are printed, with the ratio (goal <= 1.3). The
data folder exists (a person's second start, not their first ever: that one reads the emergency
line from the help-line YAML, about 19 ms more, and compiles it for the next). The
child also reports whether psutil, fpdf or the indicator loaders were imported by then
(they must not be).

Then, under Pilot (headless, 80x24, the shipped checklists): the time from a key that answers
a question (Ctrl+S, skip) to the next question on screen: until the app has handled the key,
recorded the answer, laid out the new question and drawn that frame. Median of --presses
(goal < 50 ms), beside the same measure for a bare Textual app replacing one Static's text
(the floor on the machine in that run). The session file is written (fsync'd, atomically)
just after that frame, not before it; the time from the key until the answer is on disk is
printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchlib import prepare_bytecode

from devicecheck.core.datadir import DataDir
from devicecheck.core.emergency_lines import keep_compiled_lines

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

HEAVY = (
    "psutil",
    "fpdf",
    "yaml",
    "devicecheck.core.helplines",
    "devicecheck.core.indicators.echap",
    "devicecheck.core.scan",
)

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


saved: list[float] = []  # when each answer reached the disk
on_disk: list[float] = []  # from each key to its answer on disk


async def next_question_times(presses: int, home: Path) -> list[float]:
    """Seconds from each answering key to the frame showing the next question, under Pilot.

    The end is taken after the first refresh that follows the new question being put on
    screen (`call_after_refresh` from `show_stop`), not when Pilot returns: Pilot's own
    waiting adds tens of milliseconds that a person never sees.
    """
    from devicecheck.core.datadir import DataDir
    from devicecheck.core.sessions import SessionStore
    from devicecheck.tui.app import DeviceCheckApp
    from devicecheck.tui.components import walkthrough
    from devicecheck.tui.components.walkthrough import WalkthroughScreen

    shown: list[float] = []

    class Timed(WalkthroughScreen):
        # Absolute: Textual looks for a relative CSS path beside the defining file (bench/).
        CSS_PATH = str(Path(walkthrough.__file__).with_name("walkthrough.tcss"))

        def show_stop(self) -> None:
            super().show_stop()
            self.call_after_refresh(lambda: shown.append(time.perf_counter()))

        def _save_now(self) -> None:
            unsaved = self._unsaved
            super()._save_now()
            if unsaved:
                saved.append(time.perf_counter())

    class App(DeviceCheckApp):
        def open_walkthrough(self, session) -> None:  # type: ignore[no-untyped-def]
            self.push_screen(Timed(session, self.checklists().select(session.checklists)))

    session = SessionStore(DataDir(home)).create()
    app = App(data_dir=str(home), session_id=session.id)
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        while not isinstance(app.screen, WalkthroughScreen) or not shown:
            if not app.is_running:
                raise RuntimeError("the walkthrough did not open")
            await pilot.pause(0.05)
        screen = app.screen
        await pilot.pause(0.2)
        for _ in range(presses):
            before, frames, writes = screen.index, len(shown), len(saved)
            started = time.perf_counter()
            await pilot.press("ctrl+s")
            while len(shown) == frames or len(saved) == writes:
                await pilot.pause(0.001)
            times.append(shown[-1] - started)
            on_disk.append(saved[-1] - started)
            assert screen.index == before + 1 and app.screen is screen
    return times


async def bare_update_times(presses: int) -> list[float]:
    """The same measure for a bare Textual app whose key replaces one Static's text."""
    from textual.app import App
    from textual.binding import Binding
    from textual.widgets import Static

    shown: list[float] = []

    class Bare(App):
        BINDINGS = (Binding("ctrl+s", "next", "Next"),)
        count = 0

        def compose(self):  # type: ignore[no-untyped-def]
            yield Static("question 0", id="question")

        def action_next(self) -> None:
            self.count += 1
            self.query_one("#question", Static).update(f"question {self.count} " * 100)
            self.call_after_refresh(lambda: shown.append(time.perf_counter()))

    app = Bare()
    times: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        for _ in range(presses):
            frames = len(shown)
            started = time.perf_counter()
            await pilot.press("ctrl+s")
            while len(shown) == frames:
                await pilot.pause(0.001)
            times.append(shown[-1] - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--presses", type=int, default=50)
    args = parser.parse_args()
    prepare_bytecode()
    bare: list[float] = []
    welcome: list[float] = []
    heavy_seen: set[str] = set()
    with tempfile.TemporaryDirectory() as folder:
        # Scripts in files, not `-c`: Textual finds CSS relative to the defining file.
        # A returning person's data folder, as their earlier start left it: it exists and holds
        # the compiled emergency lines (core.emergency_lines) the welcome's first frame reads.
        home = str(Path(folder) / "home")
        Path(home).mkdir(mode=0o700)
        if not keep_compiled_lines(DataDir(home)):
            raise SystemExit("could not compile the emergency lines into the data folder")
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
    with tempfile.TemporaryDirectory() as folder:
        times = asyncio.run(next_question_times(args.presses, Path(folder) / "home"))
    bare_times = asyncio.run(bare_update_times(args.presses))
    median = statistics.median(times) * 1000
    print(
        f"key to the next question's frame: {median:.1f} ms median of {len(times)} "
        f"(slowest {max(times) * 1000:.1f} ms; goal < 50 ms)"
    )
    print(
        f"key to the answer on disk (after that frame): "
        f"{statistics.median(on_disk) * 1000:.1f} ms median"
    )
    print(
        f"bare Textual app, key to a new Static's frame: "
        f"{statistics.median(bare_times) * 1000:.1f} ms median (the floor on this machine)"
    )


if __name__ == "__main__":
    main()
