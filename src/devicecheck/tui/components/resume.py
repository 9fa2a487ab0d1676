"""Resume a saved session: the list is read in a worker, newest first."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import SessionsLoaded
from devicecheck.tui.work import guarded


class ResumeScreen(BaseScreen):
    CSS_PATH = "resume.tcss"
    BINDINGS = (Binding("escape", "app.pop_screen", "Back"),)

    def compose_body(self) -> ComposeResult:
        yield Static("Resume a saved session (Enter to open, Escape to go back)", classes="title")
        yield Static("Reading saved sessions...", id="status", classes="hint")
        yield OptionList(id="sessions")
        yield Footer()

    def on_mount(self) -> None:
        self.load_sessions()

    @work(thread=True, exit_on_error=False, group="sessions")
    def load_sessions(self) -> None:
        def read() -> None:
            listing = self.devicecheck.store.list()
            self.post_message(SessionsLoaded(listing.sessions, listing.problems))

        guarded(self, read)

    @on(SessionsLoaded)
    def show_sessions(self, message: SessionsLoaded) -> None:
        options = self.query_one("#sessions", OptionList)
        newest_first = sorted(message.sessions, key=lambda s: (s.updated_at, s.id), reverse=True)
        for session in newest_first:
            who = "with a caseworker" if session.mode == "caseworker" else "by myself"
            label = (
                f"{session.created_at[:10]}  {who}, {len(session.answers)} answered  ({session.id})"
            )
            options.add_option(Option(label, id=session.id))
        status = "No saved sessions yet." if not newest_first else "Choose a session:"
        if message.problems:
            status += f" ({len(message.problems)} damaged session file(s) were left untouched.)"
        self.query_one("#status", Static).update(status)
        if newest_first:
            options.highlighted = 0  # Enter opens the newest at once, without pressing Down
        options.focus()

    @on(OptionList.OptionSelected, "#sessions")
    def open_session(self, event: OptionList.OptionSelected) -> None:
        self.devicecheck.resume(str(event.option.id))
