"""The flow defects of issue 12, each tried as a person would meet it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, OptionList

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.sessions import CaseworkerDetails, SessionStore
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.caseworker import CaseworkerScreen
from devicecheck.tui.components.confirm import ConfirmScreen
from devicecheck.tui.components.consent import ConsentScreen
from devicecheck.tui.components.diary import DiaryScreen
from devicecheck.tui.components.entry import EntryScreen
from devicecheck.tui.components.incident import IncidentScreen
from devicecheck.tui.components.linking import SessionChoiceScreen
from devicecheck.tui.components.note import NoteModal
from devicecheck.tui.components.resume import ResumeScreen
from devicecheck.tui.components.setup import SetupScreen
from devicecheck.tui.components.summary import SummaryScreen
from devicecheck.tui.components.walkthrough import WalkthroughScreen
from devicecheck.tui.components.welcome import WelcomeScreen
from tests.conftest import assert_one_line_error, run_cli, wait_for

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
SIZE = (80, 24)
WORKER = CaseworkerDetails("Sam Worker", "Safe Org", "C-17")


def sample_app(data_dir: Path, session_id: str | None = None) -> DeviceCheckApp:
    return DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE], session_id=session_id)


def new_session(data_dir: Path, mode: str = "self", consent: bool = True):
    store = SessionStore(DataDir(data_dir))
    caseworker = WORKER if mode == "caseworker" else None
    session = store.create(mode=mode, checklists=["sample-area"], caseworker=caseworker)
    if caseworker is not None and consent:
        session.record_consent("walkthrough", "explained", "given", WORKER.name)
        store.save(session)
    return session


async def welcome_choice(pilot, choice: str) -> None:
    choices = pilot.app.screen.query_one("#choices", OptionList)
    await wait_for(pilot, lambda: "all areas, about" in str(choices.get_option("alone").prompt))
    for _ in range([option.id for option in choices.options].index(choice)):
        await pilot.press("down")
    await pilot.press("enter")


async def test_resume_opens_the_newest_session_on_enter_at_once(data_dir: Path) -> None:
    new_session(data_dir)
    new_session(data_dir)
    app = sample_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await welcome_choice(pilot, "resume")
        await wait_for(pilot, lambda: isinstance(app.screen, ResumeScreen))
        listing = app.screen.query_one("#sessions", OptionList)
        await wait_for(pilot, lambda: listing.option_count == 2 and listing.has_focus)
        first_listed = listing.get_option_at_index(0).id
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        assert app.screen.session.id == first_listed


async def test_enter_in_the_caseworker_note_box_moves_on(data_dir: Path) -> None:
    session = new_session(data_dir, "caseworker")
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        await wait_for(pilot, lambda: walk.query_one("#note", Input).has_focus)
        walk.query_one("#cw-note", Input).focus()
        await pilot.pause()
        await pilot.press("a", "enter")
        assert walk.query_one("#note", Input).has_focus
        assert "Note kept" in str(walk.query_one("#keys").render())


async def test_declining_then_agreeing_is_one_session_whose_report_shows_the_refusal(
    data_dir: Path, tmp_path: Path
) -> None:
    app = sample_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await welcome_choice(pilot, "caseworker")
        await wait_for(pilot, lambda: isinstance(app.screen, CaseworkerScreen))
        for key, text in {"name": "Sam Worker", "client-ref": "C-17"}.items():
            app.screen.query_one(f"#{key}", Input).value = text
        await pilot.click("#continue")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        setup = app.screen
        await pilot.click("#start")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsentScreen))
        await pilot.click("#declined")
        await wait_for(pilot, lambda: app.screen is setup)
        await pilot.click("#start")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsentScreen))
        await pilot.click("#given")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
    store = SessionStore(DataDir(data_dir))
    (session,) = store.list().sessions
    assert [(c.step, c.answer) for c in session.consents] == [
        ("walkthrough", "declined"),
        ("walkthrough", "given"),
    ]
    session.record_consent("report", "explained", "given", WORKER.name)
    store.save(session)
    report = tmp_path / "report.txt"
    result = run_cli("report", session.id, "--format", "txt", "-o", str(report), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    text = report.read_text(encoding="utf-8")
    assert "declined" in text and "given" in text


async def open_diary_entry(pilot, app) -> EntryScreen:
    await welcome_choice(pilot, "diary")
    await wait_for(pilot, lambda: isinstance(app.screen, DiaryScreen))
    table = app.screen.query_one("#entries", DataTable)
    await wait_for(pilot, lambda: table.row_count == 1 and table.has_focus)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, EntryScreen))
    return app.screen


async def test_a_diary_entry_opens_whole_and_takes_a_correction(data_dir: Path) -> None:
    long_text = "He was waiting at the station when I came back from work. " * 6
    with EvidenceLog(DataDir(data_dir)) as log:
        original = log.add_note(long_text.strip())
    app = sample_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        entry_screen = await open_diary_entry(pilot, app)
        text = entry_screen.query_one("#text")
        await wait_for(pilot, lambda: long_text.strip() in text.source)
        await pilot.click("#correct")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteModal))
        app.screen.query_one("#text", Input).value = "It was the bus stop, not the station."
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "cannot be removed later" in str(app.screen.query_one("#text").render())
        await pilot.click("#yes")
        await wait_for(pilot, lambda: "bus stop" in text.source)
    log = EvidenceLog(DataDir(data_dir))
    (amendment,) = log.amendments_of(original.id)
    assert amendment.data["note"] == "It was the bus stop, not the station."
    assert log.get(original.id).data == original.data  # the entry itself never changes


async def test_a_correction_is_not_written_when_the_person_says_not_now(data_dir: Path) -> None:
    with EvidenceLog(DataDir(data_dir)) as log:
        original = log.add_note("A note")
    app = sample_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await open_diary_entry(pilot, app)
        await pilot.click("#correct")
        await wait_for(pilot, lambda: isinstance(app.screen, NoteModal))
        app.screen.query_one("#text", Input).value = "correction"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # the focus is on "Not now"
        await wait_for(pilot, lambda: isinstance(app.screen, EntryScreen))
    assert EvidenceLog(DataDir(data_dir)).amendments_of(original.id) == []


async def add_incident(pilot, app, what: str) -> None:
    await wait_for(pilot, lambda: isinstance(app.screen, DiaryScreen))
    await pilot.press("ctrl+g")
    await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen))
    app.screen.query_one("#what", Input).value = what
    await pilot.click("#save")
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
    await pilot.click("#yes")


async def test_an_incident_added_during_a_session_is_linked_to_it(data_dir: Path) -> None:
    session = new_session(data_dir)
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("ctrl+l")
        await add_incident(pilot, app, "He sent a message from a new number")
        await wait_for(pilot, lambda: isinstance(app.screen, DiaryScreen))
    (entry,) = EvidenceLog(DataDir(data_dir)).entries(kind="incident")
    assert entry.session == session.id


async def test_a_self_session_asks_which_session_when_several_caseworkers_are_here(
    data_dir: Path,
) -> None:
    new_session(data_dir, "caseworker")
    other = new_session(data_dir, "caseworker")
    session = new_session(data_dir)
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("ctrl+l")
        await add_incident(pilot, app, "A tracker in my bag")
        await wait_for(pilot, lambda: isinstance(app.screen, SessionChoiceScreen))
        choices = app.screen.query_one("#sessions", OptionList)
        ids = [option.id for option in choices.options]
        assert ids[0] == session.id and other.id in ids and ids[-1] == "-"
        for _ in range(ids.index(other.id)):
            await pilot.press("down")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DiaryScreen))
        log = EvidenceLog(DataDir(data_dir))
        await wait_for(pilot, lambda: bool(log.entries(kind="incident")))
    (entry,) = EvidenceLog(DataDir(data_dir)).entries(kind="incident")
    assert entry.session == other.id


async def test_notices_never_cover_the_note_box_or_the_buttons(data_dir: Path) -> None:
    session = new_session(data_dir)
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        for number in range(3):
            app.notify(f"Saved to your evidence log: notice {number} " * 3, timeout=30)
        await pilot.pause(0.3)
        toasts = list(app.screen.query("Toast"))
        assert len(toasts) == 3
        kept_clear = [walk.query_one("#note").region, walk.query_one("#answers").region]
        for toast in toasts:
            for region in kept_clear:
                assert not toast.region.overlaps(region), (toast.region, region)


def test_the_walkthrough_refuses_a_pipe_in_one_line(data_dir: Path) -> None:
    result = run_cli(data_dir=data_dir, input="")
    assert_one_line_error(result, 2)
    assert result.stderr.strip() == (
        "devicecheck: error: the walkthrough needs a terminal; try walk --plain"
    )
    assert "\x1b" not in result.stdout + result.stderr
    walk = run_cli("walk", data_dir=data_dir, input="")
    assert walk.returncode == 2 and "needs a terminal" in walk.stderr


@pytest.mark.parametrize("key", ["escape", "q"])
async def test_the_welcome_closes_with_escape_or_q(data_dir: Path, key: str) -> None:
    app = sample_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        await pilot.press(key)
        await pilot.pause()
    assert not app.is_running and app.return_value is None


async def test_the_caseworker_summary_shows_the_case_the_consents_notes_and_scan(
    data_dir: Path,
) -> None:
    session = new_session(data_dir, "caseworker")
    session.record_consent("scan", "explained", "declined", WORKER.name)
    session.add_caseworker_note("client unsure about the iPad", WORKER.name, "sample-devices")
    session.scans.append(
        {"started_at": "2026-11-24T10:00:00+00:00", "finished_at": "2026-11-24T10:00:05+00:00",
         "finding_count": 2}
    )  # fmt: skip
    SessionStore(DataDir(data_dir)).save(session)
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        shown = app.screen.query_one("#casework").source
    assert "Case reference: C-17" in shown
    assert "The questions: the client agreed" in shown
    assert "Scanning this computer: the client did not agree" in shown
    assert "Devices on your account: client unsure about the iPad" in shown
    assert "Scan of this computer (2026-11-24 10:00 UTC): 2 found" in shown


async def test_end_session_asks_first_then_records_the_end(data_dir: Path) -> None:
    session = new_session(data_dir)
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        summary = app.screen
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("enter")  # "Not now"
        await wait_for(pilot, lambda: app.screen is summary)
        assert SessionStore(DataDir(data_dir)).load(session.id).ended_at is None
        await pilot.press("ctrl+d")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.click("#yes")
        store = SessionStore(DataDir(data_dir))
        await wait_for(pilot, lambda: store.load(session.id).ended_at is not None)
        await wait_for(pilot, lambda: app.current_session is None)


async def test_an_answer_saved_after_the_frame_is_still_on_disk_after_a_quick_exit(
    data_dir: Path,
) -> None:
    """The session file is written once the next question is drawn; a quick exit before that
    (the same moment as the answer) still leaves the answer in the file."""
    session = new_session(data_dir)
    app = sample_app(data_dir, session.id)
    async with app.run_test(size=SIZE) as pilot:
        # The action is called directly, not through a key: wait until the screen is drawn
        # (a key could not reach it before), or it finds none of its widgets yet.
        await wait_for(
            pilot,
            lambda: isinstance(app.screen, WalkthroughScreen) and app.screen.query("#area-bar"),
        )
        screen = app.screen
        item_id = screen.stops[screen.index].item.id
        screen.action_answer("unsure")  # no refresh between this and the exit
        app.action_quick_exit()
        await pilot.pause()
    saved = SessionStore(DataDir(data_dir)).load(session.id)
    assert saved.answers[item_id].value == "unsure"


async def test_a_failed_save_after_the_frame_is_shown_and_tried_again(data_dir: Path) -> None:
    session = new_session(data_dir)
    app = sample_app(data_dir, session.id)
    path = SessionStore(DataDir(data_dir)).path_for(session.id)
    kept = path.with_name("kept")
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        screen = app.screen
        first = screen.stops[screen.index].item.id
        path.rename(kept)
        path.mkdir()  # a folder where the file goes: the save fails (even for root)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: any("save" in (n.title or "") for n in app._notifications))
        path.rmdir()
        kept.rename(path)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
    saved = SessionStore(DataDir(data_dir)).load(session.id)
    assert first in saved.answers and len(saved.answers) == 2
