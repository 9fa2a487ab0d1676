"""Cover your tracks: what stays on this computer after devicecheck closes, and how to hide it."""

from __future__ import annotations

from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, Markdown, Static

from devicecheck.tui.components.base import BaseScreen


def cover_tracks_markdown(data_folder: Path) -> str:
    """The advice in full, naming this run's data folder."""
    return "\n".join(
        [
            "## Cover your tracks",
            "",
            "- **The terminal's history keeps the command you typed to start this.** Next time, "
            "type a space before it: most shells then leave it out of the history (in bash "
            "this needs HISTCONTROL=ignorespace, which many systems set). Or clear the "
            "history afterwards (in bash: history -c), then close the window.",
            "- **The quick exit (Ctrl+X or F12)** clears the screen and the window's "
            "scrollback. A few terminal programs keep their own copy: closing the window "
            "clears that too.",
            f"- **Your answers and evidence are kept in this folder:** {data_folder}. Anyone "
            "who can use this computer account can find it.",
            "- **A protected data folder hides what is in it:** with a passphrase set, the "
            "files cannot be read without it (anyone can still see that the folder exists).",
            "",
        ]
    )


class CoverTracksScreen(BaseScreen):
    BINDINGS = (Binding("escape", "app.pop_screen", "Back"),)

    def compose_body(self) -> ComposeResult:
        yield Static("Cover your tracks (Escape to go back)", classes="title")
        with VerticalScroll():
            yield Markdown(cover_tracks_markdown(self.devicecheck.data_dir.root))
        yield Footer()
