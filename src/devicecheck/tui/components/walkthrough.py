"""The walkthrough: one question per screen, answered with a key or a button, saved at once."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, Markdown, ProgressBar, Static

from devicecheck.core.checklists import PLATFORM_LABELS, Checklist, Item
from devicecheck.core.sessions import ANSWER_LABELS, Session
from devicecheck.core.walkthrough import (
    Stop,
    checklist_finding,
    first_unanswered,
    progress_at,
    walk_order,
)
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import EvidenceSaved
from devicecheck.tui.work import guarded

EVIDENCE_CONSENT = (
    "What the client found will be written to the evidence log on this computer: a permanent, "
    "dated record that cannot be changed afterwards (corrections are added as new entries). "
    "It can be used later by police or a solicitor. Nothing is sent anywhere."
)
SAVE_FINDING_TEXT = (
    "Save this as a finding in your evidence log? The log is a dated record on this computer "
    "that cannot be changed afterwards. Before you change or remove anything, record it first: "
    "the other person may notice."
)


def question_markdown(stop: Stop) -> str:
    item = stop.item
    lead = "Follow-up: " if stop.is_follow_up else ""
    return f"## {lead}{item.title}\n\n**{item.question.strip()}**\n\n### Why this matters\n\n{item.why.strip()}\n"


def guidance_markdown(item: Item, platforms: Sequence[str]) -> str:
    parts = []
    for platform, steps in item.steps_for(platforms):
        parts.append(f"### Steps: {PLATFORM_LABELS[platform]}\n\n{steps.strip()}\n")
    parts.append(f"### If you find something\n\n{item.if_yes.strip()}\n")
    parts.append(f"### What to record\n\n{item.evidence_hint.strip()}\n")
    return "\n".join(parts)


class WalkthroughScreen(BaseScreen):
    CSS_PATH = "walkthrough.tcss"
    BINDINGS = (
        Binding("y", "answer('yes')", "Yes"),
        Binding("n", "answer('no')", "No"),
        Binding("u", "answer('unsure')", "Not sure"),
        Binding("s", "answer('skip')", "Skip"),
        Binding("b", "move(-1)", "Back"),
        Binding("f", "move(1)", "Next"),
        Binding("d", "summary", "Summary"),
        Binding("c", "scan", "Scan"),
        Binding("escape", "leave", "Menu"),
    )

    def __init__(self, session: Session, checklists: Sequence[Checklist]) -> None:
        super().__init__()
        self.session = session
        self.checklists = tuple(checklists)
        self.stops = self._order()
        first = first_unanswered(self.stops, session.answers)
        self.index = first if first is not None else max(len(self.stops) - 1, 0)

    def _order(self) -> list[Stop]:
        return walk_order(self.checklists, self.session.platforms, self.session.answers)

    @property
    def is_caseworker(self) -> bool:
        return self.session.mode == "caseworker" and self.session.caseworker is not None

    def compose_body(self) -> ComposeResult:
        yield Static(id="area", classes="title")
        with Horizontal(id="progress"):
            yield Label("This area", classes="bar-label")
            yield ProgressBar(id="area-bar", show_eta=False, show_percentage=False)
            yield Label(id="area-count", classes="count")
            yield Label("Overall", classes="bar-label")
            yield ProgressBar(id="overall-bar", show_eta=False, show_percentage=False)
            yield Label(id="overall-count", classes="count")
        with VerticalScroll(id="item"):
            yield Markdown(id="question")
            yield Static(id="caution", markup=False)
            yield Markdown(id="guidance")
        yield Input(placeholder="Optional note, saved with your answer", id="note")
        if self.is_caseworker:
            yield Input(placeholder="Caseworker's note on this item (kept apart)", id="cw-note")
        with Horizontal(classes="buttons", id="answers"):
            yield Button("Yes, found (y)", id="yes", variant="error", compact=True)
            yield Button("No (n)", id="no", compact=True)
            yield Button("Not sure (u)", id="unsure", compact=True)
            yield Button("Skip (s)", id="skip", compact=True)
        yield Footer()

    def on_mount(self) -> None:
        if not self.stops:
            self.notify("No questions concern the devices chosen.", severity="warning")
            return
        self.show_stop()
        self.query_one("#yes", Button).focus()

    def show_stop(self) -> None:
        stop = self.stops[self.index]
        progress = progress_at(self.stops, self.session.answers, self.index)
        position = [s for s in self.stops if s.checklist.id == stop.checklist.id].index(stop) + 1
        answer = self.session.answers.get(stop.item.id)
        answered = f"your answer: {ANSWER_LABELS[answer.value]}" if answer else "not answered yet"
        self.query_one("#area", Static).update(
            f"{stop.checklist.title}: question {position} of {progress.area_total} ({answered})"
        )
        self.query_one("#area-bar", ProgressBar).update(
            total=progress.area_total, progress=progress.area_answered
        )
        self.query_one("#overall-bar", ProgressBar).update(
            total=progress.total, progress=progress.answered
        )
        self.query_one("#area-count", Label).update(
            f"{progress.area_answered}/{progress.area_total}"
        )
        self.query_one("#overall-count", Label).update(f"{progress.answered}/{progress.total}")
        self.query_one("#question", Markdown).update(question_markdown(stop))
        caution = self.query_one("#caution", Static)
        caution.display = bool(stop.item.caution)
        caution.update(f"CAUTION: {(stop.item.caution or '').strip()}")
        self.query_one("#guidance", Markdown).update(
            guidance_markdown(stop.item, self.session.platforms)
        )
        self.query_one("#item", VerticalScroll).scroll_home(animate=False)
        note = self.query_one("#note", Input)
        note.value = answer.note if answer else ""
        if self.is_caseworker:
            self.query_one("#cw-note", Input).value = ""

    @on(Button.Pressed, "#answers Button")
    def answer_button(self, event: Button.Pressed) -> None:
        self.action_answer(str(event.button.id))

    @on(Input.Submitted, "#note")
    def note_submitted(self) -> None:
        self.query_one("#yes", Button).focus()

    def action_answer(self, value: str) -> None:
        if not self.stops:
            return
        stop = self.stops[self.index]
        note = self.query_one("#note", Input).value
        try:
            self.session.record_answer(stop.item.id, value, note)
            if self.is_caseworker:
                self._keep_caseworker_note(stop.item)
            self.devicecheck.store.save(self.session)
        except (DeviceCheckError, OSError) as error:
            self.notify(str(error), title="Could not save the answer", severity="error")
            return
        if value == "yes":
            self.offer_finding(stop.item)
        else:
            self.action_move(1)

    def _keep_caseworker_note(self, item: Item) -> None:
        text = self.query_one("#cw-note", Input).value.strip()
        if text and self.session.caseworker is not None:
            self.session.add_caseworker_note(text, self.session.caseworker.name, item.id)

    def offer_finding(self, item: Item) -> None:
        from devicecheck.tui.components.confirm import ConfirmScreen
        from devicecheck.tui.components.consent import with_consent

        def after(save: bool | None) -> None:
            if save:
                answer = self.session.answers[item.id]
                with_consent(
                    self,
                    self.session,
                    "evidence",
                    EVIDENCE_CONSENT,
                    lambda: self.save_finding(checklist_finding(item, answer.note)),
                )
            self.action_move(1)

        self.app.push_screen(
            ConfirmScreen("Found a concern", SAVE_FINDING_TEXT, "Save to evidence log", "Not now"),
            after,
        )

    @work(thread=True, exit_on_error=False, group="evidence")
    def save_finding(self, data: dict[str, str]) -> None:
        from devicecheck.core.evidence import EvidenceLog

        def append() -> None:
            entry = EvidenceLog(self.devicecheck.data_dir).append(
                "finding", data, session=self.session.id, author=self.session.author
            )
            self.post_message(
                EvidenceSaved(f"Saved to your evidence log: {data['title']}", entry.id)
            )

        guarded(self, append)

    @on(EvidenceSaved)
    def evidence_saved(self, message: EvidenceSaved) -> None:
        self.notify(message.what, timeout=6)

    def action_move(self, step: int) -> None:
        if not self.stops:
            return
        current = self.stops[self.index].item.id
        self.stops = self._order()
        ids = [stop.item.id for stop in self.stops]
        position = ids.index(current) if current in ids else self.index
        target = position + step
        if target >= len(self.stops):
            self.action_summary()
            return
        self.index = max(target, 0)
        self.show_stop()

    def action_summary(self) -> None:
        from devicecheck.tui.components.summary import SummaryScreen

        self.app.push_screen(SummaryScreen(self.session, self.checklists))

    def action_scan(self) -> None:
        from devicecheck.tui.components.scan import ScanScreen

        self.app.push_screen(ScanScreen(session=self.session))

    def action_leave(self) -> None:
        self.app.pop_screen()
