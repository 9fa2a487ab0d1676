"""The shipped content: nine areas, complete items, cautions where a step could alert someone."""

from __future__ import annotations

import re

import pytest

from devicecheck.core.checklists import Item, load_checklists
from devicecheck.core.helplines import fill_help, load_helplines, region_for
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
    "children-handovers",
)
# Promises the tool cannot keep: that the other person will not see or learn of a change.
FALSE_PROMISE = re.compile(
    r"not visible|will not be seen|won't be seen|won't know|will not know|cannot see|"
    r"can't see|will never know|won't notice|will not notice|undetectable",
    re.IGNORECASE,
)
# Where one of those phrases describes a limit of a check or a feature, not a promise.
LIMITATION = re.compile(
    r"cannot see (it|them|everything|all|whose)|check cannot|scan cannot|app cannot|"
    r"tile cannot|which it cannot see|you cannot see|it cannot see",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"[.!?](?:\s|$)")
RISKY_ACTION = re.compile(
    r"\b(remov|revok|reset|delet|disabl|turn(ing)? (it |this |them )?off|uninstall|sign(ing)? (them |it )?out|"
    r"log(ging)? (them |it )?out|block|stop sharing|change (your |the )?(password|passcode|pin))",
    re.IGNORECASE,
)


# Items added in the second edition: each cites a vendor's, a government's or a safety
# charity's own page, not only press or blogs.
NEW_ITEMS = (
    "accounts-messages-other-devices",
    "accounts-trusted-numbers",
    "accounts-password-manager",
    "accounts-shared-albums",
    "money-joint-accounts",
    "money-banking-apps",
    "money-payments-subscriptions",
    "location-significant-locations",
    "location-google-timeline",
    "location-instagram-map",
    "location-fitness-wearables",
    "home-router-admin",
    "home-router-devices",
    "home-tv-consoles",
    "social-image-abuse",
    "social-dating-apps",
    "carrier-voicemail-pin",
    "carrier-esim-transfer",
    "carrier-spoofed-calls",
    "children-own-devices",
    "children-family-link",
    "children-apple-family",
    "children-smartwatch",
    "children-gifts-toys",
    "children-after-contact",
    "children-out-of-the-conflict",
)
TRUSTED_SOURCE = re.compile(
    r"^https://(?:[a-z0-9-]+\.)*(?:apple\.com|google\.com|blog\.google|microsoft\.com|amazon\.[a-z.]+|"
    r"ring\.com|strava\.com|meta\.com|whatsapp\.com|snapchat\.com|samsung\.com|smile\.co\.uk|"
    r"gov\.uk|gov\.wales|gov\.scot|police\.uk|fcc\.gov|ofcom\.org\.uk|gsma\.com|"
    r"refuge\.org\.uk|refugetechsafety\.org|techsafety\.org|techsafety\.ca|safelives\.org\.uk|"
    r"swgfl\.org\.uk|stopncii\.org|survivingeconomicabuse\.org|womenslaw\.org|esafety\.gov\.au)/"
    r"|^https://buttondown\.com/RefugeTechSafety/"
)


def all_items() -> list[Item]:
    return [item for checklist in load_checklists().checklists for item in checklist.all_items()]


def test_nine_areas_in_order_with_enough_items() -> None:
    checklists = load_checklists().checklists
    assert tuple(c.id for c in checklists) == AREAS
    assert sum(len(c.items) for c in checklists) >= 100
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


def item_texts(item: Item) -> list[str]:
    texts = [item.title, item.question, item.why, item.if_yes, item.evidence_hint]
    return texts + [item.caution or ""] + [text for _, text in item.steps]


@pytest.mark.parametrize("item", all_items(), ids=lambda item: item.id)
def test_no_item_promises_the_other_person_will_not_see(item: Item) -> None:
    for text in item_texts(item):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if FALSE_PROMISE.search(sentence) and not LIMITATION.search(sentence):
                pytest.fail(f"{item.id}: promises what no one can promise: {sentence!r}")


def test_the_promise_check_catches_the_reviewed_wording() -> None:
    for sentence in ("Turning alerts on is not visible to the owner.", "This will not be seen."):
        assert FALSE_PROMISE.search(sentence) and not LIMITATION.search(sentence)


@pytest.mark.parametrize("item", [i for i in all_items() if i.caution], ids=lambda item: item.id)
def test_cautions_are_short_and_name_help_by_role(item: Item) -> None:
    caution = " ".join((item.caution or "").split())
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", caution) if s.strip()]
    assert len(sentences) <= 2, (
        f"{item.id}: caution has {len(sentences)} sentences (keep it under 3)"
    )
    assert "{help:" in caution or "{emergency}" in caution, f"{item.id}: caution names no help"


def test_every_new_item_cites_a_vendor_government_or_charity_page() -> None:
    checklists = load_checklists()
    for item_id in NEW_ITEMS:
        item = checklists.item(item_id)
        assert item.reviewed.isoformat() == "2026-11-30", item_id
        assert any(TRUSTED_SOURCE.match(url) for url in item.sources), item_id


def test_the_trusted_source_pattern_is_not_vacuous() -> None:
    assert TRUSTED_SOURCE.match("https://support.apple.com/en-gb/HT205064")
    assert not TRUSTED_SOURCE.match("https://www.zdnet.com/article/x")
    assert not TRUSTED_SOURCE.match("https://apple.com.example.net/x")


ESSENTIALS_ORDER = (
    "evidence-safe-now",
    "evidence-safer-device",
    "accounts-apple-devices",
    "accounts-google-devices",
    "accounts-microsoft-activity",
    "location-find-my-people",
    "location-google-maps-sharing",
    "location-family-locator-apps",
    "location-snap-map",
    "accounts-recovery-details",
    "trackers-alert-received",
    "evidence-talk-before-changes",
)
WORDS_PER_MINUTE = 150


def essentials() -> list[Item]:
    marked = [item for item in all_items() if item.essential is not None]
    return sorted(marked, key=lambda item: item.essential or 0)


def test_the_essentials_path_is_marked_in_order() -> None:
    path = essentials()
    assert 8 <= len(path) <= 15
    assert [item.essential for item in path] == list(range(1, len(path) + 1))
    assert tuple(item.id for item in path) == ESSENTIALS_ORDER


def test_the_whole_essentials_path_reads_in_under_twenty_minutes() -> None:
    words = 0
    for item in essentials():
        words += sum(len(fill_help(text, "GB").split()) for text in item_texts(item))
    assert words / WORDS_PER_MINUTE < 20, f"{words} words"


@pytest.mark.parametrize("item", essentials(), ids=lambda item: item.id)
def test_essentials_are_written_for_a_first_sitting(item: Item) -> None:
    assert item.caution, f"{item.id}: an essential needs a caution, shown before its steps"
    assert item.reviewed.isoformat() == "2026-11-30"
    for text in (item.question, item.why, item.if_yes):
        for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            assert len(sentence.split()) <= 30, f"{item.id}: long sentence {sentence!r}"


def test_the_tracker_alert_settings_come_after_the_account_checks() -> None:
    order = [item.id for checklist in load_checklists().checklists for item in checklist.items]
    assert order.index("trackers-iphone-alerts") > order.index("accounts-apple-devices")
    assert order.index("trackers-iphone-alerts") > order.index("accounts-recovery-details")
    text = load_checklists().item("trackers-iphone-alerts")
    assert "Apple Account" in dict(text.steps)["ios"].split("Then check")[0]
    assert "Find My" in (text.caution or "") and "off" in (text.caution or "")


def test_the_passcode_item_says_refusing_may_not_be_safe_and_not_your_fault() -> None:
    item = load_checklists().item("device-unlock-access")
    text = " ".join(item_texts(item))
    assert "not your fault" in text
    assert re.search(r"refus\w* .{0,80}may not be safe", " ".join(text.split()), re.IGNORECASE)


def test_plain_item_text_puts_the_caution_before_the_steps() -> None:
    from devicecheck.cli.item_text import item_text

    rendered = item_text(load_checklists().item("accounts-apple-devices"), ["ios"])
    assert rendered.index("CAUTION:") < rendered.index("Steps (")


@pytest.mark.parametrize("item", all_items(), ids=lambda item: item.id)
def test_items_stay_short_apart_from_their_steps(item: Item) -> None:
    prose = [item.title, item.question, item.why, item.caution or "", item.if_yes]
    prose.append(item.evidence_hint)
    words = sum(len(fill_help(text, "GB").split()) for text in prose)
    assert words <= 250, f"{item.id}: {words} words before its steps"
