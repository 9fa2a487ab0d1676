"""Set-up: which devices to cover and which areas to go through."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from devicecheck.core.sessions import CaseworkerDetails
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.components.tick_list import TickList

DEVICES = (
    ("ios", "iPhone or iPad"),
    ("android", "Android"),
    ("windows", "Windows"),
    ("macos", "Mac"),
    ("linux", "Linux"),
    ("web", "Online accounts"),
)
WALKTHROUGH_CONSENT = (
    "We will go through questions about the client's accounts and devices, one at a time. "
    "The client answers; each answer is saved on this computer as it is given. Nothing is sent "
    "anywhere, and the client can stop at any time."
)


class SetupScreen(BaseScreen):
    CSS_PATH = "setup.tcss"
    BINDINGS = (Binding("escape", "app.pop_screen", "Back"),)

    def __init__(self, caseworker: CaseworkerDetails | None = None) -> None:
        super().__init__()
        self.caseworker = caseworker

    def compose_body(self) -> ComposeResult:
        yield Static(
            "Choose the devices you use and the areas to check. Space or Enter ticks or "
            "unticks; Tab moves on. With no device ticked, steps for every device are shown.",
            classes="hint",
        )
        try:
            checklists = self.devicecheck.checklists().checklists
            problem = None
        except DeviceCheckError as error:
            checklists, problem = (), error.message
        with Horizontal(id="lists"):
            with Vertical():
                yield Static("Devices", classes="title")
                yield TickList(((key, label, False) for key, label in DEVICES), id="devices")
            with Vertical():
                yield Static("Areas", classes="title")
                yield TickList(((c.id, c.title, True) for c in checklists), id="areas")
        if problem:
            yield Static(f"The checklists could not be read: {problem}", id="problem")
        with Horizontal(classes="buttons"):
            yield Button("Start", id="start", variant="primary", disabled=bool(problem))
            yield Button("Back", id="back")
        yield Footer()

    @on(Button.Pressed, "#back")
    def go_back(self) -> None:
        self.app.pop_screen()

    @on(Button.Pressed, "#start")
    def start(self) -> None:
        platforms = list(self.query_one("#devices", TickList).selected)
        areas = list(self.query_one("#areas", TickList).selected)
        if not areas:
            self.notify("Please tick at least one area.", severity="warning")
            return
        try:
            session = self.devicecheck.store.create(
                mode="caseworker" if self.caseworker else "self",
                region=self.devicecheck.region.code,
                platforms=platforms,
                checklists=areas,
                caseworker=self.caseworker,
            )
        except (DeviceCheckError, OSError) as error:
            self.notify(str(error), title="Could not start a session", severity="error")
            return
        from devicecheck.tui.components.consent import with_consent

        with_consent(
            self,
            session,
            "walkthrough",
            WALKTHROUGH_CONSENT,
            lambda: self.devicecheck.open_walkthrough(session),
        )
