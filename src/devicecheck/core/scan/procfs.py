"""Reading Linux's /proc for the behaviour checks (open files, program links, environments),
and the small files they read (`read_regular`).

Every /proc function takes the /proc root as a parameter (tests point it at a directory of their
own) and raises OSError as the kernel does: PermissionError for a process this user may not
look into, FileNotFoundError (or ProcessLookupError) for one that has ended.
"""

import errno
import os
import stat
from collections.abc import Iterator

PROC = "/proc"
DELETED_SUFFIX = " (deleted)"
MAX_ENVIRON_BYTES = 256 * 1024  # the kernel's own limit on a process environment is far larger


def fd_targets(pid: int, proc: str = PROC) -> Iterator[str]:
    """What each open file descriptor of `pid` points at (`/dev/input/event3`, `socket:[123]`).

    Listing the folder of a process one may not look into raises PermissionError; a descriptor
    closed while it is being read is skipped.
    """
    folder = f"{proc}/{pid}/fd"
    for name in os.listdir(folder):
        try:
            yield os.readlink(f"{folder}/{name}")
        except FileNotFoundError:
            continue


def exe_link(pid: int, proc: str = PROC) -> str:
    """The raw /proc/PID/exe link: the program file, with " (deleted)" when it was deleted."""
    return os.readlink(f"{proc}/{pid}/exe")


def read_small(path: str, limit: int = MAX_ENVIRON_BYTES) -> bytes:
    with open(path, "rb", buffering=0) as handle:
        return handle.read(limit)


def environ_value(pid: int, name: str, proc: str = PROC) -> str | None:
    """One variable of the environment `pid` was started with, or None when it is not set
    (looked for in the raw bytes first: most processes do not have it)."""
    data = read_small(f"{proc}/{pid}/environ")
    key = name.encode() + b"="
    if key not in data:
        return None
    for pair in data.split(b"\0"):
        if pair.startswith(key):
            return pair[len(key) :].decode("utf-8", "replace")
    return None


def read_regular(path: str | os.PathLike[str], limit: int) -> bytes:
    """At most `limit` bytes of a regular file. A FIFO, device or folder planted in its place is
    refused (OSError) without waiting: it is opened non-blocking and checked before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    descriptor = os.open(path, flags)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "not a regular file", str(path))
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            return handle.read(limit)
    finally:
        os.close(descriptor)
