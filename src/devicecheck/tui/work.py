"""Helpers for thread workers: relay scan progress, and turn failures into one-line messages."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from textual.message_pump import MessagePump

from devicecheck.errors import DeviceCheckError
from devicecheck.tui.messages import ScanProgress, WorkFailed

T = TypeVar("T")

# What the command line tells its user to type: `quoted`, "devicecheck log repair", "--by".
_COMMAND_TEXT = re.compile(r"`[^`]*`|\bdevicecheck [a-z]|(?:^|[\s(])--[a-z]")


# Command-line advice that has a plain equivalent on screen.
_ON_SCREEN = (
    ("run `devicecheck scan --save`", "save the scan to your evidence log"),
    ("run `devicecheck log repair`", "ask for help to set the damaged line aside"),
    ("Run `devicecheck log repair`", "Ask for help"),
)


def plain_message(text: str) -> str:
    """A core message without the command-line advice in it, which means nothing on a screen:
    known advice is said in screen words; other parenthesised hints and "; ..." clauses that
    name commands or options are left out."""
    for command, words in _ON_SCREEN:
        text = text.replace(command, words)

    def without_command(match: re.Match[str]) -> str:
        return "" if _COMMAND_TEXT.search(match.group(0)) else match.group(0)

    text = re.sub(r"\s*\([^()]*\)", without_command, text)
    kept = [part for part in re.split(r";\s+", text) if not _COMMAND_TEXT.search(part)]
    return "; ".join(kept).strip() or "That could not be done here; ask for help."


class ProgressRelay:
    """A ScanObserver that posts each step of the scan to a screen as a ScanProgress message."""

    def __init__(self, target: MessagePump) -> None:
        self.target = target
        self.totals: dict[str, int] = {}

    def stage_started(self, stage: str, total: int) -> None:
        self.totals[stage] = total
        self.target.post_message(ScanProgress(stage, 0, total))

    def advanced(self, stage: str, done: int) -> None:
        self.target.post_message(ScanProgress(stage, done, self.totals.get(stage, done)))


def guarded(target: MessagePump, job: Callable[[], T]) -> T | None:
    """Run `job` in the worker thread; a problem becomes a WorkFailed message for `target`."""
    try:
        return job()
    except DeviceCheckError as error:
        target.post_message(WorkFailed(plain_message(error.message)))
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        target.post_message(WorkFailed(f"{error.strerror or error}{where}"))
    except Exception as error:  # the UI must stay up: a frightened person never sees a traceback
        target.post_message(WorkFailed(f"unexpected error: {type(error).__name__}: {error}"))
    return None


def describe(value: Any) -> str:
    return str(value) if value not in (None, "") else "-"
