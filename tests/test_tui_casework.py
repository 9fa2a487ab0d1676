"""Pilot tests of the caseworker's action plan and session notes on the summary screen."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.action import ActionModal
from devicecheck.tui.components.note import NoteModal
from devicecheck.tui.components.summary import SummaryScreen
from devicecheck.tui.components.walkthrough import WalkthroughScreen
from tests.conftest import wait_for

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
SIZE = (80, 24)
CASEWORKER = CaseworkerDetails(name="Priya Shah", organisation="Safe Steps", client_ref="C-17")


def new_session(data_dir: Path, mode: str):
    caseworker = CASEWORKER if mode == "caseworker" else None
    store = SessionStore(DataDir(data_dir))
    return store.create(mode=mode, checklists=["sample-area"], caseworker=caseworker)


async def open_summary(pilot, app: DeviceCheckApp) -> SummaryScreen:
    await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
    await pilot.press("ctrl+r")
    await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
    return app.screen


def open_app(data_dir: Path, session_id: str) -> DeviceCheckApp:
    return DeviceCheckApp(data_dir=str(data_dir), session_id=session_id, checklist_paths=[SAMPLE])


def fill(screen, values: dict[str, str]) -> None:
    for key, text in values.items():
        screen.query_one(f"#{key}", Input).value = text


async def test_action_and_note_added_in_the_ui_are_saved_in_the_session(data_dir: Path) -> None:
    session = new_session(data_dir, "caseworker")
    app = open_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        summary = await open_summary(pilot, app)
        assert summary.query_one("#add-action").display
        await pilot.press("ctrl+a")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionModal))
        caution = app.screen.query_one("#caution", Input)
        assert caution.placeholder == "the other person may notice lost access or a new password"
        fill(
            app.screen,
            {
                "what": "Change the email password from a safe device",
                "who": "client",
                "by-when": "2026-12-01",
                "caution": "he may notice the logout; record the login list first",
            },
        )
        await pilot.click("#save")
        await wait_for(pilot, lambda: app.screen is summary)
        await pilot.click("#add-note")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteModal))
        app.screen.query_one("#text", Input).value = "Client calm; wants to act after the hearing"
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is summary)
        shown = summary.query_one("#casework").source
        assert "Change the email password from a safe device" in shown
        assert "Client calm; wants to act after the hearing (caseworker Priya Shah" in shown
        messages = [n.message for n in app._notifications]
        assert "Step added to the action plan." in messages and "Note saved." in messages

    saved = SessionStore(DataDir(data_dir)).load(session.id)
    (step,) = saved.action_plan
    assert (step.what, step.who, step.by_when) == (
        "Change the email password from a safe device",
        "client",
        "2026-12-01",
    )
    assert step.caution == "he may notice the logout; record the login list first"
    (note,) = saved.caseworker_notes
    assert note.text == "Client calm; wants to act after the hearing"
    assert note.author == "Priya Shah" and note.item_id is None
    # The caseworker's note stays apart from the client's answers.
    assert saved.answers == {}


async def test_a_bad_date_is_one_notice_and_nothing_is_saved(data_dir: Path) -> None:
    session = new_session(data_dir, "caseworker")
    app = open_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await open_summary(pilot, app)
        await pilot.press("ctrl+a")
        await wait_for(pilot, lambda: isinstance(app.screen, ActionModal))
        modal = app.screen
        fill(modal, {"what": "Check the car", "who": "police", "by-when": "next Tuesday"})
        await pilot.click("#save")
        await wait_for(pilot, lambda: any("next Tuesday" in n.message for n in app._notifications))
        (notice,) = [n for n in app._notifications if n.severity == "error"]
        assert "\n" not in notice.message and "date" in notice.message
        # The dialog stays open with what was typed, so nothing is lost.
        assert app.screen is modal and modal.query_one("#what", Input).value == "Check the car"
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        assert app.is_running
    saved = SessionStore(DataDir(data_dir)).load(session.id)
    assert saved.action_plan == [] and saved.caseworker_notes == []


async def test_an_empty_note_is_refused_and_not_saved(data_dir: Path) -> None:
    session = new_session(data_dir, "caseworker")
    app = open_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await open_summary(pilot, app)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteModal))
        await pilot.click("#save")
        await wait_for(pilot, lambda: any("empty" in n.message for n in app._notifications))
        assert isinstance(app.screen, NoteModal)
    assert SessionStore(DataDir(data_dir)).load(session.id).caseworker_notes == []


async def test_a_self_session_summary_has_no_action_plan(data_dir: Path) -> None:
    session = new_session(data_dir, "self")
    app = open_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        summary = await open_summary(pilot, app)
        assert not summary.query("#add-action") and not summary.query("#add-note")
        assert not summary.query("#casework")
        await pilot.press("ctrl+a")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert app.screen is summary
    saved = SessionStore(DataDir(data_dir)).load(session.id)
    assert saved.action_plan == [] and saved.caseworker_notes == []
