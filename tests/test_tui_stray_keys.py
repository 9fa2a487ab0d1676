"""A sentence typed anywhere in the walkthrough records no answer, starts no scan, writes nothing."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.confirm import ConfirmScreen
from devicecheck.tui.components.summary import SummaryScreen
from devicecheck.tui.components.walkthrough import WalkthroughScreen
from tests.conftest import wait_for

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
SIZE = (80, 24)
# Every letter the old walkthrough bound (y n u s b f d c e), spaces, and Enter twice.
SENTENCE = "not sure which email is the recovery one, yes? skip. check every device first"


async def type_text(pilot, text: str) -> None:
    for char in text:
        await pilot.press("space" if char == " " else char)


def open_app(data_dir: Path, mode: str = "self") -> tuple[DeviceCheckApp, str]:
    caseworker = CaseworkerDetails("Sam Worker", "Safe Org", "C-1") if mode != "self" else None
    store = SessionStore(DataDir(data_dir))
    session = store.create(mode=mode, checklists=["sample-area"], caseworker=caseworker)
    if caseworker is not None:
        session.record_consent("walkthrough", "explained", "given", "Sam Worker")
        store.save(session)
    app = DeviceCheckApp(data_dir=str(data_dir), session_id=session.id, checklist_paths=[SAMPLE])
    return app, session.id


async def test_a_typed_sentence_goes_into_the_note_and_nothing_else(data_dir: Path) -> None:
    app, session_id = open_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        first = walk.index
        note = walk.query_one("#note", Input)
        await wait_for(pilot, lambda: note.has_focus)
        await type_text(pilot, SENTENCE)
        await pilot.press("enter")
        await type_text(pilot, SENTENCE)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is walk and walk.index == first
        assert note.value == SENTENCE + SENTENCE
        assert "Note kept" in str(walk.query_one("#keys").render())
    saved = SessionStore(DataDir(data_dir)).load(session_id)
    assert saved.answers == {} and saved.scans == [] and saved.findings == []
    assert not (DataDir(data_dir).evidence / "log.jsonl").exists()


async def test_in_a_caseworker_session_both_note_boxes_take_the_sentence(data_dir: Path) -> None:
    app, session_id = open_app(data_dir, "caseworker")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        await type_text(pilot, SENTENCE)
        await pilot.press("enter")  # moves on to the caseworker's box
        assert walk.query_one("#cw-note", Input).has_focus
        await type_text(pilot, SENTENCE)
        await pilot.press("enter")  # and back to the client's box: never onto an answer
        assert walk.query_one("#note", Input).has_focus
        await type_text(pilot, SENTENCE)
        await pilot.pause()
        assert app.screen is walk
    saved = SessionStore(DataDir(data_dir)).load(session_id)
    assert saved.answers == {} and saved.caseworker_notes == []
    assert not (DataDir(data_dir).evidence / "log.jsonl").exists()


async def test_letters_on_the_summary_do_nothing(data_dir: Path) -> None:
    app, session_id = open_app(data_dir, "caseworker")
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        summary = app.screen
        await type_text(pilot, SENTENCE)
        await pilot.pause()
        assert app.screen is summary
    saved = SessionStore(DataDir(data_dir)).load(session_id)
    assert saved.action_plan == [] and saved.caseworker_notes == [] and saved.ended_at is None
    assert not (data_dir / "reports").exists()
    assert not (DataDir(data_dir).evidence / "log.jsonl").exists()


async def test_the_answer_keys_are_said_on_screen(data_dir: Path) -> None:
    app, _ = open_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        hint = str(app.screen.query_one("#keys").render())
        buttons = [str(b.label) for b in app.screen.query("#answers Button")]
    assert "Typing only fills the note" in hint
    assert buttons == ["Yes Ctrl+Y", "No Ctrl+N", "Not sure Ctrl+T", "Skip Ctrl+S"]


async def test_after_a_click_on_an_answer_the_next_question_takes_the_sentence(
    data_dir: Path,
) -> None:
    """A click focuses the button it presses: the next question must still give the note box
    focus, or Enter would press that button again and answer a question nobody read."""
    app, session_id = open_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        await wait_for(pilot, lambda: walk.query_one("#no").region.height > 0)
        await pilot.click("#no")
        await wait_for(pilot, lambda: walk.index == 1)
        note = walk.query_one("#note", Input)
        assert note.has_focus
        await type_text(pilot, SENTENCE)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is walk and walk.index == 1
        assert note.value == SENTENCE
    saved = SessionStore(DataDir(data_dir)).load(session_id)
    assert list(saved.answers) == [walk.stops[0].item.id]


async def test_after_a_clicked_yes_and_not_now_the_next_question_takes_the_sentence(
    data_dir: Path,
) -> None:
    app, session_id = open_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        first = walk.stops[0].item.id
        await wait_for(pilot, lambda: walk.query_one("#yes").region.height > 0)
        await pilot.click("#yes")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # "Not now" has focus
        await wait_for(pilot, lambda: app.screen is walk and walk.index == 1)
        note = walk.query_one("#note", Input)
        await wait_for(pilot, lambda: note.has_focus)
        await type_text(pilot, SENTENCE)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen is walk and walk.index == 1
        assert note.value == SENTENCE
    saved = SessionStore(DataDir(data_dir)).load(session_id)
    assert list(saved.answers) == [first]
    assert not (DataDir(data_dir).evidence / "log.jsonl").exists()
