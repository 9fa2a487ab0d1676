"""User accounts on Linux that someone can log in to, and when each appeared.

`/etc/passwd` (passwd(5)): `name:password:UID:GID:comment:home:shell`, one account a line. An
account whose shell is nologin or false cannot be logged in to. When an account was made is not
recorded as such; the nearest dates are the day its password was last set (`/etc/shadow`, field
3, days since 1970: shadow(5); readable by root only) and the time `useradd` / `adduser` copied
`/etc/skel` into its home folder (the status-change time of `.bash_logout`, a file nobody edits).
"""

import os
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.scan.procfs import read_regular

# shadow(5) and passwd(5): these shells refuse a login.
NO_LOGIN_SHELLS = frozenset({"nologin", "false", "sync", "shutdown", "halt"})
SKELETON_FILE = ".bash_logout"
DAY = 86400


class Account(NamedTuple):
    name: str
    uid: int
    home: str
    shell: str

    @property
    def can_log_in(self) -> bool:
        return bool(self.shell) and self.shell.rpartition("/")[2] not in NO_LOGIN_SHELLS


def parse_passwd(text: str) -> list[Account]:
    """The accounts in passwd text; lines that are not seven fields with a number UID are skipped."""
    accounts = []
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) != 7 or not fields[0] or fields[0].startswith(("#", "+", "-")):
            continue
        if not fields[2].isdigit() or len(fields[2]) > 10:
            continue
        accounts.append(Account(fields[0], int(fields[2]), fields[5], fields[6].strip()))
    return accounts


def parse_shadow_dates(text: str) -> dict[str, int]:
    """Account name -> the day (since 1970) its password was last set, from shadow text."""
    dates = {}
    for line in text.splitlines():
        fields = line.split(":")
        if len(fields) >= 3 and fields[0] and fields[2].isdigit() and len(fields[2]) < 7:
            dates[fields[0]] = int(fields[2])
    return dates


class Appeared(NamedTuple):
    timestamp: float
    how: str  # "password set" | "home folder made" | "home folder changed"


def when_appeared(account: Account, shadow_days: dict[str, int], root: Path) -> Appeared | None:
    """The nearest date to the account's creation that this computer keeps, or None."""
    if account.name in shadow_days and shadow_days[account.name] > 0:
        return Appeared(shadow_days[account.name] * DAY, "password set")
    home = root / account.home.lstrip("/")
    for path, how in ((home / SKELETON_FILE, "home folder made"), (home, "home folder changed")):
        try:
            return Appeared(os.lstat(path).st_ctime, how)
        except OSError:
            continue
    return None


def read_text(path: Path, limit: int = 4 * 1024 * 1024) -> str:
    """A small system file as text (OSError as the system raises it; a FIFO or device in its
    place is refused, never waited on)."""
    return read_regular(path, limit).decode("utf-8", "replace")
