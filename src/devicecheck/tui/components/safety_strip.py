"""The strip at the top of every screen: the emergency line and the quick-exit keys."""

from __future__ import annotations

from textual.widgets import Static

QUICK_EXIT_TEXT = "Quick exit: Ctrl+X or F12"


class SafetyStrip(Static):
    """Always the first thing on a screen, so help and the way out are always in sight."""

    def __init__(self, emergency_text: str) -> None:
        super().__init__(f"{emergency_text}  |  {QUICK_EXIT_TEXT}", markup=False)
