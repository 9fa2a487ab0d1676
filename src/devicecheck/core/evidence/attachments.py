"""Attachments: files copied into `evidence/files/<sha256>` (0600) and checked again by verify.

In a protected folder the copy is encrypted as it is read (chunk by chunk, so a large photo never
sits whole in memory) and named by a keyed hash of its SHA-256 instead of the SHA-256 itself, so
the folder does not show which known file it holds.
"""

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

from devicecheck.core import protection
from devicecheck.core.files import fsync_directory, refuse_symlink
from devicecheck.core.protection import FolderKeys
from devicecheck.errors import DeviceCheckError, InvalidDataError

INCOMING_PREFIX = ".incoming-"
# Every attachment is sealed with the same label: its name is its content's (keyed) hash, and
# verify compares the decrypted content with the SHA-256 its entry records, so a copy moved
# to another name is caught by that check.
ATTACHMENT_LABEL = b"evidence/files"

_CHUNK = 1 << 20
# O_NONBLOCK: opening a named pipe must not hang; it has no effect on regular files.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_BINARY", 0)
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


def store_attachment(
    files_dir: Path, source: Path, keys: FolderKeys | None = None
) -> tuple[AttachmentRecord, Path | None]:
    """Copy `source` into `files_dir` under its SHA-256 (or its keyed name in a protected
    folder); the same content is stored once. Returns the record and the path of the copy if
    this call created it (None if that content was already stored)."""
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
        digest, size, created = _copy_into(files_dir, handle, keys)
    mtime = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc).isoformat()
    record = AttachmentRecord(sha256=digest, size=size, name=display_name(source), mtime=mtime)
    return record, created


def display_name(path: Path) -> str:
    """The file's name as text; bytes that are not UTF-8 are kept as \\xNN escapes."""
    return path.name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def stored_path(files_dir: Path, sha256: str, keys: FolderKeys | None) -> Path:
    return files_dir / (sha256 if keys is None else keys.attachment_name(sha256))


def _copy_into(
    files_dir: Path, handle: Any, keys: FolderKeys | None
) -> tuple[str, int, Path | None]:
    temporary = files_dir / f"{INCOMING_PREFIX}{os.getpid()}-{secrets.token_hex(6)}"
    digest = hashlib.sha256()
    size = 0

    def plaintext() -> Any:
        nonlocal size
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            yield chunk

    try:
        with protection.private_output(temporary) as fd:
            pieces = plaintext()
            if keys is not None:
                pieces = protection.encrypt_chunks(keys, ATTACHMENT_LABEL, pieces)
            for piece in pieces:
                _write_all(fd, piece)
        destination = stored_path(files_dir, digest.hexdigest(), keys)
        refuse_symlink(destination)
        if destination.exists():
            temporary.unlink()  # already stored; verify will say if that copy was altered
            return digest.hexdigest(), size, None
        os.replace(temporary, destination)
        fsync_directory(files_dir)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink()
        raise
    return digest.hexdigest(), size, destination


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def remove_stale_incoming(files_dir: Path) -> list[Path]:
    """Remove partial copies left by writers that were killed (their process is gone)."""
    removed = []
    for path in files_dir.glob(INCOMING_PREFIX + "*"):
        pid_text = path.name[len(INCOMING_PREFIX) :].split("-", 1)[0]
        if pid_text.isdigit() and _process_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def attachment_problem(
    files_dir: Path, sha256: Any, size: Any, keys: FolderKeys | None = None
) -> str | None:
    """None if the stored copy is there with that size and hash; else "missing" or "altered".
    In a protected folder the copy is decrypted as it is hashed."""
    if not isinstance(sha256, str) or len(sha256) != 64:
        return "altered"
    path = stored_path(files_dir, sha256, keys)
    try:
        fd = os.open(path, _READ_FLAGS)
    except OSError:  # absent, or a symlink put in its place (O_NOFOLLOW)
        return "missing"
    digest = hashlib.sha256()
    length = 0
    with os.fdopen(fd, "rb") as handle:
        try:
            for chunk in _plain_chunks(handle, files_dir, path, keys):
                digest.update(chunk)
                length += len(chunk)
        except InvalidDataError:
            return "altered"
    if length != size or digest.hexdigest() != sha256:
        return "altered"
    return None


def open_attachment(files_dir: Path, sha256: str, keys: FolderKeys | None) -> Any:
    """The stored copy's plaintext, chunk by chunk (for export and pack)."""
    path = stored_path(files_dir, sha256, keys)
    refuse_symlink(path)
    with open(path, "rb") as handle:
        yield from _plain_chunks(handle, files_dir, path, keys)


def _plain_chunks(handle: Any, files_dir: Path, path: Path, keys: FolderKeys | None) -> Any:
    if keys is None:
        while chunk := handle.read(_CHUNK):
            yield chunk
        return
    yield from protection.decrypt_stream(keys, ATTACHMENT_LABEL, handle)
