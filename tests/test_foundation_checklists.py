"""The checklist engine: loading, and validation that reports every problem with file:line:col."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicecheck.core.checklists import (
    Checklist,
    ChecklistError,
    load_checklists,
    parse_checklist_text,
    shipped_checklist_paths,
    validate_files,
)
from devicecheck.errors import InvalidDataError
from tests.conftest import TEST_DATA, run_cli

SAMPLE = TEST_DATA / "sample-checklist.yaml"


def test_sample_loads_into_frozen_dataclasses() -> None:
    checklist = load_checklists([SAMPLE]).get("sample-area")
    assert [item.id for item in checklist.items] == ["sample-devices", "sample-forwarding"]
    first = checklist.items[0]
    assert first.follow_ups[0].id == "sample-devices-when"
    assert first.caution and first.severity == "high"
    assert dict(first.steps_for(["ios"])).keys() == {"ios"}
    assert dict(first.steps_for([])).keys() == {"ios", "web"}
    with pytest.raises(AttributeError):
        first.title = "changed"  # type: ignore[misc]


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), start=1) if needle in line)


def test_every_problem_is_reported_with_its_place(tmp_path: Path) -> None:
    text = SAMPLE.read_text()
    text = text.replace("severity: high", "severity: severe")
    text = text.replace("      web: Go to", "      phone: Go to")
    text = text.replace("https://support.google.com/mail/answer/10957", "http://example.com/x")
    text = text.replace(
        "    if_yes: Write down the address.\n",
        "    if_yes: Write down the address.\n    colour: red\n",
    )
    text = text.replace("    why: Forwarding sends", "    why: 42\n    whyy: Forwarding sends")
    broken = tmp_path / "broken.yaml"
    broken.write_text(text)
    problems = [str(p) for p in validate_files([broken])]
    expected = {
        "severity: severe": "unknown severity 'severe'",
        "phone: Go to": "unknown platform 'phone'",
        "http://example.com/x": "must be an https:// URL",
        "colour: red": "unknown field 'colour'",
        "why: 42": "why of item 'sample-forwarding' must be text",
        "whyy:": "unknown field 'whyy'",
    }
    for needle, message in expected.items():
        line = _line_of(text, needle)
        assert any(p.startswith(f"{broken}:{line}:") and message in p for p in problems), (
            needle,
            problems,
        )
    assert all(re.match(rf"^{re.escape(str(broken))}:\d+:\d+: ", p) for p in problems)


def test_missing_fields_and_bad_yaml(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    missing.write_text("id: x\ntitle: X\nitems:\n  - id: a\n    title: A\n")
    messages = [p.message for p in validate_files([missing])]
    assert "the checklist is missing the required field 'summary'" in messages
    assert "the checklist is missing the required field 'reviewed'" in messages
    assert any("missing the required field 'question'" in m for m in messages)
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ntitle: [unclosed\n")
    (problem,) = validate_files([bad])
    assert problem.path == str(bad) and problem.line >= 2 and "invalid YAML" in problem.message


def test_duplicate_ids_across_files_are_caught(tmp_path: Path) -> None:
    first = tmp_path / "a.yaml"
    second = tmp_path / "b.yaml"
    shutil.copy(SAMPLE, first)
    second.write_text(SAMPLE.read_text().replace("id: sample-area", "id: other-area"))
    problems = validate_files([first, second])
    duplicated = {
        m.group(1) for p in problems if (m := re.search(r"duplicate item id '([^']+)'", p.message))
    }
    assert duplicated == {"sample-devices", "sample-devices-when", "sample-forwarding"}
    assert all(p.path == str(second) for p in problems)
    with pytest.raises(ChecklistError):
        load_checklists([first, second])


def test_validate_command_exit_codes(tmp_path: Path) -> None:
    good = run_cli("checklists", "validate", str(SAMPLE))
    assert good.returncode == 0, good.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text(SAMPLE.read_text().replace("severity: medium", "severity: 3", 1))
    result = run_cli("checklists", "validate", str(bad))
    assert result.returncode == 1
    assert re.search(rf"^{re.escape(str(bad))}:\d+:\d+: severity", result.stdout, re.M)
    assert "Traceback" not in result.stderr


def test_shipped_checklists_validate() -> None:
    assert shipped_checklist_paths(), "no checklists shipped"
    assert validate_files() == []
    result = run_cli("checklists", "validate")
    assert result.returncode == 0, result.stdout + result.stderr


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=30) | st.dates(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "title", "items", "steps", "ios", "severity", "sources", "x"])
            | st.text(max_size=8),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(yaml_values)
def test_fuzz_structures_only_raise_checklist_error(value: object) -> None:
    text = yaml.safe_dump(value, allow_unicode=True)
    try:
        parse_checklist_text(text, "fuzz.yaml")
    except ChecklistError as error:
        assert all(str(p).startswith("fuzz.yaml:") for p in error.problems)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fuzz_text_only_raises_checklist_error(text: str) -> None:
    _assert_checklist_or_located_problems(text)


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_fuzz_mutated_sample_only_raises_checklist_error(data: st.DataObject) -> None:
    text = SAMPLE.read_text()
    position = data.draw(st.integers(0, len(text) - 1))
    replacement = data.draw(st.text(max_size=5))
    mutated = text[:position] + replacement + text[position + 1 :]
    _assert_checklist_or_located_problems(mutated)


def _assert_checklist_or_located_problems(text: str) -> None:
    """Either a checklist comes back, or a ChecklistError whose every problem has a place."""
    try:
        checklist = parse_checklist_text(text, "fuzz.yaml")
    except InvalidDataError as error:
        assert isinstance(error, ChecklistError)
        assert error.problems
        assert all(p.path == "fuzz.yaml" and p.line >= 1 and p.column >= 1 for p in error.problems)
    else:
        assert isinstance(checklist, Checklist) and checklist.items
