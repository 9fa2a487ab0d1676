"""The shipped content: eight areas, complete items, cautions where a step could alert someone."""

from __future__ import annotations

import re

import pytest

from devicecheck.core.checklists import Item, load_checklists
from devicecheck.core.helplines import load_helplines, region_for
from devicecheck.errors import DeviceCheckError
from tests.conftest import run_cli

AREAS = (
    "shared-accounts",
    "location-sharing",
    "smart-home",
    "social-media",
    "device-access",
    "phone-carrier",
    "trackers-cars",
    "evidence-safety",
)
RISKY_ACTION = re.compile(
    r"\b(remov|revok|reset|delet|disabl|turn(ing)? (it |this |them )?off|uninstall|sign(ing)? (them |it )?out|"
    r"log(ging)? (them |it )?out|block|stop sharing|change (your |the )?(password|passcode|pin))",
    re.IGNORECASE,
)


def all_items() -> list[Item]:
    return [item for checklist in load_checklists().checklists for item in checklist.all_items()]


def test_eight_areas_in_order_with_enough_items() -> None:
    checklists = load_checklists().checklists
    assert tuple(c.id for c in checklists) == AREAS
    assert sum(len(c.items) for c in checklists) >= 60
    for checklist in checklists[:4]:
        assert len(checklist.items) >= 8, checklist.id


@pytest.mark.parametrize("item", all_items(), ids=lambda item: item.id)
def test_every_item_is_complete(item: Item) -> None:
    assert item.steps and all(text.strip() for _, text in item.steps)
    assert item.sources and all(url.startswith("https://") for url in item.sources)
    assert item.reviewed.year >= 2025
    for text in (item.question, item.why, item.if_yes, item.evidence_hint):
        assert len(text.split()) >= 4


@pytest.mark.parametrize(
    "item", [i for i in all_items() if RISKY_ACTION.search(i.if_yes)], ids=lambda item: item.id
)
def test_risky_steps_carry_a_caution(item: Item) -> None:
    assert item.caution, (
        f"{item.id}: if_yes asks for a change that may alert someone, but has no caution"
    )
    assert re.search(
        r"notice|alert|told|email|find out|aware|see|get back", item.caution, re.IGNORECASE
    )


def test_the_risky_action_pattern_is_not_vacuous() -> None:
    flagged = [i for i in all_items() if RISKY_ACTION.search(i.if_yes)]
    assert len(flagged) >= 20


def test_checklists_show_prints_an_area_readably() -> None:
    result = run_cli("checklists", "show", "location-sharing")
    assert result.returncode == 0, result.stderr
    checklist = load_checklists().get("location-sharing")
    assert result.stdout.startswith(checklist.title)
    for item in checklist.items:
        assert item.title in result.stdout
    assert "**" not in result.stdout
    prose = [line for line in result.stdout.splitlines() if "https://" not in line]
    assert max(len(line) for line in prose) <= 80


def test_helplines_cover_the_regions_with_sources() -> None:
    book = load_helplines()
    assert book.codes()[0] == "GB"
    assert {"GB", "US", "IE", "CA", "AU"} <= set(book.codes())
    gb = region_for("GB")
    assert gb.emergency.number == "999"
    assert "999" in gb.emergency.text
    numbers = {line.name: line.number for line in gb.lines}
    assert numbers["National Stalking Helpline"] == "0808 802 0300"
    assert numbers["National Domestic Abuse Helpline"] == "0808 2000 247"
    for region in book.regions:
        assert region.emergency.source.startswith("https://")
        assert all(line.source.startswith("https://") for line in region.lines)
    assert region_for("us").emergency.number.replace("-", "") == "911"
    with pytest.raises(DeviceCheckError):
        region_for("ZZ")
