"""Snapshots of the screens a person sees most, at 80x24 and at a small 60x20: the welcome,
a question with a caution, the consent dialog, the summary, and scan results.

Deterministic by construction: test checklists (not the shipped content), a fixed scan result,
and no session ids, clocks or paths on the visible part of these screens.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from devicecheck.core.checklists import load_checklists
from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import SessionStore
from devicecheck.tui.app import DeviceCheckApp
from tests.conftest import wait_for

SAMPLE = Path(__file__).resolve().parent / "data" / "sample-checklist.yaml"
ESSENTIALS = Path(__file__).resolve().parent / "data" / "essentials"
SIZE = (80, 24)
SIZES = pytest.mark.parametrize("size", [(80, 24), (60, 20)], ids=["80x24", "60x20"])


def sample_app(data_dir: Path, session_id: str | None = None) -> DeviceCheckApp:
    return DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[SAMPLE], session_id=session_id)


def essentials_app(data_dir: Path) -> DeviceCheckApp:
    return DeviceCheckApp(data_dir=str(data_dir), checklist_paths=[ESSENTIALS])


def sample_session(data_dir: Path, answers: dict[str, tuple[str, str]] = ()):
    store = SessionStore(DataDir(data_dir))
    session = store.create(platforms=["ios"], checklists=["sample-area"])
    for item_id, (value, note) in dict(answers).items():
        session.record_answer(item_id, value, note)
    store.save(session)
    return session


def fixed_scan_result():
    from devicecheck.core.scan import Finding, Match, NotExamined, ProcessInfo, ScanResult

    finding = Finding(
        kind="process",
        app="FlexiSPY",
        category="stalkerware",
        severity="high",
        confidence="medium",
        matched=Match(indicator="flexispyd", field="process_names", value="flexispyd"),
        process=ProcessInfo(
            pid=4242,
            name="flexispyd",
            exe="/opt/fx/flexispyd",
            cmdline=("/opt/fx/flexispyd",),
            username="sam",
            started_at="2026-11-24T10:00:00+00:00",
            exe_sha256="ab" * 32,
        ),
        advice="Do not uninstall it straight away: the person who installed it may notice.",
        source={"id": "curated", "name": "devicecheck curated list"},
    )
    remote = Finding(
        kind="listener",
        app="AnyDesk",
        category="remote-access",
        severity="medium",
        confidence="low",
        matched=Match(indicator="7070", field="ports", value="7070"),
        process=None,
        advice="Check: did you, or someone you trust, install this?",
        source={"id": "lolrmm", "name": "LOLRMM"},
    )
    return ScanResult(
        started_at="2026-11-24T10:00:00+00:00",
        finished_at="2026-11-24T10:00:05+00:00",
        host="test-host",
        platform="Linux",
        findings=(finding, remote),
        examined={"processes": 200, "connections": 12, "autostart_entries": 9},
        not_examined=(NotExamined("other users' processes", "access denied", 31),),
        indicators=(),
    )


@SIZES
def test_welcome(snap_compare, data_dir: Path, size: tuple[int, int]) -> None:
    async def estimates_shown(pilot) -> None:
        await wait_for(pilot, lambda: pilot.app.screen.query("#choices"))
        choices = pilot.app.screen.query_one("#choices")
        await wait_for(pilot, lambda: "about" in str(choices.get_option("alone").prompt))

    assert snap_compare(essentials_app(data_dir), terminal_size=size, run_before=estimates_shown)


@SIZES
def test_an_item_with_a_caution(snap_compare, data_dir: Path, size: tuple[int, int]) -> None:
    from devicecheck.tui.components.walkthrough import WalkthroughScreen

    session = sample_session(data_dir)
    assert session.platforms == ["ios"]

    async def steady_cursor(pilot) -> None:
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, WalkthroughScreen))
        note = pilot.app.screen.query_one("#note")
        await wait_for(pilot, lambda: note.has_focus)
        note.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        await pilot.pause()

    app = sample_app(data_dir, session.id)
    assert snap_compare(app, terminal_size=size, run_before=steady_cursor)


@SIZES
def test_consent_dialog(snap_compare, data_dir: Path, size: tuple[int, int]) -> None:
    from devicecheck.core.sessions import CaseworkerDetails
    from devicecheck.tui.components.consent import ConsentScreen
    from devicecheck.tui.components.setup import WALKTHROUGH_CONSENT

    store = SessionStore(DataDir(data_dir))
    session = store.create(
        mode="caseworker", caseworker=CaseworkerDetails("Sam Worker", "Safe Org", "C-17")
    )

    async def show(pilot) -> None:
        await pilot.app.push_screen(ConsentScreen(session, "walkthrough", WALKTHROUGH_CONSENT))
        await pilot.pause()

    assert snap_compare(sample_app(data_dir), terminal_size=size, run_before=show)


def test_scan_results(snap_compare, data_dir: Path) -> None:
    from devicecheck.tui.components.scan import ScanScreen

    async def show(pilot) -> None:
        await pilot.app.push_screen(ScanScreen(result=fixed_scan_result()))
        await pilot.pause()

    assert snap_compare(sample_app(data_dir), terminal_size=SIZE, run_before=show)


@SIZES
def test_summary(snap_compare, data_dir: Path, size: tuple[int, int]) -> None:
    from devicecheck.tui.components.summary import SummaryScreen

    session = sample_session(
        data_dir,
        {"sample-devices": ("yes", "an iPad I never owned"), "sample-forwarding": ("unsure", "")},
    )
    checklists = load_checklists([SAMPLE]).checklists

    async def show(pilot) -> None:
        await pilot.app.push_screen(SummaryScreen(session, checklists))
        await pilot.pause()

    assert snap_compare(sample_app(data_dir), terminal_size=size, run_before=show)
