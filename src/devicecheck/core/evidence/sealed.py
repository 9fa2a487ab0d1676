"""The stored form of an entry in a protected folder: the ordinary line, sealed.

A protected log line is the canonical JSON of four members, followed by a newline:

    {"box":"<hex of nonce and ciphertext>","hash":"<hex>","prev":"<hex>","seq":N}

`box` is the ordinary entry line (its canonical JSON, without the newline) encrypted with
AES-256-GCM under the folder's log key: a 12-byte random nonce, then the ciphertext and its
16-byte tag, in lowercase hex (hex rather than base64: it decodes three times faster, and
verify of 100,000 entries must stay under 1.5 s). `hash` is SHA-256 over the canonical JSON of the other
three members, and `prev` is the previous stored line's `hash` (GENESIS for the first): a public
chain over exactly what is on disk, checkable without the passphrase. The encryption is bound to
`seq` and `prev` (its associated data), so with the key every entry is also checked: a line
written by someone without the passphrase does not decrypt, and a sealed entry moved to another
place no longer opens. Decrypted, the entries are the ordinary ones, with their ordinary chain.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from devicecheck.core.evidence.entries import LogLineError
from devicecheck.core.protection import SEALED_LOG_START, FolderKeys

SEALED_FIELDS = frozenset(("box", "hash", "prev", "seq"))
SEALED_START = SEALED_LOG_START  # every stored line starts so
_NONCE_SIZE = 12


def associated_data(seq: int, prev: str) -> bytes:
    return b"devicecheck log v1 %d %s" % (seq, prev.encode("ascii", "replace"))


def seal_line(keys: FolderKeys, seq: int, prev: str, plain_line: bytes) -> tuple[bytes, str]:
    """(stored line with its newline, its hash) for an ordinary line given without newline."""
    nonce = secrets.token_bytes(_NONCE_SIZE)
    sealed = keys.log.encrypt(nonce, plain_line, associated_data(seq, prev))
    box = (nonce + sealed).hex().encode("ascii")
    before = SEALED_START + box + b'"'
    after = b',"prev":"%b","seq":%d}' % (prev.encode("ascii"), seq)
    digest = hashlib.sha256(before + after).hexdigest()
    return b'%b,"hash":"%b"%b\n' % (before, digest.encode("ascii"), after), digest


def open_box(keys: FolderKeys, seq: int, prev: str, box: Any) -> bytes:
    """The ordinary line inside a sealed entry; LogLineError if it was not sealed with this
    folder's key at this place in the chain."""
    from cryptography.exceptions import InvalidTag

    try:
        raw = bytes.fromhex(box)
        return keys.log.decrypt(raw[:_NONCE_SIZE], raw[_NONCE_SIZE:], associated_data(seq, prev))
    except (InvalidTag, TypeError, ValueError, AttributeError):
        raise LogLineError(
            f"entry {seq} was not written with this folder's key (someone without the "
            "passphrase added or changed it)"
        ) from None


def parse_sealed(raw: bytes) -> dict[str, Any]:
    """The members of a stored protected line (shape only; the chain is verify's job)."""
    import json

    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise LogLineError("not JSON") from None
    if not isinstance(value, dict) or set(value) != SEALED_FIELDS:
        raise LogLineError("not a protected entry")
    if type(value["seq"]) is not int or value["seq"] < 1:
        raise LogLineError("seq must be a positive whole number")
    for name in ("box", "hash", "prev"):
        if not isinstance(value[name], str):
            raise LogLineError(f"{name} must be text")
    return value


def open_line(keys: FolderKeys, raw: bytes) -> bytes:
    """The ordinary line inside one stored protected line (without newlines)."""
    value = parse_sealed(raw)
    return open_box(keys, value["seq"], value["prev"], value["box"])


def looks_sealed(raw: bytes) -> bool:
    return raw.startswith(SEALED_START)
