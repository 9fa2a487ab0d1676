"""Reading Linux's /proc for the behaviour checks: open files, program links and environments.

Every function takes the /proc root as a parameter (tests point it at a directory of their own)
and raises OSError as the kernel does: PermissionError for a process this user may not look
into, FileNotFoundError (or ProcessLookupError) for one that has ended.
"""

import os
from collections.abc import Iterator

PROC = "/proc"
DELETED_SUFFIX = " (deleted)"
MAX_ENVIRON_BYTES = 256 * 1024  # the kernel's own limit on a process environment is far larger


def pids(proc: str = PROC) -> list[int]:
    """The ids of the processes /proc lists now."""
    try:
        names = os.listdir(proc)
    except OSError:
        return []
    return [int(name) for name in names if name.isdigit()]


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


def environ(pid: int, proc: str = PROC) -> dict[str, str]:
    """The environment `pid` was started with (NUL-separated NAME=value pairs)."""
    data = read_small(f"{proc}/{pid}/environ")
    variables: dict[str, str] = {}
    for pair in data.split(b"\0"):
        name, equals, value = pair.partition(b"=")
        if equals and name:
            variables.setdefault(name.decode("utf-8", "replace"), value.decode("utf-8", "replace"))
    return variables


def comm(pid: int, proc: str = PROC) -> str:
    """The short name the process gave itself (at most 15 bytes, settable by the process)."""
    return read_small(f"{proc}/{pid}/comm", 64).decode("utf-8", "replace").rstrip("\n")
