"""The essentials in the walkthrough: offered first with their time, then every area one step
away in the same session; and whether answers go to the evidence log is asked, not assumed."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from textual.widgets import OptionList

from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.sessions import SessionError, SessionStore, parse_session_bytes
from devicecheck.core.walkthrough import essentials_order, reading_minutes, walk_order
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.setup import SetupScreen
from devicecheck.tui.components.summary import SummaryScreen
from devicecheck.tui.components.walkthrough import WalkthroughScreen
from tests.conftest import wait_for

ESSENTIALS = Path(__file__).resolve().parent / "data" / "essentials"
SIZE = (80, 24)


def essentials_app(data_dir: Path) -> DeviceCheckApp:
    return DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[ESSENTIALS])


async def start(pilot, app: DeviceCheckApp, choice: str, keep_answers: bool = False) -> None:
    choices = app.screen.query_one("#choices", OptionList)
    await wait_for(pilot, lambda: "about" in str(choices.get_option("alone").prompt))
    for _ in range([option.id for option in choices.options].index(choice)):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
    if keep_answers:  # tick it as a person would: focus the box, then Space
        app.screen.query_one("#keep-answers").focus()
        await pilot.press("space")
        assert "[x] Also keep my answers" in str(
            app.screen.query_one("#keep-answers").get_option("keep").prompt
        )
    await pilot.click("#start")
    await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))


async def test_the_essentials_come_first_with_their_time_then_every_area(data_dir: Path) -> None:
    checklists = load_checklists([ESSENTIALS]).checklists
    path = essentials_order(checklists, [], {})
    app = essentials_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        choices = app.screen.query_one("#choices", OptionList)
        await wait_for(pilot, lambda: "about" in str(choices.get_option("alone").prompt))
        first = choices.get_option_at_index(0)
        minutes = reading_minutes(path, (), "GB")
        assert first.id == "essentials"
        assert (
            str(first.prompt) == f"Start with the essentials: 3 questions, about {minutes} minutes"
        )
        assert choices.highlighted == 0
        await start(pilot, app, "essentials")
        walk = app.screen
        assert walk.session.path == "essentials"
        assert [s.item.id for s in walk.stops] == [s.item.id for s in path]
        for _ in path:
            await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
        await pilot.click("#all-areas")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        every = walk_order(checklists, [], walk.session.answers)
        assert [s.item.id for s in walk.stops] == [s.item.id for s in every]
        # The same session goes on, from the first question the essentials did not ask.
        assert walk.stops[walk.index].item.id not in walk.session.answers
        session_id = walk.session.id
    (session,) = SessionStore(DataDir(data_dir)).list().sessions
    assert session.id == session_id and session.path == "areas"
    assert set(session.answers) == {s.item.id for s in path}


async def test_answers_stay_out_of_the_log_unless_the_person_ticks_the_box(data_dir: Path) -> None:
    app = essentials_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "essentials", keep_answers=False)
        await pilot.press("ctrl+n")
        await pilot.pause()
    assert not (DataDir(data_dir).evidence / "log.jsonl").exists()

    app = essentials_app(data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await start(pilot, app, "essentials", keep_answers=True)
        walk = app.screen
        item_id = walk.stops[walk.index].item.id
        await pilot.press("ctrl+n")
        log = EvidenceLog(DataDir(data_dir))
        await wait_for(pilot, lambda: bool(log.entries(kind="answer")))
    (entry,) = EvidenceLog(DataDir(data_dir)).entries(kind="answer")
    assert entry.data["item_id"] == item_id and entry.data["value"] == "no"
    assert entry.session == walk.session.id


@given(st.one_of(st.none(), st.text(max_size=12), st.integers(), st.lists(st.text(max_size=3))))
def test_a_session_path_from_a_file_loads_or_is_one_clear_error(value: object) -> None:
    document = {
        "format_version": 1,
        "id": "20261124-a1b2c3",
        "mode": "self",
        "created_at": "2026-11-24T10:00:00+00:00",
        "updated_at": "2026-11-24T10:00:00+00:00",
        "region": "GB",
        "path": value,
    }
    try:
        session = parse_session_bytes(json.dumps(document).encode(), "s.json")
    except SessionError as error:
        assert "\n" not in str(error) and str(error)
    else:
        assert session.path in ("areas", "essentials")
        assert value in (None, "areas", "essentials")
