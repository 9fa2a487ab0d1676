"""A stand-in for Android's `adb` that replays recorded output (tests only).

Environment:
- FAKE_ADB_PHONE: the folder of one phone's recordings (tests/data/adb/<phone>/). A command's
  recording is the file named after its arguments joined by `_`, plus `.txt`
  (`shell dumpsys package -f` -> `shell_dumpsys_package_-f.txt`).
- FAKE_ADB_DEVICES: the `adb devices -l` recording to use (default: the phone's own).
- FAKE_ADB_LOG: every call is appended here as one JSON array of its arguments.
- FAKE_ADB_STOP_AT: a recording name; from that command on the phone is gone (as when the
  cable is pulled): adb prints "error: device '<serial>' not found" and exits 1.

`{recent_patch}` in a recording becomes the first of last month, so a clean phone stays
clean whenever the tests run. Like the real `which`, `shell which su` with no recording
prints nothing and exits 1. Any other command without a recording is an error (exit 255),
so a test notices a command it did not expect.
"""

import json
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    log = os.environ.get("FAKE_ADB_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(argv) + "\n")
    phone = Path(os.environ.get("FAKE_ADB_PHONE", "."))
    devices_file = Path(os.environ.get("FAKE_ADB_DEVICES") or phone / "devices_-l.txt")
    devices = _devices(devices_file.read_text(encoding="utf-8"))
    serial = None
    if argv[:1] == ["-s"] and len(argv) >= 2:
        serial, argv = argv[1], argv[2:]
    if argv == ["devices", "-l"]:
        sys.stdout.write(devices_file.read_text(encoding="utf-8"))
        return 0
    name = "_".join(argv) + ".txt"
    stop_at = os.environ.get("FAKE_ADB_STOP_AT")
    if serial is None:
        if not devices:
            return _fail("adb: no devices/emulators found")
        if len(devices) > 1:
            return _fail("adb: more than one device/emulator")
        serial = next(iter(devices))
    state = devices.get(serial)
    if state is None or (stop_at and _reached(phone, name, stop_at)):
        return _fail(f"adb: device '{serial}' not found")
    if state == "unauthorized":
        return _fail(
            "adb: device unauthorized.\nThis adb server's $ADB_VENDOR_KEYS is not set\n"
            "Try 'adb kill-server' if that seems wrong.\nOtherwise check for a confirmation "
            "dialog on your device."
        )
    recording = phone / name
    if not recording.exists():
        if argv == ["shell", "which", "su"]:
            return 1
        return _fail(f"fake adb: no recording {name}", 255)
    text = recording.read_text(encoding="utf-8")
    sys.stdout.write(text.replace("{recent_patch}", _recent_patch()))
    return 0


def _devices(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines()[1:]:
        parts = line.split()
        if len(parts) >= 2:
            found[parts[0]] = parts[1]
    return found


def _reached(phone: Path, name: str, stop_at: str) -> bool:
    """Whether `name` comes at or after `stop_at` in the order a scan reads (the marker file
    `.stopped` is written the first time, so every later command fails too)."""
    marker = (
        Path(os.environ["FAKE_ADB_LOG"] + ".stopped") if os.environ.get("FAKE_ADB_LOG") else None
    )
    if marker is not None and marker.exists():
        return True
    if name == stop_at:
        if marker is not None:
            marker.write_text("stopped", encoding="utf-8")
        return True
    return False


def _recent_patch() -> str:
    year, month = time.gmtime()[:2]
    year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return f"{year:04d}-{month:02d}-01"


def _fail(message: str, status: int = 1) -> int:
    print(message, file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
