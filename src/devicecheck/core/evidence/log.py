"""The evidence log: append-only, hash-chained, fsync'd, safe against crashes and other writers.

Every append holds an exclusive lock on `evidence/log.lock` while it reads the last entry
(only the tail of the file), builds the next one and writes it with a single `os.write` on an
O_APPEND descriptor followed by `os.fsync`. Two processes therefore never interleave lines or
fork the chain, and a writer killed at any moment leaves at worst an incomplete last line,
which the next writer notices and refuses to build on until `repair` sets it aside.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence.attachments import store_attachment
from devicecheck.core.evidence.entries import (
    GENESIS,
    SELF,
    Entry,
    LogLineError,
    check_new_entry,
    parse_line,
    seal_entry,
)
from devicecheck.core.evidence.incidents import Incident, check_incident
from devicecheck.core.evidence.locking import InterProcessLock
from devicecheck.core.evidence.verify import VerifyReport, verify_log
from devicecheck.core.files import (
    PRIVATE_FILE_MODE,
    ensure_private_dir,
    fsync_directory,
    refuse_symlink,
)
from devicecheck.errors import DeviceCheckError

LOG_NAME = "log.jsonl"
_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_APPEND_FLAGS = os.O_RDWR | os.O_APPEND | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
_TAIL_WINDOW = 16 * 1024
_MIN_ID_PREFIX = 6
REPAIR_HINT = (
    "run `devicecheck log repair` to set the incomplete last line aside (nothing is deleted)"
)


_Identity = tuple[int, int, int]  # inode, size, modification time (ns)


@dataclass(frozen=True)
class RepairResult:
    repaired: bool  # False: there was no torn tail, nothing was touched
    quarantine: Path | None = None  # where the torn bytes now are
    size: int = 0
    sha256: str | None = None
    entry: Entry | None = None  # the `repair` entry recording it

    def to_dict(self) -> dict[str, Any]:
        return {
            "repaired": self.repaired,
            "quarantine": str(self.quarantine) if self.quarantine else None,
            "size": self.size,
            "sha256": self.sha256,
            "entry": self.entry.to_dict() if self.entry else None,
        }


@dataclass(frozen=True)
class LogContents:
    """Every entry that reads as one, and what did not."""

    entries: tuple[Entry, ...]
    unreadable_lines: tuple[int, ...]  # line numbers of complete lines that are not entries
    torn_tail: bool  # the file ends in an incomplete line


@dataclass(frozen=True)
class _Tail:
    seq: int  # of the last complete entry (0 for an empty log)
    hash: str  # of the last complete entry (GENESIS for an empty log)
    torn_from: int | None  # offset where an incomplete tail starts, if there is one


class EvidenceLog:
    """`<data>/evidence/log.jsonl`, with attachments in `<data>/evidence/files/`."""

    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir
        self.directory = data_dir.evidence
        self.path = self.directory / LOG_NAME
        self.files_dir = self.directory / "files"
        self.quarantine_dir = self.directory / "quarantine"
        self.lock_path = self.directory / "log.lock"
        self._directory_ready = False
        self._known_tail: tuple[_Identity, _Tail] | None = None
        self._lock = InterProcessLock(self.lock_path)
        self._fd: int | None = None  # kept open between appends; reopened if the file goes

    def close(self) -> None:
        """Release the open log and lock files (they are reopened if the log is used again)."""
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)
        self._lock.close()

    def __enter__(self) -> EvidenceLog:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        # Not contextlib.suppress: at interpreter exit that module may already be gone.
        try:
            self.close()
        except Exception:
            return

    # --- writing -----------------------------------------------------------------------------

    def append(
        self, kind: str, data: dict, *, session: str | None = None, author: str = SELF
    ) -> Entry:
        """Add one entry; it is on disk (fsync'd) when this returns."""
        check_new_entry(kind, data, session, author)
        fd, identity = self._lock_and_open()
        try:
            tail = self._tail(fd, identity)
            if tail.torn_from is not None:
                raise DeviceCheckError(
                    f"the evidence log ends in an incomplete line; {REPAIR_HINT}"
                )
            entry = _write_entry(fd, tail, kind, data, session, author)
            self._known_tail = (_file_identity(os.fstat(fd)), _Tail(entry.seq, entry.hash, None))
            return entry
        finally:
            self._lock.release()

    def add_note(self, text: str, *, session: str | None = None, author: str = SELF) -> Entry:
        if not text.strip():
            raise DeviceCheckError("a note needs some text")
        return self.append("note", {"text": text}, session=session, author=author)

    def add_incident(
        self,
        incident: Incident,
        *,
        attachments: Sequence[Path] = (),
        session: str | None = None,
        author: str = SELF,
    ) -> Entry:
        check_incident(incident)
        stored = [self._store(Path(path)).to_dict() for path in attachments]
        data = {**incident.to_dict(), "attachments": stored}
        return self.append("incident", data, session=session, author=author)

    def attach(
        self, path: Path, *, note: str = "", session: str | None = None, author: str = SELF
    ) -> Entry:
        record = self._store(Path(path))
        data = {**record.to_dict(), "note": note}
        return self.append("attachment", data, session=session, author=author)

    def amend(self, entry_id: str, note: str, *, author: str = SELF) -> Entry:
        """A correction is a new entry pointing at the old one; the old one is never changed."""
        if not note.strip():
            raise DeviceCheckError("an amendment needs a note saying what is corrected")
        target = self.get(entry_id)
        data = {"amends": target.id, "amends_seq": target.seq, "note": note}
        return self.append("amendment", data, session=target.session, author=author)

    def repair(self) -> RepairResult:
        """Move an incomplete last line to quarantine and record that; nothing else is touched."""
        if not self.path.exists():
            return RepairResult(repaired=False)
        with self._locked() as fd:
            tail = _read_tail(fd)
            if tail.torn_from is None:
                return RepairResult(repaired=False)
            torn = _read_at(fd, tail.torn_from, os.fstat(fd).st_size - tail.torn_from)
            quarantine = self._quarantine(torn)
            os.ftruncate(fd, tail.torn_from)
            os.fsync(fd)
            digest = hashlib.sha256(torn).hexdigest()
            data = {
                "quarantined": f"quarantine/{quarantine.name}",
                "sha256": digest,
                "size": len(torn),
                "offset": tail.torn_from,
            }
            entry = _write_entry(fd, _read_tail(fd), "repair", data, None, SELF)
        return RepairResult(True, quarantine, len(torn), digest, entry)

    # --- reading -----------------------------------------------------------------------------

    def read(self) -> LogContents:
        """Every complete line that is an entry, oldest first; damaged lines are named, not fatal."""
        raw = self._raw()
        lines = raw.split(b"\n")
        torn = lines.pop() != b""
        entries: list[Entry] = []
        unreadable: list[int] = []
        for number, line in enumerate(lines, 1):
            try:
                entries.append(parse_line(line, line_number=number))
            except LogLineError:
                unreadable.append(number)
        return LogContents(tuple(entries), tuple(unreadable), torn)

    def entries(self, *, kind: str | None = None, session: str | None = None) -> list[Entry]:
        return [
            entry
            for entry in self.read().entries
            if (kind is None or entry.kind == kind)
            and (session is None or entry.session == session)
        ]

    def get(self, entry_id: str) -> Entry:
        """The entry with this id (or an unambiguous start of it, at least six characters)."""
        wanted = entry_id.strip().lower()
        entries = self.read().entries
        exact = [entry for entry in entries if entry.id == wanted]
        if exact:
            return exact[0]
        matches = [e for e in entries if len(wanted) >= _MIN_ID_PREFIX and e.id.startswith(wanted)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise DeviceCheckError(
                f"{entry_id!r} matches {len(matches)} entries; give more of the id"
            )
        raise DeviceCheckError(
            f"no evidence entry with id {entry_id!r} (see `devicecheck log list`)"
        )

    def amendments_of(self, entry_id: str) -> list[Entry]:
        return [
            entry
            for entry in self.read().entries
            if entry.kind == "amendment" and entry.data.get("amends") == entry_id
        ]

    def complete_lines(self) -> bytes:
        """The stored bytes up to the last newline: every complete line, exactly as written."""
        raw = self._raw()
        return raw[: raw.rfind(b"\n") + 1]

    def verify(self) -> VerifyReport:
        return verify_log(self.path, self.files_dir)

    # --- internals ---------------------------------------------------------------------------

    def _raw(self) -> bytes:
        refuse_symlink(self.directory)
        refuse_symlink(self.path)
        try:
            return self.path.read_bytes()
        except FileNotFoundError:
            return b""

    @contextlib.contextmanager
    def _locked(self) -> Iterator[int]:
        """The log open for appending (created 0600 if new), under the inter-process lock."""
        fd, _ = self._lock_and_open()
        try:
            yield fd
        finally:
            self._lock.release()

    def _lock_and_open(self) -> tuple[int, _Identity]:
        """Take the lock, then the log's descriptor (opened, or created 0600, if need be) and
        the identity of the file it names. The caller releases the lock."""
        if not self._directory_ready:
            self.data_dir.ensure(self.directory)
            self._directory_ready = True
        self._lock.acquire()
        try:
            if self._fd is not None:
                info = os.fstat(self._fd)
                if info.st_nlink > 0:
                    return self._fd, _file_identity(info)
                os.close(self._fd)  # the log was deleted or renamed away: start the file again
                self._fd, self._known_tail = None, None
            self._fd = self._open_for_append()
            return self._fd, _file_identity(os.fstat(self._fd))
        except BaseException:
            self._lock.release()
            raise

    def _tail(self, fd: int, identity: _Identity) -> _Tail:
        """The last entry: remembered from this object's own last append if the file has not
        changed since (same inode, size and modification time), otherwise read from the end."""
        if self._known_tail is not None and self._known_tail[0] == identity:
            return self._known_tail[1]
        return _read_tail(fd)

    def _open_for_append(self) -> int:
        if not _NO_FOLLOW:
            refuse_symlink(self.path)  # where O_NOFOLLOW does not exist
        try:
            return os.open(self.path, _APPEND_FLAGS | _NO_FOLLOW)
        except FileNotFoundError:
            fd = os.open(self.path, _APPEND_FLAGS | _NO_FOLLOW | os.O_CREAT, PRIVATE_FILE_MODE)
            fsync_directory(self.directory)
            return fd
        except OSError as error:
            if self.path.is_symlink():
                raise DeviceCheckError(
                    f"{self.path} is a symbolic link; refusing to use it"
                ) from None
            raise error

    def _store(self, path: Path) -> Any:
        ensure_private_dir(self.data_dir.ensure(self.directory) / "files")
        return store_attachment(self.files_dir, path)

    def _quarantine(self, torn: bytes) -> Path:
        ensure_private_dir(self.quarantine_dir)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = self.quarantine_dir / f"torn-{stamp}-{secrets.token_hex(3)}.bin"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        fd = os.open(path, flags | getattr(os, "O_BINARY", 0), PRIVATE_FILE_MODE)
        try:
            _write_all(fd, torn)
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_directory(self.quarantine_dir)
        return path


def _write_entry(
    fd: int, tail: _Tail, kind: str, data: dict, session: str | None, author: str
) -> Entry:
    entry, line = seal_entry(
        seq=tail.seq + 1, prev=tail.hash, kind=kind, data=data, session=session, author=author
    )
    _write_all(fd, line)
    os.fsync(fd)
    return entry


def _file_identity(info: os.stat_result) -> _Identity:
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _write_all(fd: int, data: bytes) -> None:
    written = os.write(fd, data)
    while written < len(data):  # a short write on a regular file is rare; finish the line
        written += os.write(fd, data[written:])


def _read_at(fd: int, offset: int, length: int) -> bytes:
    os.lseek(fd, offset, os.SEEK_SET)
    chunks = []
    while length > 0:
        chunk = os.read(fd, length)
        if not chunk:
            break
        chunks.append(chunk)
        length -= len(chunk)
    return b"".join(chunks)


def _read_tail(fd: int) -> _Tail:
    """The last entry, reading only the end of the file.

    Bytes after the last newline, and a last complete line that is not an entry, are a torn
    tail (a write that was cut short); `torn_from` is where it starts. Further back, a damaged
    line is left for verify to report and the chain continues from the last real entry.
    """
    torn_from: int | None = None
    complete_lines = 0
    for start, line, complete in _lines_backwards(fd):
        if not complete:
            torn_from = start
            continue
        complete_lines += 1
        try:
            entry = parse_line(line)
        except LogLineError:
            if complete_lines == 1:
                torn_from = start
            continue
        return _Tail(entry.seq, entry.hash, torn_from)
    return _Tail(0, GENESIS, torn_from)


def _lines_backwards(fd: int) -> Iterator[tuple[int, bytes, bool]]:
    """(offset, line without newline, ends in a newline) from the last line back to the first."""
    end = os.fstat(fd).st_size
    base, data, window = end, b"", _TAIL_WINDOW
    while end > 0:
        if base >= end:
            base, data, window = _grow(fd, base, data, window)
        complete = data[end - base - 1 : end - base] == b"\n"
        stop = end - 1 if complete else end
        newline = data.rfind(b"\n", 0, stop - base)
        while newline < 0 and base > 0:
            base, data, window = _grow(fd, base, data, window)
            newline = data.rfind(b"\n", 0, stop - base)
        start = base + newline + 1
        yield start, data[start - base : stop - base], complete
        end = start


def _grow(fd: int, base: int, data: bytes, window: int) -> tuple[int, bytes, int]:
    new_base = max(0, base - window)
    return new_base, _read_at(fd, new_base, base - new_base) + data, window * 4
