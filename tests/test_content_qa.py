"""A walk in another region names that region's help only: no UK number and no UK-only charity
in the text a US survivor reads (the sources, which are citations, are not printed)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import run_cli

UK_ONLY = ("Refuge", "Suzy Lamplugh", "National Stalking Helpline", "0808", "0800", "999")


def test_a_us_walk_names_no_uk_number_or_uk_charity(tmp_path: Path) -> None:
    result = run_cli(
        "--region", "US", "walk", "--plain", input="s\n" * 200, data_dir=tmp_path / "data"
    )
    assert result.returncode == 0, result.stderr
    assert "National Domestic Violence Hotline" in result.stdout
    for words in UK_ONLY:
        assert not re.search(rf"\b{re.escape(words)}", result.stdout), words


def _checklist_with(tmp_path: Path, why: str) -> Path:
    sample = Path(__file__).parent / "data" / "sample-checklist.yaml"
    text = sample.read_text(encoding="utf-8").replace(
        "why: Someone with a device on your account can see what you do.",
        f"why: {json.dumps(why, ensure_ascii=False)}",
        1,
    )
    assert why in text
    target = tmp_path / "area.yaml"
    target.write_text(text, encoding="utf-8")
    return target


def test_validate_rejects_a_number_written_with_no_break_spaces_or_dashes(tmp_path: Path) -> None:
    for spelled in (
        "0808\u00a0802\u00a00300",
        "0808\u2013802\u20130300",
        "0808\u202f802\u202f0300",
    ):
        checklist = _checklist_with(tmp_path, f"Help is on {spelled} at any hour.")
        result = run_cli("checklists", "validate", str(checklist), data_dir=tmp_path / "data")
        assert result.returncode != 0, spelled
        assert "phone number" in result.stdout + result.stderr, spelled


def test_validate_accepts_a_date_in_item_text(tmp_path: Path) -> None:
    checklist = _checklist_with(tmp_path, "Apple changed this page on 2026-11-21.")
    result = run_cli("checklists", "validate", str(checklist), data_dir=tmp_path / "data")
    assert result.returncode == 0, result.stdout + result.stderr


def test_checklists_show_writes_the_reviewed_date_in_words(tmp_path: Path) -> None:
    result = run_cli(
        "--region", "US", "checklists", "show", "device-access", data_dir=tmp_path / "data"
    )
    assert result.returncode == 0, result.stderr
    assert "Reviewed 20" not in result.stdout
    assert re.search(r"Reviewed \w+day, \w+ \d+, 20\d\d; \d+ questions", result.stdout)


def test_a_canadian_walk_sends_people_to_their_own_province_first(tmp_path: Path) -> None:
    result = run_cli(
        "--region", "CA", "walk", "--plain", input="s\n" * 200, data_dir=tmp_path / "data"
    )
    assert result.returncode == 0, result.stderr
    words = " ".join(result.stdout.split())
    assert "talk to a victim service in your province" in words
    assert "or in British Columbia and Yukon, VictimLinkBC (1-800-563-0808)" in words
    assert "talk to VictimLinkBC" not in words  # never the one province's line alone


@pytest.mark.parametrize(
    "placeholder", ["{help: stalking}", "{help:STALKING}", "{help:}", "{Emergency}", "{help:a,,b}"]
)
def test_validate_rejects_a_misspelt_placeholder(tmp_path: Path, placeholder: str) -> None:
    checklist = _checklist_with(tmp_path, f"Talk to {placeholder} first.")
    result = run_cli("checklists", "validate", str(checklist), data_dir=tmp_path / "data")
    assert result.returncode != 0, placeholder
    assert "misspelt placeholder" in result.stdout + result.stderr, placeholder


def test_us_advice_names_a_us_line_for_stalking_too() -> None:
    from devicecheck.core.helplines import help_phrase, line_for_role

    line = line_for_role("US", "stalking")
    assert line is not None and line.number == "855-484-2846"
    assert line.source.startswith("https://ovc.ojp.gov/")
    assert help_phrase("US").startswith("the VictimConnect Resource Center (855-484-2846) or ")
