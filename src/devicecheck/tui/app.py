"""The Textual app: screens, the quick exit, and what they share (data dir, region, session)."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events
from textual.app import App
from textual.binding import Binding

from devicecheck.core.datadir import DataDir
from devicecheck.core.emergency_lines import EmergencyWords, emergency_words
from devicecheck.tui.work import plain_message

if TYPE_CHECKING:
    from devicecheck.core.checklists import ChecklistSet
    from devicecheck.core.helplines import Region
    from devicecheck.core.sessions import Session, SessionStore

HERE = Path(__file__).resolve().parent
QUICK_EXIT = "quick-exit"


class DeviceCheckApp(App[str]):
    """The guided walkthrough. Core work runs in thread workers; answers are saved as given."""

    TITLE = "devicecheck"
    # Absolute, so a subclass defined elsewhere (tests, benchmarks) still finds the CSS.
    CSS_PATH: ClassVar[list[Path]] = [HERE / "app.tcss", HERE / "components" / "safety_strip.tcss"]
    ENABLE_COMMAND_PALETTE = False
    BINDINGS = (
        Binding("ctrl+x", "quick_exit", "Quick exit", priority=True, show=False),
        Binding("f12", "quick_exit", "Quick exit", priority=True, show=False),
    )

    def __init__(
        self,
        data_dir: str | Path | DataDir | None = None,
        region: str | None = None,
        session_id: str | None = None,
        *,
        checklist_paths: Sequence[str | Path] | None = None,
        indicators: Any = None,
        idle_lock_seconds: float | None = None,
    ) -> None:
        super().__init__()
        from devicecheck.tui.components.lock import IDLE_LOCK_SECONDS, IdleLock

        self.idle_lock = IdleLock(self, idle_lock_seconds or IDLE_LOCK_SECONDS)
        self.data_dir = data_dir if isinstance(data_dir, DataDir) else DataDir.resolve(data_dir)
        # What the first frame shows (an unknown region is refused here, in one line); the
        # region's full help lines are read when a screen first needs them (`region`).
        self.emergency: EmergencyWords = emergency_words(region, self.data_dir)
        self._region: Region | None = None
        self.start_session_id = session_id
        self.checklist_paths = list(checklist_paths) if checklist_paths else None
        self.indicators = indicators  # an IndicatorSet to scan with instead of the loaded ones
        self._checklists: ChecklistSet | None = None
        self._checklists_lock = threading.Lock()
        # The session opened in this run, if any: what is recorded meanwhile is linked to it.
        self.current_session: Session | None = None

    # --- what the screens share -------------------------------------------------------------

    @property
    def region(self) -> Region:
        """The region's help lines, from `data/helplines.yaml` (read once, after the first frame)."""
        if self._region is None:
            from devicecheck.core.helplines import region_for

            self._region = region_for(self.emergency.code)
        return self._region

    @property
    def store(self) -> SessionStore:
        from devicecheck.core.sessions import SessionStore

        return SessionStore(self.data_dir)

    def checklists(self) -> ChecklistSet:
        """The checklists, loaded once (a worker preloads them while the welcome is shown)."""
        with self._checklists_lock:
            if self._checklists is None:
                from devicecheck.core.checklists import load_checklists

                self._checklists = load_checklists(self.checklist_paths)
            return self._checklists

    def get_default_screen(self) -> Any:
        from devicecheck.tui.components.welcome import WelcomeScreen

        return WelcomeScreen()

    def on_mount(self) -> None:
        self.idle_lock.start(then=self._resume_if_asked)  # a protected folder asks first

    def _resume_if_asked(self) -> None:
        if self.start_session_id:
            self.call_after_refresh(self.resume, self.start_session_id)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.idle_lock.touched()
        await super().on_event(event)

    def on_ready(self) -> None:
        # After the first frame, so loading the checklists never delays the welcome.
        self.run_worker(self._preload, thread=True, exit_on_error=False, group="preload")

    def _preload(self) -> None:
        from devicecheck.core.emergency_lines import keep_compiled_lines
        from devicecheck.core.walkthrough import essentials_order, reading_minutes, walk_order
        from devicecheck.errors import DeviceCheckError

        keep_compiled_lines(self.data_dir)  # for the next start's first frame
        try:
            checklists = self.checklists().checklists
        except DeviceCheckError:  # reported when a walkthrough is chosen
            return
        code = self.emergency.code
        essentials = essentials_order(checklists, (), {})
        estimates = (
            (len(essentials), reading_minutes(essentials, (), code) if essentials else 0),
            reading_minutes(walk_order(checklists, (), {}), (), code),
        )
        with contextlib.suppress(RuntimeError):  # the app closed meanwhile
            self.call_from_thread(self._show_estimates, *estimates)

    def _show_estimates(self, essentials: tuple[int, int], all_minutes: int) -> None:
        from devicecheck.tui.components.welcome import WelcomeScreen

        for screen in self.screen_stack:
            if isinstance(screen, WelcomeScreen):
                screen.show_estimates(essentials, all_minutes)

    # --- moving between screens --------------------------------------------------------------

    def open_walkthrough(self, session: Session) -> None:
        """The walkthrough for `session`, from its first unanswered question (or the summary)."""
        from devicecheck.errors import DeviceCheckError
        from devicecheck.tui.components.walkthrough import WalkthroughScreen

        try:
            checklists = self.checklists().select(session.checklists)
        except DeviceCheckError as error:
            self.notify(
                plain_message(error.message),
                title="Could not open the checklists",
                severity="error",
            )
            return
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(WalkthroughScreen(session, checklists))

    def resume(self, session_id: str) -> None:
        from devicecheck.errors import DeviceCheckError

        try:
            session = self.store.load(session_id)
        except DeviceCheckError as error:
            self.notify(
                plain_message(error.message), title="Could not open that session", severity="error"
            )
            return
        self.open_walkthrough(session)

    def action_quick_exit(self) -> None:
        self.exit(QUICK_EXIT)


def run_walkthrough(data_dir: str | None, region: str | None, session_id: str | None = None) -> int:
    """Run the walkthrough in this terminal; after a quick exit, clear the screen and scrollback.

    With standard input or output not a terminal (a pipe, a file), Textual would print escape
    codes into it and wait for ever: say so in one line instead (exit 2).
    """
    from devicecheck.core.terminal import NEEDS_A_TERMINAL, clear_terminal, is_terminal
    from devicecheck.errors import DeviceCheckError

    if not (is_terminal(sys.stdin) and is_terminal(sys.stdout)):
        raise DeviceCheckError(NEEDS_A_TERMINAL)
    app = DeviceCheckApp(data_dir=data_dir, region=region, session_id=session_id)
    result = app.run()
    if result == QUICK_EXIT:
        clear_terminal(sys.__stdout__ or sys.stdout)
    return 0 if app.return_code in (None, 0) else int(app.return_code)
