"""An exclusive inter-process lock on a small lock file beside the log.

A separate file, because on Windows a locked byte range of the log itself could not be read by
`verify` in another process. POSIX uses flock, Windows msvcrt.locking on the first byte.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from devicecheck.core.files import PRIVATE_FILE_MODE, refuse_symlink

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | _NO_FOLLOW | getattr(os, "O_CLOEXEC", 0)


class InterProcessLock:
    """An exclusive lock on `lock_path`, shared by threads and processes alike.

    The lock file stays open between uses (opening it each time costs as much as the rest of
    an append); a thread lock covers threads of one process, which share that descriptor.
    """

    def __init__(self, lock_path: Path) -> None:
        self.lock_path = lock_path
        self._fd: int | None = None
        self._threads = threading.Lock()

    def acquire(self) -> None:
        """Take the lock, waiting for any other holder; pair every call with `release`."""
        self._threads.acquire()
        try:
            if self._fd is None:
                self._fd = _open_lock_file(self.lock_path)
            _lock(self._fd)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        try:
            if self._fd is not None:
                _unlock(self._fd)
        finally:
            self._threads.release()

    def close(self) -> None:
        with self._threads:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _open_lock_file(lock_path: Path) -> int:
    if not _NO_FOLLOW:
        refuse_symlink(lock_path)  # where O_NOFOLLOW does not exist
    try:
        return os.open(lock_path, _OPEN_FLAGS, PRIVATE_FILE_MODE)
    except OSError:
        refuse_symlink(lock_path)  # O_NOFOLLOW refused a symlink: say so plainly
        raise


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
