"""The first screen: help now, the way out, the essentials first, and where else to go."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from devicecheck.tui.components.base import BaseScreen

WHAT_IT_CAN_TELL = (
    "This check can show signs that someone is watching your accounts and devices. It cannot "
    "prove that nobody is: if it finds nothing, that only means these checks found nothing."
)
# The whole advice is one choice away (cover_tracks.py, which needs the Markdown widget: kept
# out of the welcome's imports, so its first frame does not wait for it).
SHORT_ADVICE = (
    "Cover your tracks: the terminal's history keeps the command that started this. Next time, "
    "type a space before it, or clear the history; see the last choice for how, and where your "
    "answers are kept."
)
ESSENTIALS_LABEL = "Start with the essentials: the most important questions"
CHOICES = (
    ("essentials", ESSENTIALS_LABEL),
    ("alone", "Check everything by myself (all areas)"),
    ("caseworker", "Caseworker-assisted session"),
    ("resume", "Resume a saved session"),
    ("scan", "Scan this computer"),
    ("phone", "Check an Android phone"),
    ("diary", "Evidence diary"),
    ("cover", "Cover your tracks"),
)


def essentials_label(count: int, minutes: int) -> str:
    return f"Start with the essentials: {count} questions, about {minutes} minutes"


def all_areas_label(minutes: int) -> str:
    hours = minutes / 60
    rough = f"about {minutes} minutes" if minutes < 90 else f"about {hours:.0f} hours of reading"
    return f"Check everything by myself: all areas, {rough}"


class WelcomeScreen(BaseScreen):
    CSS_PATH = "welcome.tcss"
    # No text field here, so plain letters are safe: q closes, as Escape does.
    BINDINGS = (
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
    )

    def compose_body(self) -> ComposeResult:
        emergency = self.devicecheck.emergency
        with VerticalScroll(id="welcome"):
            yield Static(emergency.text, id="emergency", markup=False)
            for note in emergency.notes:
                yield Static(note, classes="hint", markup=False)
            yield Static(
                "Quick exit: Ctrl+X or F12 closes this at once and clears the screen. Your "
                "answers are saved as you go.",
                id="quick-exit",
            )
            yield Static("What would you like to do? (arrow keys, then Enter)", classes="title")
            yield OptionList(*(Option(label, id=key) for key, label in CHOICES), id="choices")
            yield Static(WHAT_IT_CAN_TELL, id="can-tell")
            yield Static(SHORT_ADVICE, id="cover-short")
        yield Footer()

    def on_mount(self) -> None:
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = 0
        choices.focus()

    def show_estimates(self, essentials: tuple[int, int], all_minutes: int) -> None:
        """The time each path takes, once the checklists are read; no essentials, no choice."""
        choices = self.query_one("#choices", OptionList)
        count, minutes = essentials
        if count:
            choices.replace_option_prompt("essentials", essentials_label(count, minutes))
        elif any(option.id == "essentials" for option in choices.options):
            choices.remove_option("essentials")
        choices.replace_option_prompt("alone", all_areas_label(all_minutes))

    def action_close(self) -> None:
        self.app.exit()

    @on(OptionList.OptionSelected, "#choices")
    def choose(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        if choice in ("essentials", "alone"):
            from devicecheck.tui.components.setup import SetupScreen

            path = "essentials" if choice == "essentials" else "areas"
            self.app.push_screen(SetupScreen(path=path))
        elif choice == "caseworker":
            from devicecheck.tui.components.caseworker import CaseworkerScreen

            self.app.push_screen(CaseworkerScreen())
        elif choice == "resume":
            from devicecheck.tui.components.resume import ResumeScreen

            self.app.push_screen(ResumeScreen())
        elif choice == "scan":
            from devicecheck.tui.components.scan import ScanScreen

            self.app.push_screen(ScanScreen(session=self.devicecheck.current_session))
        elif choice == "phone":
            from devicecheck.tui.components.phone import PhoneScreen

            self.app.push_screen(PhoneScreen(session=self.devicecheck.current_session))
        elif choice == "diary":
            from devicecheck.tui.components.diary import DiaryScreen

            self.app.push_screen(DiaryScreen())
        elif choice == "cover":
            from devicecheck.tui.components.cover_tracks import CoverTracksScreen

            self.app.push_screen(CoverTracksScreen())
