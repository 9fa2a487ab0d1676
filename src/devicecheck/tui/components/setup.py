"""Set-up: which devices to cover, which areas to go through, and whether answers go to the log."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Footer, Static

from devicecheck.core.protection import is_protected
from devicecheck.core.sessions import CaseworkerDetails, Session
from devicecheck.core.walkthrough import KEEP_ANSWERS_EXPLAINED
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.components.protect import OFFER_LABEL, ProtectModal
from devicecheck.tui.components.tick_list import TickList
from devicecheck.tui.work import plain_message

DEVICES = (
    ("ios", "iPhone or iPad"),
    ("android", "Android"),
    ("windows", "Windows"),
    ("macos", "Mac"),
    ("linux", "Linux"),
    ("web", "Online accounts"),
)
# Read aloud to the client by the caseworker, so it speaks to the client.
WALKTHROUGH_CONSENT = (
    "We will go through questions about your accounts and devices, one at a time. You answer; "
    "each answer is saved on this computer as you give it. Nothing is sent anywhere, and you "
    "can stop at any time."
)
KEEP_ANSWERS_LABEL = (
    "Also keep my answers in my evidence log (a permanent record: cannot be removed later)"
)


class SetupScreen(BaseScreen):
    CSS_PATH = "setup.tcss"
    BINDINGS = (Binding("escape", "app.pop_screen", "Back"),)

    def __init__(self, caseworker: CaseworkerDetails | None = None, path: str = "areas") -> None:
        super().__init__()
        self.caseworker = caseworker
        self.path = path
        # Created on the first Start and kept: a refusal and a later agreement are one session.
        self.session: Session | None = None

    def compose_body(self) -> ComposeResult:
        essentials = self.path == "essentials"
        hint = (
            "Choose the devices you use. Space or Enter ticks or unticks; Tab moves on. With "
            "no device ticked, steps for every device are shown."
        )
        if not essentials:
            hint += " Untick the areas you want to leave out."
        yield Static(hint, classes="hint")
        try:
            checklists = self.devicecheck.checklists().checklists
            problem = None
        except DeviceCheckError as error:
            checklists, problem = (), error.message
        with Horizontal(id="lists"):
            with Vertical():
                yield Static("Devices", classes="title")
                yield TickList(((key, label, False) for key, label in DEVICES), id="devices")
            with Vertical(id="areas-column") as column:
                column.display = not essentials
                yield Static("Areas", classes="title")
                yield TickList(((c.id, c.title, True) for c in checklists), id="areas")
        if problem:
            yield Static(f"The checklists could not be read: {problem}", id="problem")
        if self.caseworker is None:
            yield TickList([("keep", KEEP_ANSWERS_LABEL, False)], id="keep-answers")
        with Horizontal(classes="buttons"):
            yield Button("Start", id="start", variant="primary", disabled=bool(problem))
            yield Button("Back", id="back")
            if not is_protected(self.devicecheck.data_dir.root):
                yield Button(OFFER_LABEL, id="protect-offer")
        yield Footer()

    @on(Button.Pressed, "#protect-offer")
    def offer_protection(self) -> None:
        def done(protected: bool | None) -> None:
            if protected:
                self.query_one("#protect-offer", Button).remove()
                self.notify("Protected: devicecheck will ask for the passphrase from now on.")

        self.app.push_screen(ProtectModal(), done)

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
            session = self._session(platforms, areas)
        except (DeviceCheckError, OSError) as error:
            self.notify(
                plain_message(str(error)), title="Could not start a session", severity="error"
            )
            return
        from devicecheck.tui.components.consent import with_consent

        with_consent(
            self,
            session,
            "walkthrough",
            WALKTHROUGH_CONSENT,
            lambda: self.devicecheck.open_walkthrough(session),
        )

    def _session(self, platforms: list[str], areas: list[str]) -> Session:
        store = self.devicecheck.store
        if self.session is None:
            self.session = store.create(
                mode="caseworker" if self.caseworker else "self",
                region=self.devicecheck.region.code,
                platforms=platforms,
                checklists=areas,
                caseworker=self.caseworker,
                path=self.path,
            )
        session = self.session
        session.platforms, session.checklists = platforms, areas
        keep = self.caseworker is None and bool(self.query_one("#keep-answers", TickList).selected)
        if keep and session.consent_for("evidence") is None:
            session.record_consent("evidence", KEEP_ANSWERS_EXPLAINED, "given", "self")
        store.save(session)
        return session
