"""The evidence log: append-only, hash-chained, fsync'd, safe against crashes and other writers.

Every append holds an exclusive lock on `evidence/log.lock` while it reads the last entry
(only the tail of the file), builds the next one and writes it with a single `os.write` on an
O_APPEND descriptor followed by `os.fsync`. Two processes therefore never interleave lines or
fork the chain, and a writer killed at any moment leaves at worst an incomplete last line,
which the next writer notices and refuses to build on until `repair` sets it aside. A write or
fsync that fails (a full disk) is rolled back to where the file was, still under the lock.

In a protected data folder (core.protection) each line is stored sealed (core.evidence.sealed);
reading decrypts it back to the ordinary line, so every reader sees ordinary entries.
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

from devicecheck.core import protection
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import sealed
from devicecheck.core.evidence.attachments import (
    AttachmentRecord,
    remove_stale_incoming,
    store_attachment,
)
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
from devicecheck.core.protection import FolderKeys
from devicecheck.core.textsafety import escape_undecodable, without_surrogates
from devicecheck.errors import DeviceCheckError, InvalidDataError

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
    stored: str = GENESIS  # a protected log: the hash of the last stored (sealed) line


class EvidenceLog:
    """`<data>/evidence/log.jsonl`, with attachments in `<data>/evidence/files/`."""

    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir
        self.directory = data_dir.evidence
        self.path = self.directory / LOG_NAME
        self.files_dir = self.directory / "files"
        self.quarantine_dir = self.directory / "quarantine"
        self.lock_path = self.directory / "log.lock"
        self.root = data_dir.root
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
        # A locked protected folder stops here, before anything is written; so does one whose
        # header was removed (checked on this object's first append, and again under the lock
        # when the log has no entries).
        keys = self.keys(check_form=self._known_tail is None)
        fd, identity = self._lock_and_open()
        try:
            tail = self._tail(fd, identity, keys)
            if keys is None and tail.seq == 0:
                self.keys()  # a first entry: refused where the folder's header was removed
            if tail.torn_from is not None:
                raise DeviceCheckError(
                    f"the evidence log ends in an incomplete line; {REPAIR_HINT}"
                )
            entry, stored = _write_entry(
                fd, tail, kind, data, session, author, keys, size_before=identity[1]
            )
            self._known_tail = (
                _file_identity(os.fstat(fd)),
                _Tail(entry.seq, entry.hash, None, stored),
            )
            return entry
        finally:
            self._lock.release()

    def keys(self, check_form: bool = True) -> FolderKeys | None:
        """The folder's keys when it is protected (LockedError if they cannot be had), else None.
        With `check_form`, a log in the protected form in a folder without its header is
        refused, never written to in plaintext."""
        keys = protection.keys_for(self.root)
        if (
            keys is None
            and check_form
            and (self._looks_sealed() or protection.encrypted_files_remain(self.root))
        ):
            raise InvalidDataError(
                "this data folder was protected but its protection header "
                f"({protection.HEADER_NAME}) is missing; nothing is written there in plaintext. "
                "Restore the header from a backup"
            )
        return keys

    def is_protected(self) -> bool:
        return protection.is_protected(self.root)

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
        with self._new_copies() as copies:
            stored = [copies.store(Path(path)).to_dict() for path in attachments]
            data = {**incident.to_dict(), "attachments": stored}
            return self.append("incident", data, session=session, author=author)

    def attach(
        self, path: Path, *, note: str = "", session: str | None = None, author: str = SELF
    ) -> Entry:
        with self._new_copies() as copies:
            record = copies.store(Path(path))
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
        """Set an incomplete last line (bytes after the last newline) aside and record that.

        The torn bytes are copied to quarantine first; then the `repair` entry is written over
        them, in their place, and only then is anything left over cut off. A crash at any point
        leaves the torn bytes in quarantine or in the log, and the log readable. A complete line
        that is damaged is never touched here: verify reports it as edited.
        """
        keys = self.keys()
        if not self.path.exists():
            return RepairResult(repaired=False)
        with self._locked() as fd:
            self._clean_leftovers()
            tail = _read_tail(fd, keys)
            if tail.torn_from is None:
                return RepairResult(repaired=False)
            end = os.fstat(fd).st_size
            torn = _read_at(fd, tail.torn_from, end - tail.torn_from)
            quarantine = self._quarantine(torn)
            digest = hashlib.sha256(torn).hexdigest()
            data = {
                "quarantined": f"quarantine/{quarantine.name}",
                "sha256": digest,
                "size": len(torn),
                "offset": tail.torn_from,
            }
            entry, line = _sealed_entry(tail, "repair", data, None, SELF, keys)
            self._write_over_torn_tail(tail.torn_from, line)
            self._known_tail = None
        return RepairResult(True, quarantine, len(torn), digest, entry)

    def _write_over_torn_tail(self, offset: int, line: bytes) -> None:
        """Put `line` where the torn tail starts, then cut what is left of the tail after it."""
        fd = os.open(self.path, os.O_WRONLY | _NO_FOLLOW | getattr(os, "O_BINARY", 0))
        try:
            written = 0
            while written < len(line):
                written += os.pwrite(fd, line[written:], offset + written)
            os.fsync(fd)
            if os.fstat(fd).st_size > offset + len(line):
                os.ftruncate(fd, offset + len(line))
                os.fsync(fd)
        finally:
            os.close(fd)

    # --- reading -----------------------------------------------------------------------------

    def read(self) -> LogContents:
        """Every complete line that is an entry, oldest first; damaged lines are named, not fatal."""
        lines, torn = self._plain_lines()
        entries: list[Entry] = []
        unreadable: list[int] = []
        for number, line in enumerate(lines, 1):
            try:
                if line is None:
                    raise LogLineError(f"line {number}: not sealed with this folder's key")
                entries.append(parse_line(line, line_number=number))
            except LogLineError:
                unreadable.append(number)
        return LogContents(tuple(entries), tuple(unreadable), torn)

    def head(self) -> Entry | None:
        """The last complete entry, if any (read from the end of the file only)."""
        keys = self.keys()
        try:
            fd = os.open(self.path, os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return None
        try:
            return _read_tail(fd, keys, want_entry=True).entry
        finally:
            os.close(fd)

    def _plain_lines(self) -> tuple[list[bytes | None], bool]:
        """Every complete line as an ordinary entry line (decrypted in a protected folder; None
        where a sealed line does not open), and whether an incomplete line follows."""
        keys = self.keys()
        raw = self._raw()
        lines: list[bytes | None] = list(raw.split(b"\n"))
        torn = lines.pop() != b""
        if keys is None:
            return lines, torn
        opened: list[bytes | None] = []
        for line in lines:
            try:
                opened.append(sealed.open_line(keys, line or b""))
            except LogLineError:
                opened.append(None)
        return opened, torn

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
        lines, _ = self._plain_lines()
        return b"".join(line + b"\n" for line in lines if line is not None)

    def verify(self, receipts: Sequence[Any] = (), *, keyed: bool = True) -> VerifyReport:
        """Check the chain, every attachment and any receipts. In a protected folder the public
        chain over the stored bytes is always checked; with `keyed` (and the keys) every entry is
        also opened and its ordinary chain checked. Receipts need the keys there."""
        if protection.is_protected(self.root):
            keys = self.keys() if keyed or receipts else None
            return verify_log(self.path, self.files_dir, receipts, keys=keys, sealed_log=True)
        self.keys()  # refuses a protected log whose header was removed
        return verify_log(self.path, self.files_dir, receipts)

    # --- internals ---------------------------------------------------------------------------

    def _looks_sealed(self) -> bool:
        """Whether the log's first line is a complete stored protected entry (a torn or damaged
        first line is left to verify and repair)."""
        try:
            with open(self.path, "rb") as handle:
                first = handle.readline(1 << 20)
        except OSError:
            return False
        if not sealed.looks_sealed(first) or not first.endswith(b"\n"):
            return False
        try:
            sealed.parse_sealed(first[:-1])
        except LogLineError:
            return False
        return True

    def _raw(self) -> bytes:
        refuse_planted(self.directory, self.path)
        try:
            fd = os.open(self.path, os.O_RDONLY | _NO_FOLLOW | getattr(os, "O_BINARY", 0))
        except FileNotFoundError:
            return b""
        with os.fdopen(fd, "rb") as handle:
            refuse_hard_link(os.fstat(handle.fileno()), self.path)
            return handle.read()

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

    def _tail(self, fd: int, identity: _Identity, keys: FolderKeys | None) -> _Tail:
        """The last entry: remembered from this object's own last append if the file has not
        changed since (same inode, size and modification time), otherwise read from the end."""
        if self._known_tail is not None and self._known_tail[0] == identity:
            return self._known_tail[1]
        return _read_tail(fd, keys)

    def _open_for_append(self) -> int:
        refuse_planted(self.directory, self.path)
        try:
            fd = os.open(self.path, _APPEND_FLAGS | _NO_FOLLOW)
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
        try:
            refuse_hard_link(os.fstat(fd), self.path)
        except BaseException:
            os.close(fd)
            raise
        return fd

    @contextlib.contextmanager
    def _new_copies(self) -> Iterator[_NewCopies]:
        """Attachments stored for one entry; the copies this entry added are removed again if
        the entry is not written (a later file failed, the disk filled up)."""
        keys = self.keys()
        ensure_private_dir(self.data_dir.ensure(self.directory) / "files")
        copies = _NewCopies(self.files_dir, keys)
        try:
            yield copies
        except BaseException:
            copies.remove_new()
            raise

    def _clean_leftovers(self) -> None:
        """Partial attachment copies of writers that died, and empty quarantine files."""
        if self.files_dir.is_dir():
            remove_stale_incoming(self.files_dir)
        if self.quarantine_dir.is_dir():
            remove_stale_incoming(self.quarantine_dir)  # a quarantine copy cut short
            for path in self.quarantine_dir.iterdir():
                with contextlib.suppress(OSError):
                    if path.is_file() and not path.is_symlink() and path.stat().st_size == 0:
                        path.unlink()

    def _quarantine(self, torn: bytes) -> Path:
        """Keep the torn bytes (whole, or not at all: written under a temporary name first)."""
        ensure_private_dir(self.quarantine_dir)
        stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        path = self.quarantine_dir / f"torn-{stamp}-{secrets.token_hex(3)}.bin"
        temporary = self.quarantine_dir / f".incoming-{os.getpid()}-{secrets.token_hex(4)}"
        with protection.private_output(temporary) as fd:
            _write_all(fd, torn)
        os.replace(temporary, path)
        fsync_directory(self.quarantine_dir)
        return path


class _NewCopies:
    def __init__(self, files_dir: Path, keys: FolderKeys | None) -> None:
        self.files_dir = files_dir
        self.keys = keys
        self.created: list[Path] = []

    def store(self, path: Path) -> AttachmentRecord:
        record, created = store_attachment(self.files_dir, path, self.keys)
        if created is not None:
            self.created.append(created)
        return record

    def remove_new(self) -> None:
        for path in self.created:
            with contextlib.suppress(OSError):
                path.unlink()


def refuse_planted(directory: Path, path: Path) -> None:
    """The log's folder and file must be the program's own: no symlink in either place."""
    refuse_symlink(directory.parent)
    refuse_symlink(directory)
    refuse_symlink(path)


def refuse_hard_link(info: os.stat_result, path: Path) -> None:
    if info.st_nlink > 1:
        raise DeviceCheckError(
            f"{path} has another name (a hard link) elsewhere; refusing to use it as the log"
        )


def _sealed_entry(
    tail: _Tail,
    kind: str,
    data: dict,
    session: str | None,
    author: str,
    keys: FolderKeys | None,
) -> tuple[Entry, bytes]:
    """The next entry and the line to store: the ordinary line, sealed in a protected folder.
    Bytes that were not UTF-8 (a file name, an argument) are kept as \\xNN, not refused."""
    try:
        entry, line = seal_entry(
            seq=tail.seq + 1, prev=tail.hash, kind=kind, data=data, session=session, author=author
        )
    except DeviceCheckError:
        escaped, escaped_author = without_surrogates(data), escape_undecodable(author)
        if escaped == data and escaped_author == author:
            raise
        entry, line = seal_entry(
            seq=tail.seq + 1, prev=tail.hash, kind=kind, data=escaped,  # type: ignore[arg-type]
            session=session, author=escaped_author,
        )  # fmt: skip
    if keys is not None:
        line, _ = sealed.seal_line(keys, entry.seq, tail.stored, line[:-1])
    return entry, line


def _write_entry(
    fd: int,
    tail: _Tail,
    kind: str,
    data: dict,
    session: str | None,
    author: str,
    keys: FolderKeys | None,
    *,
    size_before: int,
) -> tuple[Entry, str]:
    """Write the next entry; on a failed write or fsync the file is cut back to `size_before`
    (its size when the lock was taken). Returns the entry and the hash of the stored line (the
    entry's own hash when plaintext)."""
    entry, line = _sealed_entry(tail, kind, data, session, author, keys)
    try:
        _write_all(fd, line)
        os.fsync(fd)
    except OSError as error:
        _roll_back(fd, size_before)
        raise DeviceCheckError(
            f"the entry could not be saved ({error.strerror or error}); nothing was recorded "
            "and the log is as it was"
        ) from None
    stored = entry.hash if keys is None else _stored_hash(line)
    return entry, stored


def _stored_hash(line: bytes) -> str:
    start = line.index(b',"hash":"') + len(b',"hash":"')
    return line[start : start + 64].decode("ascii")


def _roll_back(fd: int, size: int) -> None:
    """Cut the log back to `size` after a failed append (needs no free space)."""
    with contextlib.suppress(OSError):
        if os.fstat(fd).st_size > size:
            os.ftruncate(fd, size)
        os.fsync(fd)


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


@dataclass(frozen=True)
class _TailWithEntry(_Tail):
    entry: Entry | None = None


def _read_tail(fd: int, keys: FolderKeys | None, want_entry: bool = False) -> _TailWithEntry:
    """The last entry, reading only the end of the file.

    Only bytes after the last newline are a torn tail (an append is one write of a whole line,
    so a crash can only leave a line without its newline); `torn_from` is where it starts. A
    complete line that is damaged is left for verify to report as edited, and the chain
    continues from the last real entry before it.
    """
    torn_from: int | None = None
    for start, line, complete in _lines_backwards(fd):
        if not complete:
            torn_from = start
            continue
        try:
            if keys is None:
                entry, stored = parse_line(line), None
            else:
                outer = sealed.parse_sealed(line)
                entry = parse_line(sealed.open_box(keys, outer["seq"], outer["prev"], outer["box"]))
                stored = outer["hash"]
        except LogLineError:
            continue
        found = entry if want_entry else None
        return _TailWithEntry(entry.seq, entry.hash, torn_from, stored or GENESIS, found)
    return _TailWithEntry(0, GENESIS, torn_from)


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
