"""Messages that thread workers post back to the screens (post_message is thread-safe)."""

from __future__ import annotations

from typing import Any

from textual.message import Message


class ScanProgress(Message):
    """The scan reached `done` of `total` in a stage ("processes", "connections", "autostart")."""

    def __init__(self, stage: str, done: int, total: int) -> None:
        super().__init__()
        self.stage = stage
        self.done = done
        self.total = total


class ScanFinished(Message):
    def __init__(self, result: Any) -> None:
        super().__init__()
        self.result = result  # devicecheck.core.scan.ScanResult


class EvidenceSaved(Message):
    """Something was written to the evidence log; `what` says what, in words."""

    def __init__(self, what: str, entry_id: str) -> None:
        super().__init__()
        self.what = what
        self.entry_id = entry_id


class DiaryLoaded(Message):
    def __init__(self, entries: list[Any], verify: Any) -> None:
        super().__init__()
        self.entries = entries  # list[devicecheck.core.evidence.Entry], oldest first
        self.verify = verify  # devicecheck.core.evidence.VerifyReport


class SessionsLoaded(Message):
    def __init__(self, sessions: tuple[Any, ...], problems: tuple[str, ...]) -> None:
        super().__init__()
        self.sessions = sessions
        self.problems = problems


class ReportWritten(Message):
    def __init__(self, path: str, intact: bool = True) -> None:
        super().__init__()
        self.path = path
        self.intact = intact  # False: the evidence log failed its check


class WorkFailed(Message):
    """A worker met a problem the person must see: one line, never a traceback."""

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class EntryLoaded(Message):
    def __init__(self, entry: Any, corrections: list[Any]) -> None:
        super().__init__()
        self.entry = entry  # devicecheck.core.evidence.Entry
        self.corrections = corrections  # its amendment entries, oldest first


class PhoneLooked(Message):
    """What `adb devices -l` showed: `state` is ready, none, unauthorized, several, offline or
    no-adb; `serial` is the phone to check when ready; `detail` words for no-adb."""

    def __init__(self, state: str, serial: str | None = None, detail: str = "") -> None:
        super().__init__()
        self.state = state
        self.serial = serial
        self.detail = detail


class PhoneProgress(Message):
    def __init__(self, what: str, number: int, total: int) -> None:
        super().__init__()
        self.what = what
        self.number = number
        self.total = total


class PhoneChecked(Message):
    """The check finished, or stopped part-way (`stopped` says why; `result` holds what was
    read)."""

    def __init__(self, result: Any, stopped: str = "") -> None:
        super().__init__()
        self.result = result  # PhoneScanResult
        self.stopped = stopped
