"""The order of questions in a walkthrough, shared by the plain-text walk and the TUI.

Two paths. The areas path: top-level items of the chosen checklists that concern the chosen
platforms, in file order. The essentials path: the items whose `essential` number is set, in
that order, across every area (the short first sitting; which items and their order are data).
On both, an item's follow-ups are asked straight after it, but only when it was answered "yes".
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from devicecheck.core.checklists import PLATFORM_LABELS, Checklist, Item
from devicecheck.core.helplines import fill_help
from devicecheck.core.sessions import Answer, Session


@dataclass(frozen=True)
class Stop:
    """One question on the way: the item, its area, and whether it is a follow-up."""

    checklist: Checklist
    item: Item
    is_follow_up: bool


def walk_order(
    checklists: Sequence[Checklist],
    platforms: Iterable[str],
    answers: Mapping[str, Answer],
) -> list[Stop]:
    """Every question in order, given the answers so far (which open follow-ups)."""
    chosen = tuple(platforms)
    stops: list[Stop] = []
    for checklist in checklists:
        for item in checklist.items:
            if item.concerns(chosen):
                _add_with_follow_ups(stops, checklist, item, answers, is_follow_up=False)
    return stops


PATHS = ("areas", "essentials")
READING_WORDS_PER_MINUTE = 150
HEADING_WORDS = 10
_WORD = re.compile(r"[\w'’-]+")


def essentials_order(
    checklists: Sequence[Checklist],
    platforms: Iterable[str],
    answers: Mapping[str, Answer],
) -> list[Stop]:
    """The essentials path: items with an `essential` number, lowest first, across all areas.

    Platform filtering applies as on the areas path, so `--platform ios` leaves out an
    essential that concerns only Windows.
    """
    chosen = tuple(platforms)
    marked = [
        (item.essential, checklist, item)
        for checklist in checklists
        for item in checklist.items
        if item.essential is not None and item.concerns(chosen)
    ]
    marked.sort(key=lambda triple: triple[0])
    stops: list[Stop] = []
    for _, checklist, item in marked:
        _add_with_follow_ups(stops, checklist, item, answers, is_follow_up=False)
    return stops


def path_order(
    path: str,
    checklists: Sequence[Checklist],
    platforms: Iterable[str],
    answers: Mapping[str, Answer],
) -> list[Stop]:
    """The stops of `path` ("areas" or "essentials")."""
    if path == "essentials":
        return essentials_order(checklists, platforms, answers)
    return walk_order(checklists, platforms, answers)


def item_words(item: Item, platforms: Iterable[str] = (), region_code: str | None = None) -> int:
    """How many words a person reads for this item: everything shown for the chosen platforms,
    with the help lines filled in for the region."""
    texts = [item.title, item.question, item.why, item.caution or "", item.if_yes]
    steps = item.steps_for(platforms)
    texts += [text for _, text in steps]
    texts.append(item.evidence_hint)
    words = sum(len(_WORD.findall(fill_help(text, region_code))) for text in texts)
    # The headings read with it: "Why this matters", "If you find something", "What to
    # record", "Steps (iPhone or iPad)" for each device, and "Caution".
    headings = HEADING_WORDS + bool(item.caution)
    headings += sum(1 + len(_WORD.findall(PLATFORM_LABELS[platform])) for platform, _ in steps)
    return words + headings


def reading_minutes(
    stops: Sequence[Stop], platforms: Iterable[str] = (), region_code: str | None = None
) -> int:
    """Minutes to read every stop at READING_WORDS_PER_MINUTE, rounded up (at least 1)."""
    chosen = tuple(platforms)
    words = sum(item_words(stop.item, chosen, region_code) for stop in stops)
    return max(1, math.ceil(words / READING_WORDS_PER_MINUTE))


def _add_with_follow_ups(
    stops: list[Stop],
    checklist: Checklist,
    item: Item,
    answers: Mapping[str, Answer],
    is_follow_up: bool,
) -> None:
    stops.append(Stop(checklist, item, is_follow_up))
    answer = answers.get(item.id)
    if answer is not None and answer.value == "yes":
        for follow_up in item.follow_ups:
            _add_with_follow_ups(stops, checklist, follow_up, answers, is_follow_up=True)


def first_unanswered(stops: Sequence[Stop], answers: Mapping[str, Answer]) -> int | None:
    """Index of the first stop with no answer yet, or None when all are answered."""
    for index, stop in enumerate(stops):
        if stop.item.id not in answers:
            return index
    return None


@dataclass(frozen=True)
class Progress:
    answered: int
    total: int
    area_answered: int
    area_total: int


def progress_at(stops: Sequence[Stop], answers: Mapping[str, Answer], index: int) -> Progress:
    """How far along the walk is, overall and within the area of `stops[index]`."""
    area_id = stops[index].checklist.id if stops else None
    area = [stop for stop in stops if stop.checklist.id == area_id]
    return Progress(
        answered=sum(1 for stop in stops if stop.item.id in answers),
        total=len(stops),
        area_answered=sum(1 for stop in area if stop.item.id in answers),
        area_total=len(area),
    )


def checklist_finding(item: Item, note: str, region_code: str | None = None) -> dict[str, str]:
    """A checklist "yes" as the data of an evidence-log finding entry (origin "checklist"),
    with the words as the person saw them (help lines filled in for the region)."""
    return {
        "origin": "checklist",
        "item_id": item.id,
        "checklist_id": item.checklist_id,
        "title": fill_help(item.title, region_code),
        "question": fill_help(item.question, region_code),
        "severity": item.severity,
        "answer": "yes",
        "note": note,
    }


KEEP_ANSWERS_EXPLAINED = (
    "Keep a copy of each answer and note in the evidence log as well as in the session."
)


def keeps_answers_in_log(session: Session) -> bool:
    """Whether this session's answers also go to the evidence log: the person (or, with a
    caseworker, the client) agreed to evidence being kept. Without that, answers stay in the
    session file, which can be deleted."""
    consent = session.consent_for("evidence")
    return consent is not None and consent.answer == "given"
