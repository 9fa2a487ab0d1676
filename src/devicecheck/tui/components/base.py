"""What every screen shares: the safety strip on top, problems shown as one calm line."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen, ScreenResultType

from devicecheck.tui.components.safety_strip import SafetyStrip
from devicecheck.tui.messages import WorkFailed

if TYPE_CHECKING:
    from devicecheck.tui.app import DeviceCheckApp


class SafetyStripMixin:
    """The safety strip above the screen's own body, and work failures as one calm notice."""

    app: DeviceCheckApp

    @property
    def devicecheck(self) -> DeviceCheckApp:
        return cast("DeviceCheckApp", self.app)

    def compose(self) -> ComposeResult:
        yield SafetyStrip(self.devicecheck.emergency.text)
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_work_failed(self, message: WorkFailed) -> None:
        self.notify(message.message, title="Could not do that", severity="error", timeout=10)  # type: ignore[attr-defined]


class BaseScreen(SafetyStripMixin, Screen):
    """A full screen with the safety strip. Subclasses implement `compose_body`."""


class BaseModal(SafetyStripMixin, ModalScreen[ScreenResultType]):
    """A dialog over a screen; it carries the safety strip too."""
