"""Turning protection on and off for a data folder that already holds things, crash-safely.

Both directions work the same way:
1. every file is written anew in its other form under a staged name (`<name>.dcnew`), fsync'd,
   and a journal (`.protection-journal.json`) lists the renames still to do;
2. one atomic step switches the folder: the header `protection.json` is written (protect) or
   removed (unprotect);
3. the staged files are renamed over the old ones, and only then are the old copies that have
   other names (attachments) removed; the journal goes last.
A crash before step 2 leaves the folder as it was (the staged files are removed on the next
run); a crash after it is finished on the next run (`recover`). Derived files (the indicator
cache) are deleted rather than converted: they are rebuilt when next needed.

Deleted plaintext is gone from the folder, but may remain in the disk's free blocks (and on
SSDs, in blocks the drive has remapped) until overwritten: see docs/evidence-format.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from devicecheck.core import protection
from devicecheck.core.evidence import sealed
from devicecheck.core.evidence.attachments import ATTACHMENT_LABEL
from devicecheck.core.evidence.entries import GENESIS, LogLineError
from devicecheck.core.evidence.locking import InterProcessLock
from devicecheck.core.files import atomic_write, fsync_directory, refuse_symlink
from devicecheck.core.protection import FolderKeys, KdfParameters
from devicecheck.errors import DeviceCheckError

STAGED_SUFFIX = protection.STAGED_SUFFIX
_LOG = Path("evidence") / "log.jsonl"
_FILES = Path("evidence") / "files"
_DERIVED = (Path("indicators") / "cache",)
_NOT_DATA = {protection.HEADER_NAME, protection.JOURNAL_NAME}
_HEX = set("0123456789abcdef")


def protect(root: Path, passphrase: str, kdf: KdfParameters = protection.DEFAULT_KDF) -> int:
    """Protect the folder at `root` with `passphrase`; returns how many files were converted."""
    root = Path(root)
    recover(root)
    if protection.is_protected(root):
        raise DeviceCheckError(
            "this data folder is already protected (to change the passphrase, use "
            "`devicecheck protect --change`)"
        )
    header, data_key = protection.new_header(passphrase, kdf)
    keys = protection.keys_from_data_key(data_key)
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _log_lock(root):
        _write_journal(root, "protect", None)  # staging: a crash now is undone
        operations = _stage_protected(root, keys)
        _write_journal(root, "protect", operations)
        protection.write_header(root, header)  # the switch
        _finish(root, operations)
    protection.remember_keys(root, keys)
    return len(operations)


def unprotect(root: Path) -> int:
    """Decrypt everything in place and remove the header; the folder must be unlocked."""
    root = Path(root)
    recover(root)
    keys = protection.keys_for(root)
    if keys is None:
        raise DeviceCheckError("this data folder is not protected")
    with _log_lock(root):
        _write_journal(root, "unprotect", None)  # staging: a crash now is undone
        operations = _stage_plain(root, keys)
        _write_journal(root, "unprotect", operations)
        protection.header_path(root).unlink()  # the switch
        fsync_directory(root)
        _finish(root, operations)
    protection.forget_keys(root)
    return len(operations)


def recover(root: Path) -> None:
    """Finish or undo a change of protection that a crash interrupted."""
    journal_path = Path(root) / protection.JOURNAL_NAME
    refuse_symlink(journal_path)
    if not journal_path.exists():
        return
    try:
        journal = json.loads(journal_path.read_bytes())
        direction = journal["direction"]
        staging = journal["operations"] is None
        operations = (
            [] if staging else [_checked_operation(root, item) for item in journal["operations"]]
        )
    except (ValueError, KeyError, TypeError):
        raise DeviceCheckError(
            f"{journal_path} is damaged; the last change of protection did not finish"
        ) from None
    switched = protection.is_protected(root) == (direction == "protect")
    if switched and not staging:
        _finish(Path(root), operations)
        return
    # Stopped before the switch (while staging, or before the header changed): undo.
    for staged in _staged_files(Path(root)):
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
    journal_path.unlink()
    fsync_directory(Path(root))


def _staged_files(root: Path) -> list[Path]:
    return [
        Path(folder) / name
        for folder, _, names in os.walk(root)
        for name in names
        if name.endswith(STAGED_SUFFIX)
    ]


# --- staging ---------------------------------------------------------------------------------

_Operation = tuple[str, str, "str | None"]  # staged, final, old copy to remove (relative)


def _stage_protected(root: Path, keys: FolderKeys) -> list[_Operation]:
    operations: list[_Operation] = []
    log = root / _LOG
    if log.exists():
        refuse_symlink(log)
        raw = log.read_bytes()
        if raw and not raw.endswith(b"\n"):
            raise DeviceCheckError(
                "the evidence log ends in an incomplete line; run `devicecheck log repair` first"
            )
        operations.append(_stage(root, _LOG, _sealed_log(keys, raw)))
    for path in _attachments(root):
        keyed = keys.attachment_name(path.name)
        final = path.with_name(keyed)
        with open(path, "rb") as source:
            pieces = protection.encrypt_stream(keys, ATTACHMENT_LABEL, source)
            operations.append(_stage(root, _rel(root, final), pieces, remove=_rel(root, path)))
    return operations + _stage_other_files(root, keys, encrypt=True)


def _stage_plain(root: Path, keys: FolderKeys) -> list[_Operation]:
    operations: list[_Operation] = []
    log = root / _LOG
    if log.exists():
        refuse_symlink(log)
        operations.append(_stage(root, _LOG, [_opened_log(keys, log.read_bytes())]))
    files = root / _FILES
    if files.is_dir():
        for path in sorted(files.iterdir()):
            if not _is_hex_name(path.name) or path.is_symlink():
                continue
            with open(path, "rb") as source:
                digest = _plain_digest(keys, source)
            if digest is None:
                continue  # does not open: left as it is, verify reports it
            with open(path, "rb") as source:
                pieces = protection.decrypt_stream(keys, ATTACHMENT_LABEL, source)
                final = path.with_name(digest)
                operations.append(_stage(root, _rel(root, final), pieces, remove=_rel(root, path)))
    return operations + _stage_other_files(root, keys, encrypt=False)


def _stage_other_files(root: Path, keys: FolderKeys, *, encrypt: bool) -> list[_Operation]:
    """Sessions, imports, quarantine and other files: each encrypted (or decrypted) under its
    own path as label; a file already in the wanted form is left alone."""
    convert = protection.encrypt_stream if encrypt else protection.decrypt_stream
    operations: list[_Operation] = []
    for path in _other_files(root):
        with open(path, "rb") as source:
            if protection.is_encrypted_file(source.read(len(protection.FILE_MAGIC))) == encrypt:
                continue
            source.seek(0)
            pieces = convert(keys, protection.file_label(root, path), source)
            operations.append(_stage(root, _rel(root, path), pieces))
    return operations


def _sealed_log(keys: FolderKeys, raw: bytes) -> Iterator[bytes]:
    """Every line sealed as it is (a damaged line too: verify goes on reporting it)."""
    prev = GENESIS
    for seq, line in enumerate(raw.splitlines(), 1):
        stored, prev = sealed.seal_line(keys, seq, prev, line)
        yield stored


def _opened_log(keys: FolderKeys, raw: bytes) -> bytes:
    """Every line opened; one that does not open is kept as it is stored, for verify to name."""
    out = []
    for line in raw.splitlines(keepends=True):
        try:
            out.append(sealed.open_line(keys, line.rstrip(b"\n")) + b"\n")
        except LogLineError:
            out.append(line)
    return b"".join(out)


def _plain_digest(keys: FolderKeys, source: object) -> str | None:
    import hashlib

    digest = hashlib.sha256()
    try:
        for chunk in protection.decrypt_stream(keys, ATTACHMENT_LABEL, source):  # type: ignore[arg-type]
            digest.update(chunk)
    except DeviceCheckError:
        return None
    return digest.hexdigest()


def _stage(root: Path, final: Path, pieces: object, remove: Path | None = None) -> _Operation:
    staged = final.with_name(final.name + STAGED_SUFFIX)
    target = root / staged
    with contextlib.suppress(FileNotFoundError):
        target.unlink()  # left by an earlier attempt that was rolled back
    with protection.private_output(target) as fd:
        for piece in pieces:  # type: ignore[attr-defined]
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view) :]
    return (staged.as_posix(), final.as_posix(), remove.as_posix() if remove else None)


def _attachments(root: Path) -> list[Path]:
    files = root / _FILES
    if not files.is_dir():
        return []
    return [
        path
        for path in sorted(files.iterdir())
        if _is_hex_name(path.name) and path.is_file() and not path.is_symlink()
    ]


def _other_files(root: Path) -> list[Path]:
    """Every other regular file the program keeps (sessions, indicator imports, quarantine,
    other helpers' files): not the header, journal, locks, log, attachments or derived files."""
    found = []
    for folder, directories, names in os.walk(root):
        here = Path(folder)
        relative = here.relative_to(root)
        directories[:] = [
            name
            for name in directories
            if relative / name not in _DERIVED and relative / name != _FILES
        ]
        for name in names:
            path = here / name
            if relative == Path(".") and name in _NOT_DATA:
                continue
            if (
                name.endswith((".lock", STAGED_SUFFIX))
                or relative / name == _LOG
                or path.is_symlink()
            ):
                continue
            if path.is_file():
                found.append(path)
    return sorted(found)


def _is_hex_name(name: str) -> bool:
    return len(name) == 64 and set(name) <= _HEX


def _rel(root: Path, path: Path) -> Path:
    return path.relative_to(root)


# --- switching -------------------------------------------------------------------------------


def _write_journal(root: Path, direction: str, operations: list[_Operation] | None) -> None:
    """The journal: None while staging (a crash then is undone), then the renames to do."""
    listed = None if operations is None else [list(item) for item in operations]
    document = {"direction": direction, "operations": listed}
    atomic_write(root / protection.JOURNAL_NAME, json.dumps(document).encode("utf-8"))


def _finish(root: Path, operations: list[_Operation]) -> None:
    folders = set()
    for staged, final, remove in operations:
        source = root / staged
        if source.exists():
            os.replace(source, root / final)
            folders.add((root / final).parent)
        if remove and remove != final:
            with contextlib.suppress(FileNotFoundError):
                (root / remove).unlink()
    for derived in _DERIVED:
        shutil.rmtree(root / derived, ignore_errors=True)
    for folder in folders:
        fsync_directory(folder)
    with contextlib.suppress(FileNotFoundError):
        (root / protection.JOURNAL_NAME).unlink()
    fsync_directory(root)


def _checked_operation(root: Path, item: object) -> _Operation:
    """A journal line, refused if it names anything outside the data folder."""
    staged, final, remove = item  # type: ignore[misc]
    for name in (staged, final, remove):
        if name is None:
            continue
        if not isinstance(name, str) or name.startswith("/") or ".." in Path(name).parts:
            raise ValueError("journal names a path outside the data folder")
    if not staged.endswith(STAGED_SUFFIX):
        raise ValueError("journal stages an unexpected name")
    return (staged, final, remove)


@contextlib.contextmanager
def _log_lock(root: Path) -> Iterator[None]:
    """The log's own lock: no entry is appended while the folder changes form."""
    evidence = root / "evidence"
    if not evidence.is_dir():
        yield
        return
    lock = InterProcessLock(evidence / "log.lock")
    lock.acquire()
    try:
        yield
    finally:
        lock.release()
        lock.close()
