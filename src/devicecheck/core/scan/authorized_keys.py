"""`~/.ssh/authorized_keys`: the keys that let someone log in to this account without a password.

The format is OpenSSH's (sshd(8), "AUTHORIZED_KEYS FILE FORMAT"): one key a line, as
`[options] keytype base64-key [comment]`; blank lines and lines starting with `#` are ignored;
options are comma-separated, and a double-quoted option value may hold spaces, commas and `\\"`.
sshd skips a line it cannot read, so the parser does too, and counts it.
"""

import binascii
from typing import NamedTuple

# Key types sshd accepts (sshd(8) and ssh-keygen(1) -t; certificates are "<type>-cert-v01@...").
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
        "ssh-ed25519-cert-v01@openssh.com",
        "ssh-rsa-cert-v01@openssh.com",
        "ssh-dss-cert-v01@openssh.com",
        "ecdsa-sha2-nistp256-cert-v01@openssh.com",
        "ecdsa-sha2-nistp384-cert-v01@openssh.com",
        "ecdsa-sha2-nistp521-cert-v01@openssh.com",
        "sk-ssh-ed25519-cert-v01@openssh.com",
        "sk-ecdsa-sha2-nistp256-cert-v01@openssh.com",
    }
)
MAX_LINE = 16 * 1024  # an RSA-16384 key is under 3 KB of base64; sshd's own limit is 16 KB


class AuthorizedKey(NamedTuple):
    key_type: str
    blob: bytes  # the decoded key
    comment: str
    options: tuple[str, ...]
    line: int

    @property
    def fingerprint(self) -> str:
        """As `ssh-keygen -l` shows it: SHA256: and the unpadded base64 of the key's SHA-256."""
        import hashlib  # only when there is a key: OpenSSL costs milliseconds to load

        digest = hashlib.sha256(self.blob).digest()
        return "SHA256:" + binascii.b2a_base64(digest, newline=False).decode("ascii").rstrip("=")


class ParsedKeys(NamedTuple):
    keys: tuple[AuthorizedKey, ...]
    unreadable_lines: int


def split_options(text: str) -> tuple[tuple[str, ...], str]:
    """The options at the start of `text` and the rest; quoted values may hold spaces."""
    options: list[str] = []
    current: list[str] = []
    quoted = False
    index = 0
    while index < len(text):
        char = text[index]
        if quoted and char == "\\" and index + 1 < len(text) and text[index + 1] == '"':
            current.append('"')
            index += 2
            continue
        if char == '"':
            quoted = not quoted
        elif not quoted and char == ",":
            options.append("".join(current))
            current = []
        elif not quoted and char in " \t":
            break
        else:
            current.append(char)
        index += 1
    if quoted:
        raise ValueError("unterminated quote")
    options.append("".join(current))
    return tuple(options), text[index:].lstrip(" \t")


def parse_key_line(line: str, number: int) -> AuthorizedKey | None:
    """One line as sshd reads it; None for a blank line or a comment. ValueError when unreadable."""
    text = line.strip(" \t\r\n")
    if not text or text.startswith("#"):
        return None
    if len(text) > MAX_LINE:
        raise ValueError("line too long")
    options: tuple[str, ...] = ()
    first_word = text.split(None, 1)
    if not first_word:  # only whitespace sshd does not skip (a vertical tab, say)
        raise ValueError("no key")
    if first_word[0] not in KEY_TYPES:
        options, text = split_options(text)
    words = text.split(None, 2)
    if len(words) < 2 or words[0] not in KEY_TYPES:
        raise ValueError("no key type")
    try:
        blob = binascii.a2b_base64(words[1].encode("ascii"), strict_mode=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError("key is not base64") from None
    if not _names_its_type(blob, words[0]):
        raise ValueError("key does not match its type")
    comment = words[2].strip() if len(words) > 2 else ""
    return AuthorizedKey(words[0], blob, comment, options, number)


def _names_its_type(blob: bytes, key_type: str) -> bool:
    """A key blob starts with its type as an SSH string (RFC 4253 section 6.6)."""
    if len(blob) < 4:
        return False
    length = int.from_bytes(blob[:4], "big")
    return blob[4 : 4 + length] == key_type.encode("ascii")


def parse_authorized_keys(text: str) -> ParsedKeys:
    keys = []
    unreadable = 0
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            key = parse_key_line(line, number)
        except ValueError:
            unreadable += 1
            continue
        if key is not None:
            keys.append(key)
    return ParsedKeys(tuple(keys), unreadable)
