"""Pilot tests of the walkthrough: real sessions, a real scan of a real process, the real log."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import SessionStore
from devicecheck.core.walkthrough import walk_order
from devicecheck.tui.app import QUICK_EXIT, DeviceCheckApp
from devicecheck.tui.components.diary import DiaryScreen
from devicecheck.tui.components.incident import IncidentScreen
from devicecheck.tui.components.scan import ScanScreen
from devicecheck.tui.components.setup import SetupScreen
from devicecheck.tui.components.summary import SummaryScreen
from devicecheck.tui.components.walkthrough import WalkthroughScreen
from tests.conftest import wait_for

SIZE = (80, 24)


async def choose(pilot, option: str) -> None:
    """Pick a choice on the welcome screen by moving down to it, as a person would (once the
    checklists are read, which may take the essentials choice away)."""
    choices = pilot.app.screen.query_one("#choices")
    await wait_for(pilot, lambda: "all areas, about" in str(choices.get_option("alone").prompt))
    order = [option.id for option in choices.options]
    for _ in range(order.index(option)):
        await pilot.press("down")
    await pilot.press("enter")


async def test_answers_across_two_areas_survive_quitting_and_resuming(data_dir: Path) -> None:
    checklists = load_checklists().checklists[:2]
    first_area = [s for s in walk_order(checklists, [], {}) if s.checklist.id == checklists[0].id]
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "alone")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        areas = app.screen.query_one("#areas")
        for checklist in load_checklists().checklists[2:]:  # leave the first two areas ticked
            areas.ticked[checklist.id] = False
        await pilot.click("#start")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        # Answer every question of the first area "no" or "not sure", then one in the second.
        keys = ["ctrl+n", "ctrl+t"] * len(first_area)
        for key in keys[: len(first_area)]:
            await pilot.press(key)
        await pilot.press("ctrl+s")
        screen = app.screen
        assert screen.stops[screen.index].checklist.id == checklists[1].id
        await pilot.press("ctrl+q")
    session = SessionStore(DataDir(data_dir)).latest()
    assert session.checklists == [checklists[0].id, checklists[1].id]
    keys = ["no", "unsure"] * len(first_area)
    expected = {stop.item.id: value for stop, value in zip(first_area, keys, strict=False)}
    assert {k: a.value for k, a in session.answers.items() if k in expected} == expected
    assert len(session.answers) == len(first_area) + 1

    app = DeviceCheckApp(data_dir=str(data_dir), session_id=session.id)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        screen = app.screen
        # Resumed at the first unanswered question, with the earlier answers intact.
        assert screen.stops[screen.index].item.id not in session.answers
        assert screen.stops[screen.index].checklist.id == checklists[1].id
        assert screen.session.answers == session.answers
        await pilot.press("ctrl+b")
        assert screen.stops[screen.index].item.id in session.answers
        assert "Skipped" in str(screen.query_one("#area").render())


async def test_yes_is_saved_as_a_finding_in_the_evidence_log(data_dir: Path) -> None:
    from devicecheck.core.evidence import EvidenceLog

    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "alone")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.click("#start")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        item = walk.stops[walk.index].item
        walk.query_one("#note", Input).value = "an iPad I never owned"
        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.screen.query("#no"))
        assert app.screen.query_one("#no").has_focus  # "Not now" is the default
        await pilot.click("#yes")  # "Save it"
        log = EvidenceLog(DataDir(data_dir))
        await wait_for(pilot, lambda: bool(log.entries(kind="finding")))
    (entry,) = log.entries(kind="finding")
    assert entry.data == {
        "origin": "checklist",
        "item_id": item.id,
        "checklist_id": item.checklist_id,
        "title": item.title,
        "question": item.question,
        "severity": item.severity,
        "answer": "yes",
        "note": "an iPad I never owned",
    }
    assert entry.session == walk.session.id


@pytest.fixture
def spyware_process(tmp_path: Path):
    """A real running process named like monitoring software (a copy of /bin/sleep)."""
    name = "flexispyd"
    program = tmp_path / "bin" / name
    program.parent.mkdir()
    shutil.copy("/bin/sleep", program)
    process = subprocess.Popen([str(program), "120"])
    yield name, process
    process.kill()
    process.wait()


def indicators_naming(process_name: str):
    from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo

    source = SourceInfo("test", "Test list", "CC0", "tests", "https://example.org", "1")
    app = AppIndicator(
        id="test:flexispy",
        name="FlexiSPY (test)",
        category="stalkerware",
        source="test",
        process_names=(process_name,),
    )
    return IndicatorSet((source,), (app,))


async def test_scan_shows_a_real_running_process_and_saves_it(
    data_dir: Path, spyware_process
) -> None:
    from devicecheck.core.evidence import EvidenceLog

    name, process = spyware_process
    app = DeviceCheckApp(data_dir=str(data_dir), indicators=indicators_naming(name))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "scan")
        await wait_for(pilot, lambda: isinstance(app.screen, ScanScreen))
        scan = app.screen
        await wait_for(pilot, lambda: scan.result is not None, tries=600)
        table = scan.query_one("#findings", DataTable)
        rows = [table.get_row_at(number) for number in range(table.row_count)]
        assert any(row[2] == "FlexiSPY (test)" for row in rows), rows
        finding = next(f for f in scan.result.findings if f.app == "FlexiSPY (test)")
        assert finding.process is not None and finding.process.pid == process.pid
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not scan)
        assert app.screen.query_one("#no").has_focus  # asked first; "Not now" is the default
        await pilot.click("#yes")
        log = EvidenceLog(DataDir(data_dir))
        await wait_for(pilot, lambda: scan.saved)
    kinds = [entry.kind for entry in log.entries()]
    assert kinds[0] == "scan" and "finding" in kinds
    saved = [e.data for e in log.entries(kind="finding")]
    assert any(d["app"] == "FlexiSPY (test)" and d["process"]["pid"] == process.pid for d in saved)


async def test_incident_added_in_the_diary_is_in_the_log(data_dir: Path, tmp_path: Path) -> None:
    from devicecheck.core.evidence import EvidenceLog

    photo = tmp_path / "doorstep.txt"
    photo.write_text("a photo of the doorstep", encoding="utf-8")
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "diary")
        await wait_for(pilot, lambda: isinstance(app.screen, DiaryScreen))
        diary = app.screen
        await wait_for(pilot, lambda: "empty" in str(diary.query_one("#integrity").render()))
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: isinstance(app.screen, IncidentScreen))
        values = {
            "what": "He waited outside my work",
            "when": "2026-11-20 17:45",
            "where": "Office car park",
            "who": "My ex-partner",
            "witnesses": "A colleague",
            "impact": "I was afraid to go home",
            "police-ref": "CAD 1234",
            "attachment": str(photo),
        }
        for key, text in values.items():
            app.screen.query_one(f"#{key}", Input).value = text
        app.screen.query_one("#how").value = "in-person"
        await pilot.click("#save")
        await wait_for(pilot, lambda: app.screen.query("#yes"))
        await pilot.click("#yes")  # "Save it", after "Save this to your evidence log?"
        await wait_for(pilot, lambda: app.screen is diary)
        table = diary.query_one("#entries", DataTable)
        await wait_for(pilot, lambda: table.row_count >= 1)
        assert any(
            "He waited outside my work" in str(table.get_row_at(n)) for n in range(table.row_count)
        )
        await wait_for(pilot, lambda: "intact" in str(diary.query_one("#integrity").render()))
    (entry,) = EvidenceLog(DataDir(data_dir)).entries(kind="incident")
    assert entry.data["what"] == "He waited outside my work"
    assert entry.data["how"] == "in-person"
    assert entry.data["police_ref"] == "CAD 1234"
    assert entry.data["when"].startswith("2026-11-20T17:45")


@pytest.mark.parametrize("key", ["ctrl+x", "f12"])
async def test_quick_exit_works_from_inside_a_text_input(data_dir: Path, key: str) -> None:
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "caseworker")
        await pilot.pause()
        name = app.screen.query_one("#name", Input)
        assert name.has_focus
        await pilot.press("a", "b")
        await pilot.press(key)
        await pilot.pause()
    assert app.return_value == QUICK_EXIT
    assert name.value == "ab"


async def test_caseworker_session_records_consent_and_keeps_notes_apart(data_dir: Path) -> None:
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "caseworker")
        await pilot.pause()
        screen = app.screen
        for key, text in {
            "name": "Sam Worker",
            "organisation": "Safe Org",
            "client-ref": "C-17",
        }.items():
            screen.query_one(f"#{key}", Input).value = text
        await pilot.click("#continue")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.click("#start")
        await wait_for(pilot, lambda: app.screen.query("#given"))
        await pilot.click("#given")
        await wait_for(pilot, lambda: isinstance(app.screen, WalkthroughScreen))
        walk = app.screen
        item = walk.stops[walk.index].item
        walk.query_one("#note", Input).value = "client's own words"
        walk.query_one("#cw-note", Input).value = "client seemed unsure of the device"
        await pilot.press("ctrl+n")
        await pilot.press("ctrl+r")
        await wait_for(pilot, lambda: isinstance(app.screen, SummaryScreen))
    session = SessionStore(DataDir(data_dir)).latest()
    assert session.mode == "caseworker"
    assert session.caseworker.client_ref == "C-17"
    consent = session.consent_for("walkthrough")
    assert consent.answer == "given" and consent.recorded_by == "Sam Worker"
    assert session.answers[item.id].note == "client's own words"
    assert session.answers[item.id].author == "self"
    (note,) = session.caseworker_notes
    assert (note.item_id, note.author, note.text) == (
        item.id,
        "Sam Worker",
        "client seemed unsure of the device",
    )


async def test_no_color_is_respected(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    monkeypatch.setenv("NO_COLOR", "1")
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        svg = app.export_screenshot()
    assert app.no_color
    # The SVG's window buttons and its default foreground are the exporter's, not the app's.
    exporter = {"ff5f57", "febc2e", "28c840", "c5c8c6"}
    colours = set(re.findall(r"#([0-9a-f]{6})", svg)) - exporter
    assert colours, "expected some colours in the screenshot"
    assert all(c[0:2] == c[2:4] == c[4:6] for c in colours), colours  # grey levels only


async def test_summary_exports_a_report_file(data_dir: Path) -> None:
    store = SessionStore(DataDir(data_dir))
    checklists = load_checklists().checklists[:1]
    item = checklists[0].items[0]
    session = store.create(checklists=[checklists[0].id])
    session.record_answer(item.id, "yes", "seen on Tuesday")
    store.save(session)
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(SummaryScreen(session, checklists))
        app.screen.query_one("#format").value = "txt"
        await pilot.click("#export-report")
        report = DataDir(data_dir).root / "reports" / f"report-{session.id}.txt"
        await wait_for(pilot, report.exists, tries=600)
    text = report.read_text(encoding="utf-8")
    assert item.title in text and "seen on Tuesday" in text


async def test_summary_export_shows_plainly_that_the_evidence_log_was_altered(
    data_dir: Path,
) -> None:
    from devicecheck.core.evidence import EvidenceLog

    root = DataDir(data_dir)
    store = SessionStore(root)
    checklists = load_checklists().checklists[:1]
    session = store.create(checklists=[checklists[0].id])
    store.save(session)
    with EvidenceLog(root) as log:
        log.add_note("He knew where I was", session=session.id)
        log.add_note("A second time", session=session.id)
        path = log.path
    raw = path.read_bytes()
    spot = raw.index(b"He knew")
    path.write_bytes(raw[:spot] + b"She" + raw[spot + 2 :])  # one entry's text edited
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await app.push_screen(SummaryScreen(session, checklists))
        app.screen.query_one("#format").value = "txt"
        await pilot.click("#export-report")
        report = root.root / "reports" / f"report-{session.id}.txt"
        await wait_for(pilot, lambda: bool(app.screen.query("#altered")), tries=600)
        shown = str(app.screen.query_one("#altered").render())
        notices = [n.message for n in app._notifications]
    assert report.exists()
    assert "evidence log has been changed" in shown and "no longer checks out" in shown
    assert not any(n.startswith("Report saved") for n in notices)
