"""Pilot tests of "Check an Android phone" with the stand-in adb on PATH."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Button, DataTable, Markdown, Static

from devicecheck.core.datadir import DataDir
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.components.phone import PhoneScreen
from tests.conftest import wait_for
from tests.phone_support import ADB_DATA, StandInAdb

SIZE = (80, 24)


async def _open_phone_screen(pilot) -> PhoneScreen:
    """From the welcome screen, as a person would: down to the choice, then Enter."""
    choices = pilot.app.screen.query_one("#choices")
    await wait_for(pilot, lambda: "all areas, about" in str(choices.get_option("alone").prompt))
    order = [option.id for option in choices.options]
    for _ in range(order.index("phone")):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, PhoneScreen))
    return pilot.app.screen


def _status(screen: PhoneScreen) -> str:
    return str(screen.query_one("#status", Static).render())


async def test_steps_then_waiting_for_allow_then_findings_then_save(
    data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    from devicecheck.core.evidence import EvidenceLog

    adb = StandInAdb(tmp_path, "android14-sideloaded")
    adb.devices = ADB_DATA / "devices" / "unauthorized.txt"
    adb.apply(monkeypatch)
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_phone_screen(pilot)
        steps = screen.query_one("#steps", Markdown).source
        assert "Build number" in steps and "USB debugging" in steps
        assert "Allow USB debugging?" in steps
        await pilot.click("#look")
        await wait_for(pilot, lambda: "Tap Allow" in _status(screen), tries=400)
        # The person taps Allow on the phone: the next look finds it ready, and the check runs.
        monkeypatch.setenv(
            "FAKE_ADB_DEVICES", str(ADB_DATA / "android14-sideloaded" / "devices_-l.txt")
        )
        await wait_for(pilot, lambda: screen.result is not None, tries=800)
        table = screen.query_one("#findings", DataTable)
        rows = [table.get_row_at(number) for number in range(table.row_count)]
        assert {row[3] for row in rows} >= {
            "net.fitsync.tracker",
            "com.android.systemservice.update",
        }
        details = screen.query_one("#finding", Markdown).source
        assert "Caution before removing anything" in details
        assert screen.query_one("#after", Static).display
        assert "USB debugging" in str(screen.query_one("#after", Static).render())
        assert ["shell", "pm", "uninstall"] not in [call[2:5] for call in adb.calls()]
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not screen)
        assert "It cannot be removed later" in str(app.screen.query_one("#text").render())
        assert app.screen.query_one("#no", Button).has_focus  # "Not now" is the default
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is screen)
        assert not screen.saved
        assert not EvidenceLog(DataDir(data_dir)).entries()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is not screen)
        await pilot.click("#yes")
        await wait_for(pilot, lambda: screen.saved, tries=400)
    entries = EvidenceLog(DataDir(data_dir)).entries()
    assert entries[0].kind == "scan" and entries[0].data["target"] == "android-phone"
    assert all(e.data["origin"] == "phone-scan" for e in entries[1:])
    assert len(entries) == 1 + entries[0].data["finding_count"]


async def test_without_adb_the_screen_says_how_to_install_it(
    data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.setenv("DEVICECHECK_ADB", "")
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_phone_screen(pilot)
        await pilot.click("#look")
        await wait_for(pilot, lambda: "apt install adb" in _status(screen), tries=400)
        assert screen.result is None


async def test_a_phone_unplugged_mid_check_shows_what_was_read(
    data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    adb = StandInAdb(tmp_path, "android12-echap")
    adb.stop_at = "shell_settings_list_secure.txt"
    adb.apply(monkeypatch)
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_phone_screen(pilot)
        await pilot.click("#look")
        await wait_for(pilot, lambda: screen.result is not None, tries=800)
        assert "did not finish" in _status(screen)
        assert screen.result.complete is False
        assert [f.package for f in screen.result.findings] == ["com.ispyoo"]


async def test_a_caseworker_session_asks_the_client_before_the_phone_is_read(
    data_dir: Path, tmp_path: Path, monkeypatch
) -> None:
    from devicecheck.core.sessions import CaseworkerDetails, SessionStore
    from devicecheck.tui.components.consent import ConsentScreen

    adb = StandInAdb(tmp_path, "android14-clean")
    adb.apply(monkeypatch)
    store = SessionStore(DataDir(data_dir))
    session = store.create(
        mode="caseworker",
        checklists=[],
        caseworker=CaseworkerDetails(
            name="Priya Shah", organisation="Safe Steps", client_ref="C-17"
        ),
    )
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = PhoneScreen(session=session)
        await app.push_screen(screen)
        await wait_for(pilot, lambda: bool(screen.query("#look")))
        await pilot.click("#look")
        await wait_for(pilot, lambda: isinstance(app.screen, ConsentScreen), tries=400)
        # Laid out, not only mounted: a click on a button with no region yet is lost.
        await wait_for(
            pilot,
            lambda: (
                bool(app.screen.query("#declined"))
                and app.screen.query_one("#declined").region.width > 0
            ),
        )
        await pilot.pause()
        assert "nothing on the phone is installed, removed or changed" in str(
            app.screen.query_one("#explained").render()
        )
        await pilot.click("#declined")
        await wait_for(pilot, lambda: app.screen is screen, tries=400)
        await pilot.pause(0.3)
        assert screen.result is None
        # Only `devices -l` ran: nothing was read from the phone without consent.
        assert {tuple(call) for call in adb.calls()} == {("devices", "-l")}
    assert store.load(session.id).consent_for("phone-scan").answer == "declined"
