"""Private, crash-safe file handling: 0700 directories, 0600 files, atomic replace, no symlinks."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from devicecheck.errors import DeviceCheckError

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def refuse_symlink(path: Path) -> None:
    """Raise if `path` is a symbolic link: evidence must never be written through one."""
    if path.is_symlink():
        raise DeviceCheckError(f"{path} is a symbolic link; refusing to use it")


def ensure_private_dir(path: Path) -> Path:
    """Create `path` (and parents) if needed; the directory itself ends up mode 0700."""
    refuse_symlink(path)
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR_MODE)
    if os.name == "posix":
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def fsync_directory(path: Path) -> None:
    """Make a rename or a new file in `path` durable (a no-op where directories cannot be opened)."""
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so a crash leaves either the old file or the new one, never half.

    The bytes go to a temporary file in the same directory (0600), are fsync'd, and the
    temporary file is renamed over `path`; the directory is fsync'd after the rename.
    """
    with atomic_writer(path) as handle:
        handle.write(data)


@contextlib.contextmanager
def atomic_writer(path: Path) -> Iterator[BinaryIO]:
    """`atomic_write` for a file written piece by piece (an evidence pack streams into one):
    the handle is a temporary file, renamed over `path` only when the block ends cleanly."""
    refuse_symlink(path)
    temporary = path.with_name(f".{path.name}.{os.urandom(6).hex()}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(temporary, flags, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    fsync_directory(path.parent)


def read_bytes_no_symlink(path: Path) -> bytes:
    """Read a file the program itself wrote, refusing a symlink put in its place."""
    refuse_symlink(path)
    return path.read_bytes()
