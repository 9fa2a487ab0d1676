"""The caseworker's details for a caseworker-assisted session."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Static

from devicecheck.core.sessions import CaseworkerDetails
from devicecheck.tui.components.base import BaseScreen

FIELDS = (
    ("name", "Caseworker's name", "required"),
    ("organisation", "Organisation", ""),
    ("client-ref", "Client reference", "a pseudonym is fine; no real name is needed"),
    ("devices", "Devices examined", "separated by commas, e.g. client's iPhone, laptop"),
)


class CaseworkerScreen(BaseScreen):
    CSS_PATH = "caseworker.tcss"
    BINDINGS = (Binding("escape", "app.pop_screen", "Back"),)

    def compose_body(self) -> ComposeResult:
        yield Static("Caseworker-assisted session", classes="title")
        yield Static(
            "Your notes are kept apart from the client's answers. The client's consent is "
            "asked and recorded before each step.",
            classes="hint",
        )
        with VerticalScroll(id="form"):
            for key, label, placeholder in FIELDS:
                yield Label(label)
                yield Input(placeholder=placeholder, id=key)
        with Horizontal(classes="buttons"):
            yield Button("Continue", id="continue", variant="primary")
            yield Button("Back", id="back")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    def value(self, key: str) -> str:
        return self.query_one(f"#{key}", Input).value.strip()

    @on(Button.Pressed, "#back")
    def go_back(self) -> None:
        self.app.pop_screen()

    @on(Input.Submitted)
    def next_field(self, event: Input.Submitted) -> None:
        if event.input.id == FIELDS[-1][0]:
            self.go_on()
        else:
            self.focus_next()

    @on(Button.Pressed, "#continue")
    def go_on(self) -> None:
        if not self.value("name"):
            self.notify("Please give the caseworker's name.", severity="warning")
            self.query_one("#name", Input).focus()
            return
        devices = tuple(d.strip() for d in self.value("devices").split(",") if d.strip())
        details = CaseworkerDetails(
            name=self.value("name"),
            organisation=self.value("organisation"),
            client_ref=self.value("client-ref"),
            devices=devices,
        )
        from devicecheck.tui.components.setup import SetupScreen

        self.app.push_screen(SetupScreen(caseworker=details))
