"""A list of choices ticked with Space or Enter, marked "[x]" in text (never by colour alone)."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class TickList(OptionList):
    BINDINGS = (Binding("space", "select", "Tick", show=False),)

    def __init__(self, choices: Iterable[tuple[str, str, bool]], *, id: str | None = None) -> None:
        self.labels: dict[str, str] = {}
        self.ticked: dict[str, bool] = {}
        for key, label, ticked in choices:
            self.labels[key] = label
            self.ticked[key] = ticked
        super().__init__(*(Option(self._prompt(key), id=key) for key in self.labels), id=id)

    def _prompt(self, key: str) -> Text:
        return Text(f"[{'x' if self.ticked[key] else ' '}] {self.labels[key]}")

    @property
    def selected(self) -> list[str]:
        return [key for key, ticked in self.ticked.items() if ticked]

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = str(event.option.id)
        self.ticked[key] = not self.ticked[key]
        self.replace_option_prompt(key, self._prompt(key))
        event.stop()
