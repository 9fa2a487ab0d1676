"""Talking to a phone through Android's `adb`, reading only.

`AdbRunner.run` refuses any command that is not on `READ_ONLY_COMMANDS` (exact argument
lists) or matched by `_READ_ONLY_PATTERNS` (a package name or a setting name in a fixed
place). Nothing that installs, uninstalls, disables, pushes, pulls, reboots or changes a
setting can be sent, whatever a caller asks for. Every command sent is kept in `calls`, so
a scan can say how many round trips it made.

adb's own failures (no phone, unauthorized, several phones, a phone gone mid-scan) become
one-line `DeviceCheckError`s with what to do.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Callable, Sequence

from devicecheck.errors import DeviceCheckError

ADB_VARIABLE = "DEVICECHECK_ADB"
COMMAND_TIMEOUT_SECONDS = 120.0

# Every command the phone check may send, exactly (after `-s SERIAL`, where there is one).
READ_ONLY_COMMANDS: frozenset[tuple[str, ...]] = frozenset(
    {
        ("devices", "-l"),
        ("get-state",),
        ("shell", "getprop"),
        ("shell", "pm", "list", "packages", "-f", "-i", "-U"),
        ("shell", "pm", "list", "packages", "-d"),
        ("shell", "dumpsys", "-l"),
        ("shell", "dumpsys", "package"),
        ("shell", "dumpsys", "package", "-f"),
        ("shell", "dumpsys", "device_policy"),
        ("shell", "dumpsys", "accessibility"),
        ("shell", "dumpsys", "appops"),
        ("shell", "dumpsys", "role"),
        ("shell", "dumpsys", "usagestats"),
        ("shell", "settings", "list", "system"),
        ("shell", "settings", "list", "secure"),
        ("shell", "settings", "list", "global"),
        ("shell", "which", "su"),
    }
)
_PACKAGE = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)+"
_SETTING = r"[a-z][a-z0-9_]{0,80}"
# Commands with one argument: one package's dump, one setting's value.
_READ_ONLY_PATTERNS: tuple[tuple[str, ...], ...] = (
    ("shell", "dumpsys", "package", _PACKAGE),
    ("shell", "settings", "get", "(?:system|secure|global)", _SETTING),
)

INSTALL_HELP = (
    "install Android's platform tools: on Debian or Ubuntu `sudo apt install adb`, on macOS "
    "`brew install android-platform-tools`, on Windows download Google's \"SDK Platform-Tools "
    'for Windows" and unzip it'
)


class AdbError(DeviceCheckError):
    """adb could not do what was asked (exit 2)."""


class AdbMissing(AdbError):
    pass


class NoPhone(AdbError):
    pass


class PhoneUnauthorized(AdbError):
    pass


class SeveralPhones(AdbError):
    pass


class PhoneDisconnected(AdbError):
    pass


class CommandRefused(AdbError):
    """A caller asked for a command that is not a read: it was not sent."""


def is_read_only(args: Sequence[str]) -> bool:
    """Whether `args` (without `-s SERIAL`) is a command the phone check may send."""
    command = tuple(args)
    if command in READ_ONLY_COMMANDS:
        return True
    return any(
        len(command) == len(pattern)
        and all(re.fullmatch(part, arg) for part, arg in zip(pattern, command, strict=True))
        for pattern in _READ_ONLY_PATTERNS
    )


def find_adb(explicit: str | None = None, environ: dict[str, str] | None = None) -> str:
    """The adb program: `--adb`, else DEVICECHECK_ADB, else `adb` on PATH."""
    environ = os.environ if environ is None else environ
    wanted = explicit or environ.get(ADB_VARIABLE) or ""
    if wanted:
        found = shutil.which(wanted) if os.sep not in wanted else wanted
        if found and os.path.isfile(found) and os.access(found, os.X_OK):
            return found
        raise AdbMissing(f"adb was not found at {wanted!r}: check the path, or {INSTALL_HELP}.")
    found = shutil.which("adb", path=environ.get("PATH"))
    if found is None:
        raise AdbMissing(f"adb is not installed (needed to read an Android phone): {INSTALL_HELP}.")
    return found


class AdbRunner:
    """Runs allowed adb commands for one phone (or for none: `devices -l`)."""

    def __init__(
        self,
        adb: str,
        serial: str | None = None,
        *,
        timeout: float = COMMAND_TIMEOUT_SECONDS,
        on_call: Callable[[tuple[str, ...]], None] | None = None,
    ) -> None:
        self.adb = adb
        self.serial = serial
        self.timeout = timeout
        self.calls: list[tuple[str, ...]] = []
        self._on_call = on_call

    def for_phone(self, serial: str) -> AdbRunner:
        """A runner for one phone that shares this one's call record."""
        runner = AdbRunner(self.adb, serial, timeout=self.timeout, on_call=self._on_call)
        runner.calls = self.calls
        return runner

    def run(self, *args: str, allow_failure: bool = False) -> str:
        """The command's output as text. `allow_failure`: a non-zero exit of the command on the
        phone (`which su` finding nothing) is an answer, not an error."""
        if not is_read_only(args):
            raise CommandRefused(
                f"refused to send {' '.join(args)!r} to the phone: the phone check only reads"
            )
        argv = [self.adb, *(("-s", self.serial) if self.serial else ()), *args]
        self.calls.append(tuple(args))
        if self._on_call is not None:
            self._on_call(tuple(args))
        try:
            completed = subprocess.run(
                argv,
                capture_output=True,
                timeout=self.timeout,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except FileNotFoundError:
            raise AdbMissing(f"adb could not be started ({self.adb}): {INSTALL_HELP}.") from None
        except PermissionError:
            raise AdbMissing(f"adb could not be started ({self.adb}): permission denied.") from None
        except OSError as error:  # a file that is not a program (ENOEXEC), and the like
            raise AdbMissing(
                f"adb could not be started ({self.adb}): it is not a program this computer can "
                f"run ({error.strerror or error}); {INSTALL_HELP}."
            ) from None
        except subprocess.TimeoutExpired:
            raise PhoneDisconnected(
                f"the phone did not answer within {self.timeout:.0f} seconds"
            ) from None
        output = completed.stdout.decode("utf-8", errors="replace").replace("\r\n", "\n")
        errors = completed.stderr.decode("utf-8", errors="replace").strip()
        if completed.returncode != 0:
            problem = classify_failure(errors + "\n" + output, self.serial)
            if problem is not None:
                raise problem
            if not allow_failure:
                # The last line: adb's own message is one line; a wrapper's traceback ends in it.
                said = [line for line in (errors or output).strip().splitlines() if line.strip()]
                detail = said[-1].strip() if said else f"exit status {completed.returncode}"
                raise AdbError(f"adb {' '.join(args)} failed: {detail[:200]}")
        return output


_UNAUTHORIZED_HELP = (
    'the phone has not allowed this computer yet: unlock the phone, look for "Allow USB '
    'debugging?" on its screen and tap Allow, then run the check again'
)
NO_PHONE_HELP = (
    "no Android phone was found: check the USB cable (some cables only charge), unlock the "
    "phone, and turn on USB debugging (Settings > About phone > tap Build number 7 times, then "
    "Settings > System > Developer options > USB debugging)"
)


def unauthorized_message() -> str:
    return _UNAUTHORIZED_HELP


def classify_failure(text: str, serial: str | None) -> AdbError | None:
    """adb's error text as one of our errors, or None when it is not one adb reports itself."""
    lowered = text.lower()
    if "unauthorized" in lowered or "still authorizing" in lowered:
        return PhoneUnauthorized(_UNAUTHORIZED_HELP)
    if "more than one device" in lowered:
        return SeveralPhones(several_phones_message())
    if "no devices/emulators found" in lowered or "no devices found" in lowered:
        return NoPhone(NO_PHONE_HELP)
    gone = ("not found", "offline", "closed", "disconnected", "protocol fault", "no device")
    if serial is not None and any(word in lowered for word in gone):
        return PhoneDisconnected("the phone stopped answering (unplugged, locked out or restarted)")
    return None


def several_phones_message(count: int = 0) -> str:
    how_many = f"{count} phones are" if count > 1 else "more than one phone is"
    return (
        f"{how_many} connected: unplug the others, or choose one with --serial (see "
        "`devicecheck phone list`)"
    )


def serial_label(serial: str) -> str:
    """A serial number as it may be shown in messages: printable characters only, short."""
    return "".join(ch for ch in serial if ch.isprintable())[:64]
