"""The stand-in adb for the phone tests: a program named `adb` on PATH that replays the
recordings in tests/data/adb (see tests/data/adb/SOURCES.md and fake_adb.py)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ADB_DATA = Path(__file__).resolve().parent / "data" / "adb"
FAKE_ADB = ADB_DATA / "fake_adb.py"
PHONES = ("android14-clean", "android14-sideloaded", "android12-echap", "android9-samsung")


class StandInAdb:
    """A stand-in `adb` in its own folder, and the environment that puts it on PATH."""

    def __init__(self, folder: Path, phone: str = "android14-clean") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.bin = folder / "bin"
        self.bin.mkdir(exist_ok=True)
        self.program = self.bin / ("adb.bat" if os.name == "nt" else "adb")
        self.program.write_text(
            f"#!{sys.executable}\nimport runpy, sys\nsys.argv[0] = 'adb'\n"
            f"runpy.run_path({str(FAKE_ADB)!r}, run_name='__main__')\n",
            encoding="utf-8",
        )
        self.program.chmod(0o755)
        self.log = folder / "adb-calls.jsonl"
        self.phone = phone
        self.devices: Path | None = None
        self.stop_at: str | None = None

    def env(self) -> dict[str, str]:
        environment = {
            "PATH": f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "FAKE_ADB_PHONE": str(ADB_DATA / self.phone),
            "FAKE_ADB_LOG": str(self.log),
            "FAKE_ADB_DEVICES": str(self.devices) if self.devices else "",
            "FAKE_ADB_STOP_AT": self.stop_at or "",
            "DEVICECHECK_ADB": "",
        }
        return environment

    def apply(self, monkeypatch) -> None:
        """Put the stand-in into this process's environment (for in-process and Pilot tests)."""
        for key, value in self.env().items():
            monkeypatch.setenv(key, value)

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text(encoding="utf-8").splitlines()]
