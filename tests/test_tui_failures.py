"""A job that fails in a worker thread becomes one calm notice on screen, never a crash."""

from __future__ import annotations

from pathlib import Path

from devicecheck.errors import DeviceCheckError
from devicecheck.tui.app import DeviceCheckApp
from devicecheck.tui.work import guarded


async def test_failures_in_workers_become_notices(data_dir: Path, tmp_path: Path) -> None:
    app = DeviceCheckApp(data_dir=data_dir)
    missing = tmp_path / "no-such-folder" / "report.html"

    def refused() -> None:
        raise DeviceCheckError("the evidence log ends in an incomplete line")

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = app.screen
        results = [
            guarded(screen, refused),
            guarded(screen, lambda: missing.open("w")),
            guarded(screen, lambda: 1 / 0),
        ]
        for _ in range(3):
            await pilot.pause()
        assert results == [None, None, None]
        messages = [notification.message for notification in app._notifications]
        assert messages[0] == "the evidence log ends in an incomplete line"
        assert str(missing) in messages[1]
        assert messages[2].startswith("unexpected error: ZeroDivisionError")
        assert app.is_running
