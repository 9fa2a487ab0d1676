"""Small terminals: at 60x20 dialogs fit with no word cut, the caution is on screen above the
answers, counters are whole; at 80x24 the question's heading shows in full."""

from __future__ import annotations

import html
import re
from pathlib import Path

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.confirm import ConfirmScreen
from devicecheck.tui.components.consent import ConsentScreen
from devicecheck.tui.components.scan import EVIDENCE_CONSENT, SCAN_CONSENT
from devicecheck.tui.components.setup import WALKTHROUGH_CONSENT
from devicecheck.tui.components.walkthrough import SAVE_FINDING_TEXT, WalkthroughScreen
from tests.conftest import wait_for

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
SMALL = (60, 20)
_TEXT = re.compile(r'<text [^>]*clip-path="url\(#[^"]*-line-(\d+)\)">(.*?)</text>')
_DRAWING = re.compile("[\u2500-\u259f]")  # borders, bars and scrollbars


def screen_words(app: DeviceCheckApp) -> str:
    """The words on screen, line by line joined with spaces, from the screenshot."""
    lines: dict[int, list[str]] = {}
    for match in _TEXT.finditer(app.export_screenshot()):
        lines.setdefault(int(match.group(1)), []).append(html.unescape(match.group(2)))
    text = " ".join("".join(parts) for _, parts in sorted(lines.items()))
    return " ".join(_DRAWING.sub(" ", text.replace("\xa0", " ")).split())


def words_of(text: str) -> str:
    return " ".join(text.split())


async def test_counters_are_whole_with_a_hundred_questions_at_60x20(data_dir: Path) -> None:
    session = SessionStore(DataDir(data_dir)).create()
    app = DeviceCheckApp(data_dir=str(data_dir), session_id=session.id)
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.pause()
        walk = app.screen
        total = len(walk.stops)
        assert total >= 100
        for label_id in ("#area-count", "#overall-count"):
            label = walk.query_one(label_id)
            text = str(label.render())
            assert label.region.width >= len(text) and label.region.right <= SMALL[0]
        assert f"0/{total}" in screen_words(app)


async def test_the_caution_is_on_screen_above_the_answers_at_60x20(data_dir: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    session = store.create(checklists=["sample-area"])
    app = DeviceCheckApp(data_dir=str(data_dir), session_id=session.id, checklist_paths=[SAMPLE])
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.pause()
        walk = app.screen
        caution = walk.query_one("#caution")
        answers = walk.query_one("#answers")
        assert caution.display
        assert caution.region.height > 0 and caution.region.bottom <= answers.region.y
        shown = screen_words(app)
        assert "CAUTION: Removing a device may alert the other person. Record it first." in shown
        for button in walk.query("#answers Button"):
            assert button.region.right <= SMALL[0], button.label


async def test_the_heading_shows_in_full_at_80x24(data_dir: Path) -> None:
    session = SessionStore(DataDir(data_dir)).create()
    app = DeviceCheckApp(data_dir=str(data_dir), session_id=session.id)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        await wait_for(pilot, lambda: walk.query("#area-bar"))
        await pilot.pause()
        longest = max(walk.stops, key=lambda stop: len(stop.checklist.title))
        walk.index = walk.stops.index(longest)
        walk.show_stop()
        await pilot.pause()
        heading = words_of(str(walk.query_one("#area").render()))
        assert longest.checklist.title in heading
        assert heading in screen_words(app)


async def test_dialogs_fit_60_columns_with_every_word_whole(data_dir: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    session = store.create(mode="caseworker", caseworker=CaseworkerDetails("Sam", "Org", "C-1"))
    dialogs = [
        ConsentScreen(session, "walkthrough", WALKTHROUGH_CONSENT),
        ConsentScreen(session, "scan", SCAN_CONSENT),
        ConsentScreen(session, "evidence", EVIDENCE_CONSENT),
        ConfirmScreen("You found a concern", SAVE_FINDING_TEXT, "Save it", "Not now"),
    ]
    app = DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE])
    async with app.run_test(size=SMALL) as pilot:
        for dialog in dialogs:
            await app.push_screen(dialog)
            await pilot.pause()
            box = dialog.query_one("#dialog")
            assert box.region.x >= 0 and box.region.right <= SMALL[0]
            text = dialog.explained if isinstance(dialog, ConsentScreen) else dialog.text
            assert words_of(text) in screen_words(app), type(dialog).__name__
            for button in dialog.query("Button"):
                assert str(button.label) in screen_words(app)
            await app.pop_screen()


async def test_a_caution_scrolled_out_of_sight_is_announced_above(data_dir: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    session = store.create(checklists=["sample-area"])
    app = DeviceCheckApp(data_dir=str(data_dir), session_id=session.id, checklist_paths=[SAMPLE])
    async with app.run_test(size=SMALL) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.pause()
        walk = app.screen
        notice = walk.query_one("#more-above")
        assert not notice.display
        walk.query_one("#item").scroll_end(animate=False)
        await wait_for(pilot, lambda: notice.display)
        await pilot.pause()
        assert "More above: this question has a CAUTION" in screen_words(app)
        assert notice.region.bottom <= walk.query_one("#answers").region.y
        walk.query_one("#item").scroll_home(animate=False)
        await wait_for(pilot, lambda: not notice.display)


async def test_every_screen_keeps_its_buttons_and_the_safety_strip_whole_at_60x20(
    data_dir: Path,
) -> None:
    """At 60x20 every button of every screen and dialog (the phone, lock and protect screens
    too) lies inside the terminal with its whole label on screen, and the emergency line and
    the quick-exit key are visible."""
    from devicecheck.core.checklists import load_checklists
    from devicecheck.tui.components.action import ActionModal
    from devicecheck.tui.components.attach import AttachScreen
    from devicecheck.tui.components.caseworker import CaseworkerScreen
    from devicecheck.tui.components.cover_tracks import CoverTracksScreen
    from devicecheck.tui.components.diary import DiaryScreen
    from devicecheck.tui.components.incident import IncidentScreen
    from devicecheck.tui.components.linking import SessionChoiceScreen
    from devicecheck.tui.components.lock import LockScreen
    from devicecheck.tui.components.phone import PhoneScreen
    from devicecheck.tui.components.protect import ProtectModal
    from devicecheck.tui.components.resume import ResumeScreen
    from devicecheck.tui.components.scan import ScanScreen
    from devicecheck.tui.components.setup import SetupScreen
    from devicecheck.tui.components.summary import SummaryScreen
    from tests.test_tui_snapshots import fixed_scan_result

    store = SessionStore(DataDir(data_dir))
    worker = CaseworkerDetails("Sam Worker", "Safe Org", "C-17")
    own = store.create(checklists=["sample-area"])
    client = store.create(mode="caseworker", caseworker=worker, checklists=["sample-area"])
    checklists = load_checklists([SAMPLE]).checklists
    screens = {
        "cover your tracks": CoverTracksScreen(),
        "set-up": SetupScreen(),
        "caseworker details": CaseworkerScreen(),
        "resume": ResumeScreen(),
        "scan": ScanScreen(result=fixed_scan_result()),
        "phone": PhoneScreen(),
        "diary": DiaryScreen(),
        "incident": IncidentScreen(),
        "attach": AttachScreen(),
        "action": ActionModal(client),
        "which session": SessionChoiceScreen(own, [client]),
        "summary": SummaryScreen(own, checklists),
        "summary, caseworker": SummaryScreen(client, checklists),
        "walkthrough, caseworker": WalkthroughScreen(client, checklists),
        "consent": ConsentScreen(client, "scan", SCAN_CONSENT),
        "confirm": ConfirmScreen("You found a concern", SAVE_FINDING_TEXT, "Save it", "Not now"),
        "protect offer": ProtectModal(),
        "lock": LockScreen(),
    }
    app = DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE])
    problems: list[str] = []
    async with app.run_test(size=SMALL) as pilot:
        await pilot.pause()
        for name, screen in screens.items():
            await app.push_screen(screen)
            await pilot.pause(0.2)
            words = screen_words(app)
            if "call 999" not in words or "Quick exit: Ctrl+X or F12" not in words:
                problems.append(f"{name}: the safety strip is not whole")
            for button in app.screen.query("Button"):
                if not button.display:
                    continue
                label = str(button.label)
                if button.region.right > SMALL[0] or words_of(label) not in words:
                    problems.append(f"{name}: button {label!r} is cut off")
            await app.pop_screen()
    assert problems == [], "\n".join(problems)
