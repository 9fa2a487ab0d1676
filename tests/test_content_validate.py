"""`checklists validate` rejects help written as a phone number and placeholders for unknown roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.checklists import load_checklists, phone_numbers_in
from tests.conftest import run_cli

ITEM = """\
id: planted
title: Planted
summary: A checklist planted to test the validator.
reviewed: 2026-11-30
items:
  - id: planted-item
    title: A planted item
    question: Is this a planted question for the test?
    why: Because the validator must read every text field.
    steps:
      any: |
        {steps}
    caution: >-
      {caution}
    if_yes: Record it first and then change it when safe.
    evidence_hint: A screenshot with the date and time.
    severity: low
    sources:
      - https://support.apple.com/en-gb/guide/personal-safety/welcome/web
"""


def plant(tmp_path: Path, steps: str = "Open Settings.", caution: str = "Record it first.") -> Path:
    path = tmp_path / "planted.yaml"
    path.write_text(ITEM.format(steps=steps, caution=caution), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "caution",
    [
        "Call the National Stalking Helpline (0808 802 0300) first.",
        "Call the hotline at 800-799-7233 first.",
        "Call 800-799-SAFE first.",
        "Ring +44 808 802 0300 first.",
        "If you are in danger, call 999.",
        "Text 88788 to reach the hotline.",
    ],
)
def test_validate_rejects_a_phone_number_in_a_caution(tmp_path: Path, caution: str) -> None:
    result = run_cli("checklists", "validate", str(plant(tmp_path, caution=caution)))
    assert result.returncode == 1
    assert "has a phone number" in result.stdout
    assert "planted.yaml:" in result.stdout


def test_validate_rejects_a_phone_number_in_steps(tmp_path: Path) -> None:
    result = run_cli("checklists", "validate", str(plant(tmp_path, steps="Dial 0808 2000 247.")))
    assert result.returncode == 1 and "has a phone number" in result.stdout


def test_validate_accepts_placeholders_and_carrier_codes(tmp_path: Path) -> None:
    steps = (
        "Dial *#21# and ##002#, then talk to {help:stalking,domestic-abuse}. iOS 17 and 48 hours."
    )
    result = run_cli("checklists", "validate", str(plant(tmp_path, steps=steps)))
    assert result.returncode == 0, result.stdout


def test_validate_rejects_a_placeholder_for_an_unknown_role(tmp_path: Path) -> None:
    result = run_cli(
        "checklists", "validate", str(plant(tmp_path, caution="Talk to {help:astrology}."))
    )
    assert result.returncode == 1 and "unknown help role 'astrology'" in result.stdout


def test_the_shipped_checklists_hold_no_phone_numbers() -> None:
    for checklist in load_checklists().checklists:
        for item in checklist.all_items():
            texts = [item.title, item.question, item.why, item.if_yes, item.evidence_hint]
            texts += [item.caution or "", *(text for _, text in item.steps)]
            assert not any(phone_numbers_in(text) for text in texts), item.id


@given(st.text(alphabet="0123456789 -().+#*abcSAFE", max_size=40))
def test_phone_number_finder_never_fails(text: str) -> None:
    for number in phone_numbers_in(text):
        assert number in text
