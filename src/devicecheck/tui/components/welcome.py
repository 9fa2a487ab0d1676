"""The first screen: help now, the way out, what the check can tell, and where to go."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from devicecheck.tui.components.base import BaseScreen

WHAT_IT_CAN_TELL = (
    "This check can show signs that someone is watching your accounts and devices. It cannot "
    "prove that nobody is: if it finds nothing, that only means these checks found nothing."
)
CHOICES = (
    ("alone", "Check by myself"),
    ("caseworker", "Caseworker-assisted session"),
    ("resume", "Resume a saved session"),
    ("scan", "Scan this computer"),
    ("diary", "Evidence diary"),
)


class WelcomeScreen(BaseScreen):
    CSS_PATH = "welcome.tcss"

    def compose_body(self) -> ComposeResult:
        region = self.devicecheck.region
        yield Static(region.emergency.text, id="emergency", markup=False)
        for note in region.emergency.notes:
            yield Static(note, classes="hint", markup=False)
        yield Static(
            "Press Ctrl+X or F12 at any time to close devicecheck at once and clear the screen. "
            "Everything you answer is saved as you go.",
            id="quick-exit",
        )
        yield Static(WHAT_IT_CAN_TELL, id="can-tell")
        yield Static("What would you like to do? (arrow keys, then Enter)", classes="title")
        yield OptionList(*(Option(label, id=key) for key, label in CHOICES), id="choices")
        yield Footer()

    @on(OptionList.OptionSelected, "#choices")
    def choose(self, event: OptionList.OptionSelected) -> None:
        choice = event.option.id
        if choice == "alone":
            from devicecheck.tui.components.setup import SetupScreen

            self.app.push_screen(SetupScreen())
        elif choice == "caseworker":
            from devicecheck.tui.components.caseworker import CaseworkerScreen

            self.app.push_screen(CaseworkerScreen())
        elif choice == "resume":
            from devicecheck.tui.components.resume import ResumeScreen

            self.app.push_screen(ResumeScreen())
        elif choice == "scan":
            from devicecheck.tui.components.scan import ScanScreen

            self.app.push_screen(ScanScreen())
        elif choice == "diary":
            from devicecheck.tui.components.diary import DiaryScreen

            self.app.push_screen(DiaryScreen())
