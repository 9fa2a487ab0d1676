"""A protected data folder: everything kept at rest encrypted under one passphrase.

The folder's header, `protection.json`, is public: it names the key derivation (scrypt) and its
parameters, and holds the folder's data key wrapped (AES-256-GCM) under a key derived from the
passphrase. Changing the passphrase re-wraps that key; nothing else is rewritten. From the data
key, HKDF derives separate keys for the evidence log, for files (attachments, sessions, indicator
imports) and for naming attachments, so that no two uses share a key.

Files are encrypted in chunks of 64 KiB (so a large photo never has to fit in memory), each
chunk sealed with AES-256-GCM; a chunk's nonce carries its number and whether it is the last,
and every chunk is bound to the file's place in the folder, so chunks cannot be reordered,
dropped, cut off or moved to another file unnoticed. Only the `cryptography` library encrypts.

The command line unlocks a folder once per process (from `--passphrase-file`, the
`DEVICECHECK_PASSPHRASE_FILE` variable, or the terminal); the TUI has its own unlock screen.
A protected folder that is not unlocked is never written to: every writer asks for the keys
first and stops with one line (exit 2) before anything reaches the disk.
"""

# No `from __future__ import annotations`: this module defines named tuples (see
# docs/architecture.md), and it is imported on the scan path, so it imports only what is cheap
# (no dataclasses, no hashlib or secrets until a protected folder is used).
import base64
import contextlib
import io
import json
import os
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

from devicecheck.core.files import (
    PRIVATE_FILE_MODE,
    atomic_write,
    fsync_directory,
    refuse_symlink,
)
from devicecheck.errors import DeviceCheckError, InvalidDataError

HEADER_NAME = "protection.json"
JOURNAL_NAME = ".protection-journal.json"
PASSPHRASE_FILE_VARIABLE = "DEVICECHECK_PASSPHRASE_FILE"
HEADER_FORMAT = "devicecheck-protected-folder"
HEADER_VERSION = 1
FILE_MAGIC = b"DCPROT1\n"  # the first bytes of every encrypted file
SEALED_LOG_START = b'{"box":"'  # the first bytes of a protected log (core.evidence.sealed)
CHUNK_SIZE = 64 * 1024
TAG_SIZE = 16
_NONCE_PREFIX_SIZE = 7
_KEY_WRAP_LABEL = b"devicecheck folder key v1"
MIN_PASSPHRASE_LENGTH = 8
_MAX_KDF_MEMORY = 1 << 30  # 1 GiB: what a header may ask scrypt for
MAX_PASSPHRASE_FILE_READ = 4096
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
STAGED_SUFFIX = ".dcnew"  # a file's other form while a folder is converted (protect_folder)
_PRIVATE_FOLDERS = ("sessions", "indicators/imported")


class KdfParameters(NamedTuple):
    """scrypt's cost: n (CPU and memory), r (block size), p (parallelism); memory is 128*n*r."""

    n: int = 2**17
    r: int = 8
    p: int = 1

    def to_dict(self, salt: bytes) -> dict[str, Any]:
        return {"name": "scrypt", "n": self.n, "r": self.r, "p": self.p, "salt": _b64(salt)}


DEFAULT_KDF = KdfParameters()


class LockedError(DeviceCheckError):
    """The folder is protected and its passphrase was not given (exit 2)."""


class FolderKeys(NamedTuple):
    """The keys of one unlocked folder, each for one purpose (derived from the data key)."""

    log: Any  # AESGCM for evidence log entries
    files: Any  # AESGCM for file chunks
    names: bytes  # HMAC key that names attachments without showing their SHA-256

    def attachment_name(self, sha256: str) -> str:
        import hashlib
        import hmac

        return hmac.new(self.names, sha256.encode("ascii"), hashlib.sha256).hexdigest()


_unlocked: dict[Path, FolderKeys] = {}
_unlocked_guard = threading.Lock()
PassphraseProvider = Callable[[Path], "str | None"]
_provider: PassphraseProvider | None = None


# --- the folder's state --------------------------------------------------------------------


def header_path(root: Path) -> Path:
    return Path(root) / HEADER_NAME


def is_protected(root: Path) -> bool:
    """Whether the data folder at `root` is protected (has a protection header)."""
    path = os.path.join(root, HEADER_NAME)  # a string, not a Path: this runs on every append
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    if stat.S_ISLNK(info.st_mode):
        refuse_symlink(Path(path))
    return True


def is_unlocked(root: Path) -> bool:
    return _key(root) in _unlocked


def forget_keys(root: Path | None = None) -> None:
    """Lock again (the TUI's idle lock): the keys of `root`, or of every folder, are dropped."""
    with _unlocked_guard:
        if root is None:
            _unlocked.clear()
        else:
            _unlocked.pop(_key(root), None)


def set_passphrase_provider(provider: PassphraseProvider | None) -> None:
    """Where a locked folder's passphrase comes from when it is first needed (the CLI's
    `--passphrase-file` or terminal prompt). `DEVICECHECK_PASSPHRASE_FILE` is tried after it."""
    global _provider
    _provider = provider


def keys_for(root: Path) -> FolderKeys | None:
    """None for a folder that is not protected; its keys when it is (unlocking it if a
    passphrase can be had); LockedError otherwise. Every writer calls this before writing."""
    found = _unlocked.get(_key(root))
    if found is not None:
        return found
    if not is_protected(root):
        return None
    root = Path(root)
    passphrase = _provider(root) if _provider is not None else None
    if passphrase is None:
        passphrase = passphrase_from_environment()
    if passphrase is None:
        raise LockedError(
            "this data folder is protected by a passphrase; give it with --passphrase-file FILE "
            f"or {PASSPHRASE_FILE_VARIABLE} (or run the command on a terminal to be asked)"
        )
    return unlock(root, passphrase)


def unlock(root: Path, passphrase: str) -> FolderKeys:
    """Derive the key from the passphrase and unwrap the folder's data key (once per process)."""
    keys = _folder_keys(_data_key(read_header(root), passphrase))
    with _unlocked_guard:
        _unlocked[_key(root)] = keys
    return keys


def _data_key(header: dict[str, Any], passphrase: str) -> bytes:
    """The folder's data key, unwrapped with the passphrase; LockedError when it does not
    unwrap (naming a header edited to a weaker key derivation as such)."""
    wrapping = _derive_wrapping_key(passphrase, header)
    try:
        return _unwrap(header, wrapping)
    except LockedError:
        if _weaker_than_default(header):
            raise LockedError(
                f"that passphrase does not unlock this data folder, and its {HEADER_NAME} asks "
                "for a weaker key derivation than devicecheck sets up: someone may have edited "
                "it. Nothing was changed; restore the header from a backup if you have one"
            ) from None
        raise


def _unwrap(header: dict[str, Any], wrapping: bytes) -> bytes:
    """The folder's data key; LockedError when the passphrase (or the header) is wrong."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    wrapped = _unb64(header.get("wrapped_key"), "wrapped_key")
    if len(wrapped) != 12 + 32 + 16:
        raise InvalidDataError("the protection header's wrapped key is damaged")
    try:
        data_key = AESGCM(wrapping).decrypt(wrapped[:12], wrapped[12:], _KEY_WRAP_LABEL)
    except InvalidTag:
        raise LockedError("that passphrase does not unlock this data folder") from None
    return data_key


def _weaker_than_default(header: dict[str, Any]) -> bool:
    """Whether the header's scrypt costs less than the default (its values already checked)."""
    kdf = header["kdf"]
    return kdf["n"] * kdf["r"] < DEFAULT_KDF.n * DEFAULT_KDF.r or kdf["p"] < DEFAULT_KDF.p


def passphrase_from_environment() -> str | None:
    name = os.environ.get(PASSPHRASE_FILE_VARIABLE)
    return read_passphrase_file(Path(name)) if name else None


def read_passphrase_file(path: Path) -> str:
    """The passphrase in a file: its first line, without the line ending.

    Only the first MAX_PASSPHRASE_FILE_READ bytes are read, so /dev/zero or a huge file is one
    clear error, not a hang; a named pipe nobody writes to reads as empty instead of waiting.
    """
    try:
        fd = os.open(path, os.O_RDONLY | _NONBLOCK)
        if _NONBLOCK:
            os.set_blocking(fd, True)  # only the open must not wait; a pipe's data is awaited
        with os.fdopen(fd, "rb") as handle:
            raw = handle.read(MAX_PASSPHRASE_FILE_READ + 1)
    except OSError as error:
        raise DeviceCheckError(
            f"cannot read the passphrase file {path}: {error.strerror or error}"
        ) from None
    first_line = raw.split(b"\n", 1)[0].rstrip(b"\r")
    if len(first_line) > MAX_PASSPHRASE_FILE_READ:
        raise DeviceCheckError(
            f"the passphrase file {path} has no line end in its first "
            f"{MAX_PASSPHRASE_FILE_READ} bytes; is it the right file?"
        )
    try:
        passphrase = first_line.decode("utf-8")
    except UnicodeDecodeError:
        raise DeviceCheckError(f"the passphrase file {path} is not UTF-8 text") from None
    if not passphrase:
        raise DeviceCheckError(f"the passphrase file {path} is empty")
    return passphrase


def read_header(root: Path) -> dict[str, Any]:
    path = header_path(root)
    refuse_symlink(path)
    try:
        header = json.loads(path.read_bytes())
    except FileNotFoundError:
        raise DeviceCheckError(f"{root} is not a protected data folder") from None
    except (ValueError, UnicodeDecodeError):
        raise InvalidDataError(f"the protection header {path} is damaged (not JSON)") from None
    if not isinstance(header, dict) or header.get("format") != HEADER_FORMAT:
        raise InvalidDataError(f"the protection header {path} is not one devicecheck wrote")
    if header.get("version") != HEADER_VERSION:
        raise InvalidDataError(f"the protection header {path} has an unknown version")
    return header


# --- private files ---------------------------------------------------------------------------


def read_private(path: Path) -> bytes:
    """A file of the data folder, decrypted when the folder is protected.

    In a protected folder a file that is not encrypted with the folder's key is refused: it
    was not written by devicecheck (someone put it there).
    """
    path = Path(path)
    refuse_symlink(path)
    root = protected_root_of(path)
    if root is None:
        return path.read_bytes()
    keys = keys_for(root)
    assert keys is not None
    with open(path, "rb") as handle:
        return b"".join(decrypt_stream(keys, file_label(root, path), handle))


def private_bytes(path: Path, raw: bytes) -> bytes:
    """`raw`, the bytes of `path` as read by the caller's own reader, decrypted if the folder
    holding `path` is protected (for readers with their own checks, e.g. size limits)."""
    root = protected_root_of(path)
    if root is None:
        return raw
    keys = keys_for(root)
    assert keys is not None
    return b"".join(decrypt_stream(keys, file_label(root, path), io.BytesIO(raw)))


def write_private(path: Path, data: bytes) -> None:
    """Write a file of the data folder atomically, encrypted when the folder is protected.

    A protected folder that is locked is refused before anything is written.
    """
    path = Path(path)
    root = protected_root_of(path)
    if root is None:
        atomic_write(path, data)
        return
    keys = keys_for(root)
    assert keys is not None
    sealed = b"".join(encrypt_chunks(keys, file_label(root, path), _chunks_of(data)))
    atomic_write(path, sealed)


def protected_root_of(path: Path) -> Path | None:
    """The protected data folder holding `path`, if any (the nearest folder with a header)."""
    for folder in Path(path).absolute().parents:
        candidate = folder / HEADER_NAME
        if candidate.is_symlink():
            raise DeviceCheckError(f"{candidate} is a symbolic link; refusing to use it")
        if candidate.exists():
            return folder
        if header_was_removed(folder):
            raise InvalidDataError(
                f"{folder} was protected, but its protection header ({HEADER_NAME}) is missing; "
                "nothing is written there in plaintext. Restore the header from a backup"
            )
    return None


def header_was_removed(root: Path) -> bool:
    """Whether the folder at `root` holds files in the protected form but has no header: then
    the header was removed, and writing plaintext beside them would undo the protection
    without a word. Every file of a protected folder is encrypted, so the log's first bytes or
    `encrypted_files_remain` are enough to tell."""
    return _starts_with(Path(root) / "evidence" / "log.jsonl", SEALED_LOG_START) or (
        encrypted_files_remain(root)
    )


def encrypted_files_remain(root: Path) -> bool:
    """Whether the scan baseline, or the first file of the sessions or of the imported lists,
    is encrypted (in a plain folder none of them ever is: sessions are JSON, imports are parsed
    before they are kept; attached files can be anything, and come with log entries anyway)."""
    root = Path(root)
    if _starts_with(root / "scan-baseline.json", FILE_MAGIC):
        return True
    return any(_first_file_is_encrypted(root / folder) for folder in _PRIVATE_FOLDERS)


def _first_file_is_encrypted(folder: Path) -> bool:
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if _is_kept_file(entry):
                    return _starts_with(Path(entry.path), FILE_MAGIC)
    except OSError:
        pass
    return False


def _is_kept_file(entry: os.DirEntry) -> bool:
    """Not a hidden temporary copy nor a conversion's staged copy (neither is the folder's state)."""
    name = entry.name
    return (
        not name.startswith(".")
        and not name.endswith(STAGED_SUFFIX)
        and entry.is_file(follow_symlinks=False)
    )


def _starts_with(path: Path, prefix: bytes) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(prefix)) == prefix
    except OSError:
        return False


def file_label(root: Path, path: Path) -> bytes:
    """What binds a file's chunks to its place: its path inside the data folder."""
    relative = Path(path).absolute().relative_to(Path(root).absolute())
    return relative.as_posix().encode("utf-8", "surrogateescape")


def is_encrypted_file(head: bytes) -> bool:
    return head.startswith(FILE_MAGIC)


# --- chunked file encryption ----------------------------------------------------------------


def encrypt_chunks(keys: FolderKeys, label: bytes, chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The encrypted form, piece by piece: the magic and a random nonce prefix, then each chunk
    (at most CHUNK_SIZE bytes of plaintext) sealed with its number and a last-chunk flag."""
    prefix = os.urandom(_NONCE_PREFIX_SIZE)
    yield FILE_MAGIC + prefix
    chunks = _in_chunk_sizes(chunks)
    number = 0
    pending = next(chunks, b"")
    while True:
        following = next(chunks, None)
        last = following is None
        yield keys.files.encrypt(_chunk_nonce(prefix, number, last), pending, label)
        if last:
            return
        pending, number = following, number + 1


def encrypt_stream(keys: FolderKeys, label: bytes, source: IO[bytes]) -> Iterator[bytes]:
    return encrypt_chunks(keys, label, iter(lambda: source.read(CHUNK_SIZE), b""))


def decrypt_stream(keys: FolderKeys, label: bytes, source: IO[bytes]) -> Iterator[bytes]:
    """The plaintext of an encrypted file, chunk by chunk; InvalidDataError if any of it was
    changed, cut short, reordered, or belongs to another file."""
    from cryptography.exceptions import InvalidTag

    head = source.read(len(FILE_MAGIC) + _NONCE_PREFIX_SIZE)
    if not is_encrypted_file(head) or len(head) < len(FILE_MAGIC) + _NONCE_PREFIX_SIZE:
        raise InvalidDataError(_not_ours(label))
    prefix = head[len(FILE_MAGIC) :]
    sealed_size = CHUNK_SIZE + TAG_SIZE
    current = source.read(sealed_size)
    number = 0
    while True:
        following = source.read(sealed_size)
        last = not following
        try:
            yield keys.files.decrypt(_chunk_nonce(prefix, number, last), current, label)
        except InvalidTag:
            raise InvalidDataError(_not_ours(label)) from None
        if last:
            return
        current, number = following, number + 1


def _not_ours(label: bytes) -> str:
    name = label.decode("utf-8", "backslashreplace")
    return (
        f"{name} in the protected data folder was not written with its key, or was changed "
        "or cut short since"
    )


def _chunk_nonce(prefix: bytes, number: int, last: bool) -> bytes:
    return prefix + number.to_bytes(4, "big") + (b"\x01" if last else b"\x00")


def _in_chunk_sizes(pieces: Iterator[bytes]) -> Iterator[bytes]:
    """The same bytes in pieces of exactly CHUNK_SIZE (the last may be shorter)."""
    buffer = bytearray()
    for piece in pieces:
        buffer += piece
        while len(buffer) >= CHUNK_SIZE:
            yield bytes(buffer[:CHUNK_SIZE])
            del buffer[:CHUNK_SIZE]
    if buffer:
        yield bytes(buffer)


def _chunks_of(data: bytes) -> Iterator[bytes]:
    for start in range(0, len(data), CHUNK_SIZE):
        yield data[start : start + CHUNK_SIZE]


# --- setting up and changing protection -------------------------------------------------------


def new_header(passphrase: str, kdf: KdfParameters = DEFAULT_KDF) -> tuple[dict, bytes]:
    """A header for a new protected folder and the data key it wraps."""
    check_passphrase(passphrase)
    data_key = os.urandom(32)
    header = _wrapped_header(passphrase, data_key, kdf)
    return header, data_key


def change_passphrase(root: Path, old: str, new: str, kdf: KdfParameters = DEFAULT_KDF) -> None:
    """Re-wrap the folder's data key under a new passphrase; no entry or file is rewritten."""
    check_passphrase(new)
    header = read_header(root)
    data_key = _data_key(header, old)
    updated = {**header, **_wrapped_header(new, data_key, kdf)}
    write_header(root, updated)


def check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise DeviceCheckError(
            f"a passphrase needs at least {MIN_PASSPHRASE_LENGTH} characters "
            "(a few words you can remember work well)"
        )


def write_header(root: Path, header: dict[str, Any]) -> None:
    atomic_write(header_path(root), json.dumps(header, indent=2, sort_keys=True).encode() + b"\n")


def keys_from_data_key(data_key: bytes) -> FolderKeys:
    return _folder_keys(data_key)


def remember_keys(root: Path, keys: FolderKeys) -> None:
    with _unlocked_guard:
        _unlocked[_key(root)] = keys


def _wrapped_header(passphrase: str, data_key: bytes, kdf: KdfParameters) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt = os.urandom(16)
    header = {
        "format": HEADER_FORMAT,
        "version": HEADER_VERSION,
        "kdf": kdf.to_dict(salt),
        "cipher": "AES-256-GCM",
    }
    wrapping = _derive_wrapping_key(passphrase, header)
    nonce = os.urandom(12)
    header["wrapped_key"] = _b64(nonce + AESGCM(wrapping).encrypt(nonce, data_key, _KEY_WRAP_LABEL))
    return header


def _derive_wrapping_key(passphrase: str, header: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    kdf = header.get("kdf")
    if not isinstance(kdf, dict) or kdf.get("name") != "scrypt":
        raise InvalidDataError("the protection header names an unknown key derivation")
    n, r, p = kdf.get("n"), kdf.get("r"), kdf.get("p")
    if (
        not all(type(value) is int for value in (n, r, p))
        or not (2**10 <= n <= 2**22 and n & (n - 1) == 0 and 1 <= r <= 32 and 1 <= p <= 16)
        or 128 * n * r > _MAX_KDF_MEMORY
        or n * r * p > 2**24
    ):  # an edited header: no hour-long unlock
        raise InvalidDataError("the protection header has key-derivation parameters out of range")
    salt = _unb64(kdf.get("salt"), "salt")
    try:
        secret = passphrase.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        raise DeviceCheckError("the passphrase cannot be read as text") from None
    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)


def _folder_keys(data_key: bytes) -> FolderKeys:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    def derive(purpose: bytes) -> bytes:
        return HKDF(hashes.SHA256(), 32, salt=None, info=b"devicecheck " + purpose).derive(data_key)

    return FolderKeys(
        log=AESGCM(derive(b"log")), files=AESGCM(derive(b"files")), names=derive(b"names")
    )


def _key(root: Path) -> Path:
    if isinstance(root, Path) and root.is_absolute():
        return root  # the common case, on every append: no new Path
    return Path(root).absolute()


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: Any, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (TypeError, ValueError):
        raise InvalidDataError(f"the protection header's {what} is damaged") from None


@contextlib.contextmanager
def private_output(path: Path) -> Iterator[int]:
    """A new file (0600, must not exist) for staged output; removed if the block fails."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags | getattr(os, "O_BINARY", 0), PRIVATE_FILE_MODE)
    try:
        yield fd
        os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise
    os.close(fd)
    fsync_directory(path.parent)
