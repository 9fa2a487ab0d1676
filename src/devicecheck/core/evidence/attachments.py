"""Attachments: files copied into `evidence/files/<sha256>` (0600) and checked again by verify."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devicecheck.core.files import PRIVATE_FILE_MODE, fsync_directory, refuse_symlink
from devicecheck.errors import DeviceCheckError

_CHUNK = 1 << 20
# O_NONBLOCK: opening a named pipe must not hang; it has no effect on regular files.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
)
_CREATE_FLAGS = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


@dataclass(frozen=True)
class AttachmentRecord:
    """What an entry records about a stored file."""

    sha256: str
    size: int
    name: str  # the original file name, without its folder
    mtime: str  # the original file's last modification, UTC ISO 8601

    def to_dict(self) -> dict[str, Any]:
        return {"sha256": self.sha256, "size": self.size, "name": self.name, "mtime": self.mtime}


def store_attachment(files_dir: Path, source: Path) -> AttachmentRecord:
    """Copy `source` into `files_dir` under its SHA-256; the same content is stored once."""
    if source.is_symlink():
        raise DeviceCheckError(f"{source} is a symbolic link; attach the file it points to")
    try:
        fd = os.open(source, _READ_FLAGS)
    except FileNotFoundError:
        raise DeviceCheckError(f"{source}: no such file") from None
    except IsADirectoryError:
        raise DeviceCheckError(f"{source} is a folder; attach files one by one") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise DeviceCheckError(f"{source} is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        digest, size = _copy_into(files_dir, handle)
    mtime = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc).isoformat()
    return AttachmentRecord(sha256=digest, size=size, name=source.name, mtime=mtime)


def _copy_into(files_dir: Path, handle: Any) -> tuple[str, int]:
    temporary = files_dir / f".incoming-{secrets.token_hex(6)}"
    fd = os.open(temporary, _CREATE_FLAGS, PRIVATE_FILE_MODE)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        destination = files_dir / digest.hexdigest()
        refuse_symlink(destination)
        if destination.exists():
            temporary.unlink()  # already stored; verify will say if that copy was altered
        else:
            os.replace(temporary, destination)
            fsync_directory(files_dir)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return digest.hexdigest(), size


def attachment_problem(files_dir: Path, sha256: Any, size: Any) -> str | None:
    """None if the stored copy is there with that size and hash; else "missing" or "altered"."""
    if not isinstance(sha256, str) or len(sha256) != 64:
        return "altered"
    path = files_dir / sha256
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:  # absent, or a symlink put in its place (O_NOFOLLOW)
        return "missing"
    digest = hashlib.sha256()
    length = 0
    with os.fdopen(fd, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            length += len(chunk)
    if length != size or digest.hexdigest() != sha256:
        return "altered"
    return None
