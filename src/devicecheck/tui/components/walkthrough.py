"""The walkthrough: one question per screen, answered with Ctrl and a letter or a button.

No plain letter key does anything here but type into the note, so a sentence typed at a
question can never answer it, start a scan or write evidence.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.markdown import Markdown as RichMarkdown
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Footer, Input, Label, ProgressBar, Static

from devicecheck.core.checklists import PLATFORM_LABELS, Checklist, Item
from devicecheck.core.helplines import fill_help
from devicecheck.core.sessions import ANSWER_LABELS, Session
from devicecheck.core.walkthrough import (
    Stop,
    checklist_finding,
    first_unanswered,
    keeps_answers_in_log,
    path_order,
    progress_at,
)
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.components.base import BaseScreen
from devicecheck.tui.messages import EvidenceSaved
from devicecheck.tui.work import guarded, plain_message

EVIDENCE_CONSENT = (
    "What you found will be written to the evidence log on this computer: a permanent, dated "
    "record that cannot be changed afterwards (corrections are added as new entries). It can "
    "be used later by police or a solicitor. Nothing is sent anywhere."
)
SAVE_FINDING_TEXT = (
    "Save this to your evidence log? It cannot be removed later. The log is a dated record on "
    "this computer that police or a solicitor can use. Before you change or remove anything, "
    "record it first: the other person may notice."
)
ANSWER_KEYS_HINT = "Typing only fills the note. Answer with the keys below:"
NOTE_KEPT = "Note kept: it is saved with the answer you choose below."
MORE_ABOVE = "More above: this question has a CAUTION. Scroll up to read it before you answer."
ANSWERS = (
    ("yes", "Yes Ctrl+Y"),
    ("no", "No Ctrl+N"),
    ("unsure", "Not sure Ctrl+T"),
    ("skip", "Skip Ctrl+S"),
)


def question_view(stop: Stop, platforms: Sequence[str], region_code: str | None) -> Group:
    """The whole question as one renderable: heading, question, why, steps, what to do.

    One Static showing Rich renderables, not Textual's Markdown widget: that mounts a widget
    per block on every question, which made the next question take several times the 50 ms
    a key may take to show it (bench/tui_start.py).
    """
    item = stop.item
    lead = "Follow-up: " if stop.is_follow_up else ""

    def filled(text: str) -> str:
        return fill_help(text, region_code).strip()

    sections = [("Why this matters", item.why)]
    sections += [(f"Steps: {PLATFORM_LABELS[p]}", steps) for p, steps in item.steps_for(platforms)]
    sections += [("If you find something", item.if_yes), ("What to record", item.evidence_hint)]
    # One Markdown document (one parse) for the whole body; headings as bold lines.
    body = [f"**{filled(item.question)}**"]
    for heading, text in sections:
        body += [f"**{heading}**", filled(text)]
    return Group(
        Text(lead + filled(item.title), style="bold underline"),
        Text(""),
        RichMarkdown("\n\n".join(body)),
    )


class WalkthroughScreen(BaseScreen):
    """One question at a time. Focus starts in the note box and no plain letter does anything
    but type: answers, moving and scanning need Ctrl with a letter, or a click."""

    CSS_PATH = "walkthrough.tcss"
    AUTO_FOCUS = "#note"
    BINDINGS = (
        Binding("ctrl+y", "answer('yes')", "Yes, found", show=False, priority=True),
        Binding("ctrl+n", "answer('no')", "No", show=False, priority=True),
        Binding("ctrl+t", "answer('unsure')", "Not sure", show=False, priority=True),
        Binding("ctrl+s", "answer('skip')", "Skip", show=False, priority=True),
        Binding("ctrl+b", "move(-1)", "Back", priority=True),
        Binding("ctrl+f", "move(1)", "Next", priority=True),
        Binding("ctrl+r", "summary", "Summary", priority=True),
        Binding("ctrl+o", "scan", "Scan", priority=True),
        Binding("ctrl+l", "diary", "Diary", priority=True),
        Binding("escape", "leave", "Menu"),
    )

    def __init__(self, session: Session, checklists: Sequence[Checklist]) -> None:
        super().__init__()
        self.session = session
        self.checklists = tuple(checklists)
        self.stops = self._order()
        self._unsaved = False  # an answer recorded but not yet saved (see _save_after_frame)
        first = first_unanswered(self.stops, session.answers)
        self.index = first if first is not None else max(len(self.stops) - 1, 0)

    def _order(self) -> list[Stop]:
        return path_order(
            self.session.path, self.checklists, self.session.platforms, self.session.answers
        )

    @property
    def is_caseworker(self) -> bool:
        return self.session.mode == "caseworker" and self.session.caseworker is not None

    @property
    def region_code(self) -> str:
        return self.devicecheck.region.code

    def compose_body(self) -> ComposeResult:
        yield Static(id="area", classes="title", markup=False)
        with Horizontal(id="progress"):
            yield Label("This area", classes="bar-label")
            yield ProgressBar(id="area-bar", show_eta=False, show_percentage=False)
            yield Label(id="area-count", classes="count")
            yield Label(
                "Essentials" if self.session.path == "essentials" else "All", classes="bar-label"
            )
            yield ProgressBar(id="overall-bar", show_eta=False, show_percentage=False)
            yield Label(id="overall-count", classes="count")
        yield Static(MORE_ABOVE, id="more-above", markup=False)
        with VerticalScroll(id="item"):
            yield Static(id="caution", markup=False)
            yield Static(id="question")
        yield Input(placeholder="Your note (optional), saved with your answer", id="note")
        if self.is_caseworker:
            yield Input(placeholder="Caseworker's note on this question (kept apart)", id="cw-note")
        yield Static(ANSWER_KEYS_HINT, id="keys", markup=False)
        with Horizontal(classes="buttons", id="answers"):
            for value, label in ANSWERS:
                variant = "error" if value == "yes" else "default"
                yield Button(label, id=value, variant=variant, compact=True)
        yield Footer()

    def on_mount(self) -> None:
        self.devicecheck.current_session = self.session
        if not self.stops:
            self.notify("No questions concern the devices chosen.", severity="warning")
            return
        self.show_stop()
        self.watch(self.query_one("#item", VerticalScroll), "scroll_y", self._caution_in_view)

    def _caution_in_view(self, scroll_y: float) -> None:
        """Say there is a caution above when it has been scrolled out of sight."""
        caution = self.query_one("#caution", Static)
        hidden = caution.display and 0 < caution.outer_size.height <= scroll_y
        self.query_one("#more-above", Static).display = hidden

    def show_stop(self) -> None:
        stop = self.stops[self.index]
        progress = progress_at(self.stops, self.session.answers, self.index)
        position = [s for s in self.stops if s.checklist.id == stop.checklist.id].index(stop) + 1
        answer = self.session.answers.get(stop.item.id)
        answered = f"your answer: {ANSWER_LABELS[answer.value]}" if answer else "not answered yet"
        self.query_one("#area", Static).update(
            f"{stop.checklist.title}, question {position} of {progress.area_total}: {answered}"
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
        platforms = self.session.platforms
        self.query_one("#question", Static).update(question_view(stop, platforms, self.region_code))
        caution = self.query_one("#caution", Static)
        caution.display = bool(stop.item.caution)
        caution.update(f"CAUTION: {fill_help(stop.item.caution or '', self.region_code).strip()}")
        self.query_one("#item", VerticalScroll).scroll_home(animate=False)
        note = self.query_one("#note", Input)
        note.value = answer.note if answer else ""
        note.focus()  # a clicked answer keeps focus otherwise: Enter would answer this question
        if self.is_caseworker:
            self.query_one("#cw-note", Input).value = ""
        self.query_one("#keys", Static).update(ANSWER_KEYS_HINT)

    @on(Button.Pressed, "#answers Button")
    def answer_button(self, event: Button.Pressed) -> None:
        self.action_answer(str(event.button.id))

    @on(Input.Submitted, "#note")
    def note_submitted(self) -> None:
        """Enter keeps the note and moves on to the caseworker's note box; it never answers."""
        if self.is_caseworker:
            self.query_one("#cw-note", Input).focus()
        self.query_one("#keys", Static).update(NOTE_KEPT)

    @on(Input.Submitted, "#cw-note")
    def caseworker_note_submitted(self) -> None:
        """Enter moves on to the client's note box, so the question can be answered."""
        self.query_one("#note", Input).focus()
        self.query_one("#keys", Static).update(NOTE_KEPT)

    def action_answer(self, value: str) -> None:
        if not self.stops:
            return
        stop = self.stops[self.index]
        note = self.query_one("#note", Input).value
        try:
            self._record(stop.item.id, value, note)
            if self.is_caseworker:
                self._keep_caseworker_note(stop.item)
        except (DeviceCheckError, OSError) as error:
            self.notify(
                plain_message(str(error)), title="Could not save the answer", severity="error"
            )
            return
        if value == "yes":
            self.offer_finding(stop.item)
        else:
            self.action_move(1)
        if self._unsaved:  # scheduled after the next question, so it follows that frame
            self.call_after_refresh(self._save_now)

    def _record(self, item_id: str, value: str, note: str) -> None:
        """The answer in the session file; in the evidence log too when the person agreed."""
        from devicecheck.core.session_log import NotInLog, record_answer

        if self.session.mode == "self" and not keeps_answers_in_log(self.session):
            self.session.record_answer(item_id, value, note)
            self._save_after_frame()
            return
        try:
            record_answer(self.devicecheck.data_dir, self.session, item_id, value, note)
        except NotInLog:
            self.notify(
                "Your answer is saved, but the evidence log could not take it.",
                severity="warning",
            )

    def _save_after_frame(self) -> None:
        """Save the session (an fsync'd atomic write) once the next question is on screen
        (`action_answer` schedules it), so the person does not wait for the disk. Leaving the
        screen (a quick exit too) saves first if that has not happened yet."""
        self._unsaved = True

    def _save_now(self) -> None:
        if not self._unsaved:
            return
        self._unsaved = False
        try:
            self.devicecheck.store.save(self.session)
        except (DeviceCheckError, OSError) as error:
            self._unsaved = True  # kept in memory; the next answer's save tries again
            self.notify(
                plain_message(str(error)), title="Could not save the answer", severity="error"
            )

    def on_unmount(self) -> None:
        self._save_now()

    def _keep_caseworker_note(self, item: Item) -> None:
        from devicecheck.core.casework import add_note

        text = self.query_one("#cw-note", Input).value.strip()
        if text and self.session.caseworker is not None:
            add_note(self.devicecheck.data_dir, self.session, text, item.id)

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
                    lambda: self.save_finding(
                        checklist_finding(item, answer.note, self.region_code)
                    ),
                )
            self.action_move(1)

        self.app.push_screen(
            ConfirmScreen("You found a concern", SAVE_FINDING_TEXT, "Save it", "Not now"),
            after,
        )

    @work(thread=True, exit_on_error=False, group="evidence")
    def save_finding(self, data: dict[str, str]) -> None:
        from devicecheck.core.evidence import EvidenceLog

        def append() -> None:
            with EvidenceLog(self.devicecheck.data_dir) as log:
                entry = log.append(
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

    def action_diary(self) -> None:
        from devicecheck.tui.components.diary import DiaryScreen

        self.app.push_screen(DiaryScreen())

    def action_leave(self) -> None:
        self.app.pop_screen()
