"""An exclusive inter-process lock on a small lock file beside the log.

A separate file, because on Windows a locked byte range of the log itself could not be read by
`verify` in another process. POSIX uses flock, Windows msvcrt.locking on the first byte.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from devicecheck.core.files import PRIVATE_FILE_MODE, refuse_symlink

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | _NO_FOLLOW | getattr(os, "O_CLOEXEC", 0)


@contextlib.contextmanager
def exclusive_lock(lock_path: Path) -> Iterator[None]:
    """Hold the lock for the body of the `with`; waits for any other holder."""
    if not _NO_FOLLOW:
        refuse_symlink(lock_path)  # where O_NOFOLLOW does not exist
    try:
        fd = os.open(lock_path, _OPEN_FLAGS, PRIVATE_FILE_MODE)
    except OSError:
        refuse_symlink(lock_path)  # O_NOFOLLOW refused a symlink: say so plainly
        raise
    try:
        _lock(fd)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if os.name == "nt":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _lock(fd: int) -> None:
        while True:
            try:
                os.lseek(fd, 0, os.SEEK_SET)
                msvcrt.locking(fd, msvcrt.LK_LOCK, 1)
                return
            except OSError:  # LK_LOCK gives up after ten seconds; keep waiting
                time.sleep(0.05)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
