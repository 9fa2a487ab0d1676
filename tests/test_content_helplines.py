"""Help lines by role: the region's line for each kind of help, and checklist placeholders."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.helplines import (
    ROLES,
    fill_help,
    help_phrase,
    line_for_role,
    load_helplines,
    parse_helplines,
    region_for,
)
from devicecheck.errors import DeviceCheckError, InvalidDataError
from tests.conftest import run_cli

GB_STALKING = "the National Stalking Helpline (0808 802 0300)"
GB_DOMESTIC = "the National Domestic Abuse Helpline (0808 2000 247)"


def uk_numbers() -> list[str]:
    """Every number the GB region shows, as a pattern that will not match inside other digits."""
    gb = region_for("GB")
    numbers = [gb.emergency.number, *(line.number for line in gb.lines)]
    return [rf"(?<![\d#*]){re.escape(number)}(?!\d)" for number in numbers]


def test_line_for_role_picks_the_regions_line() -> None:
    stalking = line_for_role("GB", "stalking")
    assert stalking is not None and stalking.number == "0808 802 0300"
    domestic = line_for_role("gb", "domestic-abuse")
    assert domestic is not None and domestic.name == "National Domestic Abuse Helpline"
    us = line_for_role("US", "domestic-abuse")
    assert us is not None and us.name == "National Domestic Violence Hotline"
    assert line_for_role(None, "stalking") == stalking  # the default region is GB


def test_help_phrase_names_both_uk_lines() -> None:
    assert help_phrase("GB") == f"{GB_STALKING} or {GB_DOMESTIC}"
    assert help_phrase("GB", ["stalking"]) == GB_STALKING


def test_help_phrase_for_a_region_without_the_role_falls_back_to_words_and_emergency() -> None:
    # Canada has no line for image abuse: the fallback names a service and the emergency number.
    phrase = help_phrase("CA", ["image-abuse"])
    assert "0345" not in phrase and "Revenge Porn" not in phrase
    assert "9-1-1" in phrase
    assert "intimate images" in phrase
    # A region's own fallback wording wins over the general one.
    region = region_for("CA")
    assert "province" in region.fallback_for("domestic-abuse")


def test_the_new_lines_answer_their_roles() -> None:
    expected = {
        ("GB", "image-abuse"): "0345 6000 459",
        ("GB", "lgbt"): "0800 999 5428",
        ("GB", "stalking-advocacy"): "020 3866 4107",
        ("GB", "men"): "0808 801 0327",
        ("CA", "domestic-abuse"): "1-800-563-0808",
    }
    for (code, role), number in expected.items():
        line = line_for_role(code, role)
        assert line is not None and line.number == number, (code, role)
    nz_numbers = [line.number for line in region_for("NZ").lines]
    assert "0800 456 450" in nz_numbers


@pytest.mark.parametrize("code", load_helplines().codes())
@pytest.mark.parametrize("role", ROLES)
def test_every_region_has_words_for_every_role(code: str, role: str) -> None:
    phrase = help_phrase(code, [role])
    assert phrase.strip() and "None" not in phrase
    if code != "GB":
        assert not any(re.search(p, phrase) for p in uk_numbers()), (code, role, phrase)


def test_fill_help_replaces_every_placeholder_for_the_region() -> None:
    text = "Talk to {help:stalking,domestic-abuse} first. In danger, call {emergency}."
    assert (
        fill_help(text, "GB")
        == f"Talk to {GB_STALKING} or {GB_DOMESTIC} first. In danger, call 999."
    )
    us = fill_help(text, "US")
    assert "National Domestic Violence Hotline" in us and "911" in us
    assert "{" not in us
    assert not any(re.search(p, us) for p in uk_numbers())
    notes = fill_help("{emergency-notes}", "GB")
    assert "55" in notes and notes == " ".join(region_for("GB").emergency.notes)


@given(st.text())
def test_text_without_placeholders_comes_back_unchanged(text: str) -> None:
    if "{help:" in text or "{emergency" in text:
        return
    assert fill_help(text, "US") == text


def test_fill_help_for_an_unknown_region_is_one_clear_error() -> None:
    with pytest.raises(DeviceCheckError, match="no help lines for region 'ZZ'"):
        fill_help("{help:stalking}", "ZZ")


def test_an_unknown_role_in_the_data_is_rejected() -> None:
    data = {
        "regions": [
            {
                "code": "GB",
                "name": "UK",
                "emergency": {"number": "999", "text": "Call 999.", "source": "https://x.example"},
                "lines": [
                    {
                        "id": "a",
                        "name": "A",
                        "number": "1",
                        "about": "a",
                        "source": "https://x.example",
                        "roles": ["astrology"],
                    }
                ],
            }
        ]
    }
    with pytest.raises(InvalidDataError, match="unknown role 'astrology'"):
        parse_helplines(data)


def test_every_region_has_a_line_for_domestic_abuse_or_a_fallback() -> None:
    for region in load_helplines().regions:
        line = region.line_for("domestic-abuse")
        assert line is not None or region.fallback_for("domestic-abuse")


def test_checklists_show_names_the_regions_help(tmp_path: Path) -> None:
    us = run_cli("--region", "US", "checklists", "show", "evidence-safety")
    assert us.returncode == 0, us.stderr
    assert "National Domestic Violence Hotline" in us.stdout
    assert not any(re.search(p, us.stdout) for p in uk_numbers())
    assert "{help:" not in us.stdout and "{emergency" not in us.stdout
    gb = run_cli("checklists", "show", "evidence-safety", "--region", "GB")
    assert "National Stalking Helpline (0808 802 0300)" in gb.stdout
    unknown = run_cli("checklists", "show", "evidence-safety", "--region", "ZZ")
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr


def test_checklists_show_json_fills_help_too() -> None:
    result = run_cli("--region", "US", "checklists", "show", "evidence-safety", "--json")
    assert result.returncode == 0, result.stderr
    assert "{help:" not in result.stdout
    assert not any(re.search(p, result.stdout) for p in uk_numbers())


def test_a_us_plain_walk_shows_no_uk_number_and_a_gb_walk_shows_the_stalking_line(
    tmp_path: Path,
) -> None:
    answers = "u\n" * 400
    us = run_cli("--region", "US", "walk", "--plain", data_dir=tmp_path / "us", input=answers)
    assert us.returncode == 0, us.stderr
    assert "All questions answered" in us.stdout
    shown = re.sub(r"\[\d+/\d+\]", "", us.stdout)  # progress counters such as [101/103]
    leaked = [p for p in uk_numbers() if re.search(p, shown)]
    assert not leaked, leaked
    assert "{help:" not in us.stdout and "{emergency" not in us.stdout
    gb = run_cli("--region", "GB", "walk", "--plain", data_dir=tmp_path / "gb", input=answers)
    assert gb.returncode == 0, gb.stderr
    assert "National Stalking Helpline (0808 802 0300)" in gb.stdout


HELPLINE_KEYS = (
    *("regions", "code", "name", "emergency", "lines", "roles", "fallbacks", "number"),
    *("text", "source", "id", "about", "phrase", "stalking", "notes", "other"),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(HELPLINE_KEYS),
            children,
            max_size=6,
        )
    ),
    max_leaves=30,
)


@given(JSONISH)
def test_parse_helplines_gives_one_clear_error_for_any_shape(data: object) -> None:
    try:
        parse_helplines(data)
    except InvalidDataError as error:
        assert str(error).startswith("helplines.yaml")


VALID_REGION = {
    "code": "GB",
    "name": "UK",
    "emergency": {"number": "999", "text": "Call 999.", "source": "https://x.example"},
    "lines": [{"id": "a", "name": "A", "number": "1", "about": "a", "source": "https://x.example"}],
}


@given(
    st.sampled_from(["lines", "fallbacks", "emergency", "code", "name"]),
    JSONISH,
)
def test_one_broken_field_in_a_region_is_one_clear_error(field: str, value: object) -> None:
    region = {**VALID_REGION, field: value}
    try:
        parse_helplines({"regions": [region]})
    except InvalidDataError as error:
        assert str(error).startswith("helplines.yaml")


@given(st.sampled_from(["roles", "phrase", "number", "hours", "other"]), JSONISH)
def test_one_broken_field_in_a_line_is_one_clear_error(field: str, value: object) -> None:
    line = {**VALID_REGION["lines"][0], field: value}  # type: ignore[index]
    try:
        parse_helplines({"regions": [{**VALID_REGION, "lines": [line]}]})
    except InvalidDataError as error:
        assert str(error).startswith("helplines.yaml")


def test_regions_without_an_image_abuse_line_name_their_own_service() -> None:
    assert "eSafety Commissioner" in help_phrase("AU", ["image-abuse"])
    assert "Netsafe" in help_phrase("NZ", ["image-abuse"])
    assert "Cyber Civil Rights Initiative" in help_phrase("US", ["image-abuse"])
    assert "000" in help_phrase("AU", ["image-abuse"])  # the emergency number still follows
