"""The TUI and a protected folder: it asks at start, locks when left alone, quick exit still works,
and set-up offers protection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from devicecheck.core import protect_folder, protection
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.tui.app import QUICK_EXIT, DeviceCheckApp
from devicecheck.tui.components.lock import LockScreen
from devicecheck.tui.components.protect import ProtectModal
from devicecheck.tui.components.setup import SetupScreen
from devicecheck.tui.components.welcome import WelcomeScreen
from tests.conftest import wait_for
from tests.test_tui_flow import SIZE, choose

PASSPHRASE = "tui passphrase here"


@pytest.fixture(autouse=True)
def _locked_between_tests() -> Iterator[None]:
    protection.forget_keys()
    protection.set_passphrase_provider(None)
    yield
    protection.forget_keys()


@pytest.fixture
def protected(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(protection.PASSPHRASE_FILE_VARIABLE, raising=False)
    protect_folder.protect(data_dir, PASSPHRASE, protection.KdfParameters(n=2**12))
    EvidenceLog(DataDir(data_dir)).add_note("kept before the app started")
    protection.forget_keys()
    return data_dir


async def _type(pilot, text: str) -> None:
    for character in text:
        await pilot.press(character if character != " " else "space")


async def test_a_protected_folder_asks_for_the_passphrase_at_start(protected: Path) -> None:
    app = DeviceCheckApp(data_dir=str(protected))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        assert "kept before" not in str(app.screen.query("*"))
        await _type(pilot, "wrong passphrase")
        await pilot.press("enter")
        status = app.screen.query_one("#lock-status")
        await wait_for(pilot, lambda: "does not open" in str(status.render()))
        assert not protection.is_unlocked(protected)
        assert app.screen.query_one("#passphrase", Input).value == ""  # not left on screen
        await _type(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert protection.is_unlocked(protected)


async def test_it_locks_after_the_idle_time_and_unlocks_where_it_was(protected: Path) -> None:
    protection.unlock(protected, PASSPHRASE)
    app = DeviceCheckApp(data_dir=str(protected), idle_lock_seconds=0.5)
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SetupScreen())
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen), tries=100)
        assert not protection.is_unlocked(protected)  # the keys are gone, not only hidden
        with pytest.raises(protection.LockedError):
            EvidenceLog(DataDir(protected)).add_note("nobody can add while locked")
        await _type(pilot, PASSPHRASE)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        assert protection.is_unlocked(protected)


async def test_key_presses_keep_it_unlocked(protected: Path) -> None:
    protection.unlock(protected, PASSPHRASE)
    app = DeviceCheckApp(data_dir=str(protected), idle_lock_seconds=1.0)
    async with app.run_test(size=SIZE) as pilot:
        for _ in range(12):  # 2.4 s of use, never 1 s without a key
            await pilot.press("down")
            await pilot.pause(0.2)
        assert not isinstance(app.screen, LockScreen)


@pytest.mark.parametrize("key", ["ctrl+x", "f12"])
async def test_quick_exit_works_on_the_lock_screen(protected: Path, key: str) -> None:
    app = DeviceCheckApp(data_dir=str(protected))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, LockScreen))
        await _type(pilot, "half typ")
        await pilot.press(key)
        await pilot.pause()
    assert app.return_value == QUICK_EXIT


async def test_an_unprotected_folder_never_locks(data_dir: Path) -> None:
    app = DeviceCheckApp(data_dir=str(data_dir), idle_lock_seconds=0.2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.6)
        assert isinstance(app.screen, WelcomeScreen)


async def test_set_up_offers_protection_and_it_protects(data_dir: Path) -> None:
    DataDir(data_dir).ensure()
    EvidenceLog(DataDir(data_dir)).add_note("a note from before, in plaintext")
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        await choose(pilot, "alone")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen))
        await pilot.click("#protect-offer")
        await wait_for(pilot, lambda: isinstance(app.screen, ProtectModal))
        await _type(pilot, "short")
        await pilot.press("enter")
        await _type(pilot, "short")
        await pilot.press("enter")
        status = app.screen.query_one("#protect-status")
        assert "at least 8" in str(status.render())
        for field in ("#first", "#second"):
            app.screen.query_one(field, Input).value = PASSPHRASE
        await pilot.click("#protect")
        await wait_for(pilot, lambda: isinstance(app.screen, SetupScreen), tries=400)
        assert not app.screen.query("#protect-offer")
    assert protection.is_protected(data_dir)
    everything = b"".join(p.read_bytes() for p in Path(data_dir).rglob("*") if p.is_file())
    assert b"a note from before" not in everything


async def test_the_summary_shows_the_receipt_and_what_it_proves(data_dir: Path) -> None:
    from devicecheck.core.checklists import load_checklists
    from devicecheck.core.evidence.receipts import receipt_of
    from devicecheck.core.sessions import SessionStore
    from devicecheck.tui.components.summary import SummaryScreen

    log = EvidenceLog(DataDir(data_dir))
    log.add_note("one")
    receipt = receipt_of(log)
    assert receipt is not None
    session = SessionStore(DataDir(data_dir)).create(mode="self")
    app = DeviceCheckApp(data_dir=str(data_dir))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SummaryScreen(session, load_checklists().checklists[:1]))
        await wait_for(pilot, lambda: bool(app.screen.query("#receipt")))
        text = str(app.screen.query_one("#receipt").render())
        assert receipt.short_form in text and "cannot show that" in text


async def test_a_report_is_never_kept_in_plaintext_inside_a_protected_folder(
    protected: Path, tmp_path: Path
) -> None:
    from devicecheck.core.checklists import load_checklists
    from devicecheck.core.sessions import SessionStore
    from devicecheck.tui.components.summary import SummaryScreen

    protection.unlock(protected, PASSPHRASE)
    session = SessionStore(DataDir(protected)).create(mode="self")
    app = DeviceCheckApp(data_dir=str(protected))
    async with app.run_test(size=SIZE) as pilot:
        app.push_screen(SummaryScreen(session, load_checklists().checklists[:1]))
        await wait_for(pilot, lambda: bool(app.screen.query("#export-report")))
        app.screen.query_one("#format").value = "txt"
        await pilot.click("#export-report")
        await pilot.pause(0.5)
        assert not (protected / "reports").exists()
        outside = tmp_path / "report.txt"
        app.screen.query_one("#output", Input).value = str(outside)
        await pilot.click("#export-report")
        await wait_for(pilot, outside.exists, tries=600)
