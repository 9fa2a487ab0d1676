"""The essentials path: the `essential` field, its order, the plain walk and its time estimate."""

from __future__ import annotations

import argparse
import io
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.cli.walk_cmd import plain_walk
from devicecheck.core.checklists import (
    ChecklistError,
    load_checklists,
    parse_checklist_text,
    validate_files,
)
from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import SessionStore
from devicecheck.core.walkthrough import (
    READING_WORDS_PER_MINUTE,
    essentials_order,
    reading_minutes,
)
from tests.conftest import run_cli

ESSENTIALS = Path(__file__).resolve().parent / "data" / "essentials"
SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
ITEM = """id: area-{n}
title: Area {n}
summary: An area.
reviewed: 2026-11-24
items:
  - id: item-{n}
    title: An item
    question: Is something wrong?
    why: Because.
    steps:
      any: Look.
    if_yes: Record it.
    evidence_hint: A screenshot.
    severity: low
    sources: [https://example.org/page]
    essential: {value}
"""


def walk_args(**overrides) -> argparse.Namespace:
    values = {
        "plain": True,
        "checklists": [],
        "session": None,
        "essentials": True,
        "platforms": [],
    }
    values.update(overrides)
    return argparse.Namespace(**values)


def test_the_path_follows_the_numbers_across_areas_and_the_chosen_platforms() -> None:
    checklists = load_checklists([ESSENTIALS]).checklists
    assert [s.item.id for s in essentials_order(checklists, [], {})] == [
        "test-safe-now",
        "test-signed-in",
        "test-find-my",
    ]
    # Find My concerns only iPhones: on Android it is left out.
    android = essentials_order(checklists, ["android"], {})
    assert [s.item.id for s in android] == ["test-safe-now", "test-signed-in"]


def test_a_yes_opens_the_follow_ups_on_the_essentials_path_too() -> None:
    from devicecheck.core.sessions import Answer

    checklists = load_checklists([ESSENTIALS]).checklists
    answers = {"test-find-my": Answer("yes", "2026-11-24T10:00:00+00:00")}
    stops = essentials_order(checklists, [], answers)
    assert [s.item.id for s in stops][-2:] == ["test-find-my", "test-find-my-who"]
    assert stops[-1].is_follow_up


def test_the_same_number_twice_across_files_is_one_problem_each(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(ITEM.format(n=1, value=4), encoding="utf-8")
    (tmp_path / "b.yaml").write_text(ITEM.format(n=2, value=4), encoding="utf-8")
    problems = validate_files([tmp_path])
    assert len(problems) == 1
    assert "essential 4 is already used at" in problems[0].message
    assert problems[0].path.endswith("b.yaml") and problems[0].line == 16


@pytest.mark.parametrize(
    ("value", "words"),
    [("0", "from 1 to 999"), ("first", "whole number"), ("1.5", "whole number"), ("[1]", "whole")],
)
def test_an_essential_that_is_not_a_place_is_refused(value: str, words: str) -> None:
    with pytest.raises(ChecklistError) as error:
        parse_checklist_text(ITEM.format(n=1, value=value), "x.yaml")
    assert words in str(error.value) and "x.yaml:16:" in str(error.value)


def test_an_essential_on_a_follow_up_is_refused() -> None:
    text = (ESSENTIALS / "02-location.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "        severity: medium\n", "        severity: medium\n        essential: 9\n", 1
    )
    with pytest.raises(ChecklistError, match="only a top-level item"):
        parse_checklist_text(text, "x.yaml")


@given(st.text(max_size=12))
def test_any_essential_value_loads_or_is_one_clear_problem(value: str) -> None:
    text = ITEM.format(n=1, value=repr(value) if value.strip() else "''")
    try:
        checklist = parse_checklist_text(text, "x.yaml")
    except ChecklistError as error:
        assert error.problems and all(p.path == "x.yaml" for p in error.problems)
    else:
        assert 1 <= checklist.items[0].essential <= 999


@given(st.integers(min_value=-10_000, max_value=10_000))
def test_any_whole_number_is_a_place_only_from_1_to_999(number: int) -> None:
    try:
        checklist = parse_checklist_text(ITEM.format(n=1, value=number), "x.yaml")
    except ChecklistError:
        assert not 1 <= number <= 999
    else:
        assert checklist.items[0].essential == number


def test_plain_essentials_prints_the_time_first_then_asks_only_the_essentials(
    data_dir: Path,
) -> None:
    out = io.StringIO()
    plain_walk(walk_args(), io.StringIO("n\n" * 10), out, checklist_paths=[ESSENTIALS])
    text = out.getvalue()
    estimate = re.search(r"(\d+) questions, about (\d+) minutes", text)
    assert estimate, text
    assert estimate.start() < text.index("[1/")
    assert estimate.group(1) == "3"
    assert re.findall(r"^\[\d+/(\d+)\]", text, flags=re.MULTILINE) == ["3", "3", "3"]
    assert "stays in this terminal window" in text.split("[1/")[0]
    session = SessionStore(DataDir(data_dir)).latest()
    assert session.path == "essentials"
    assert set(session.answers) == {"test-safe-now", "test-signed-in", "test-find-my"}


def test_the_estimate_counts_the_words_each_question_shows() -> None:
    from devicecheck.cli.item_text import item_text
    from devicecheck.core.walkthrough import item_words

    for checklist in load_checklists([ESSENTIALS, SAMPLE]).checklists:
        for item in checklist.all_items():
            for platforms in ((), ("ios",), ("android", "web")):
                shown = item_text(item, platforms, region_code="GB")
                counted = len(re.findall(r"[\w'’-]+", shown))
                assert abs(item_words(item, platforms, "GB") - counted) <= 2, item.id


def test_the_estimate_is_the_words_shown_at_150_a_minute(data_dir: Path) -> None:
    checklists = load_checklists([ESSENTIALS]).checklists
    stops = essentials_order(checklists, [], {})
    out = io.StringIO()
    plain_walk(walk_args(), io.StringIO("n\n" * 10), out, checklist_paths=[ESSENTIALS])
    printed = int(re.search(r"about (\d+) minutes", out.getvalue()).group(1))
    assert printed == reading_minutes(stops, (), "GB")
    words = sum(len(re.findall(r"[\w'’-]+", part)) for part in out.getvalue().split("\n[")[1:])
    assert (printed - 1) * READING_WORDS_PER_MINUTE < words


def test_placeholders_are_filled_in_the_essentials(data_dir: Path) -> None:
    out = io.StringIO()
    plain_walk(walk_args(), io.StringIO("n\n" * 10), out, checklist_paths=[ESSENTIALS])
    assert "{help:" not in out.getvalue()
    assert "0808 802 0300" in out.getvalue()  # GB's stalking line, filled in for the region


def test_essentials_with_a_platform_leave_out_what_does_not_concern_it(data_dir: Path) -> None:
    out = io.StringIO()
    args = walk_args(platforms=["android"])
    plain_walk(args, io.StringIO("n\n" * 10), out, checklist_paths=[ESSENTIALS])
    assert re.search(r"2 questions, about \d+ minutes", out.getvalue())
    assert "Find My" not in out.getvalue()


def test_shipped_essentials_with_platform_on_the_command_line(data_dir: Path) -> None:
    result = run_cli(
        "walk", "--plain", "--essentials", "--platform", "ios", data_dir=data_dir, input="n\n" * 40
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"about \d+ minutes", result.stdout), result.stdout[:2000]


def test_shipped_essentials_are_8_to_15_questions_under_20_minutes(data_dir: Path) -> None:
    """The acceptance check of issue 12, on the shipped checklists (their data marks the path)."""
    result = run_cli("walk", "--plain", "--essentials", data_dir=data_dir, input="n\n" * 40)
    assert result.returncode == 0, result.stderr
    text = result.stdout
    first_question = text.index("\n[1/")
    estimate = re.search(r"about (\d+) minutes", text)
    assert estimate and estimate.start() < first_question, text[:2000]
    asked = re.findall(r"^\[\d+/\d+\]", text, flags=re.MULTILINE)
    assert 8 <= len(asked) <= 15, len(asked)
    words = len(re.findall(r"[\w'’-]+", text))
    assert words / READING_WORDS_PER_MINUTE < 20, words


def test_a_finding_records_the_words_the_person_saw() -> None:
    from devicecheck.core.walkthrough import checklist_finding

    text = ITEM.format(n=1, value=1).replace(
        "question: Is something wrong?", "question: Did {help:stalking} suggest checking this?"
    )
    item = parse_checklist_text(text, "x.yaml").items[0]
    data = checklist_finding(item, "a note", "GB")
    assert "{help:" not in data["question"] and "0808 802 0300" in data["question"]
