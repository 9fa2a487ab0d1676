"""Text from outside (notes, file names, process names, answers) made safe to print.

A terminal obeys control characters: ESC starts sequences that can rewrite the screen, clear
scrollback or set the window title; BEL rings; NUL and backspace hide text. Bidirectional
controls (U+202E and friends) make text display in another order than it is stored, so a line
can look like something it is not. Every terminal and txt/md output passes outside text
through `one_line` (a field: newlines escaped too, so a value cannot forge another field or
line) or `lines` (a block where newlines are kept). Escaped characters are shown as `\\xNN`
or `\\uNNNN`, so nothing is lost from view.
"""

from __future__ import annotations

import re

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# C0 controls, DEL, C1 controls, bidi controls, line/paragraph separators, lone surrogates.
_UNSAFE_FIELD = re.compile(f"[\\x00-\\x1f\\x7f-\\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
_UNSAFE_IN_JSON = re.compile(f"[\\x7f-\\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")
_UNSAFE_BLOCK = re.compile(f"[\\x00-\\x09\\x0b-\\x1f\\x7f-\\x9f{_BIDI}\u2028\u2029\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: object) -> str:
    """`text` as one printable line: every control, bidi and separator character escaped."""
    return _UNSAFE_FIELD.sub(_escape, str(text))


def lines(text: object) -> str:
    """`text` with its newlines kept and every other control or bidi character escaped."""
    return _UNSAFE_BLOCK.sub(_escape, str(text))


def json_text(document: str) -> str:
    """A JSON document (from json.dumps with ensure_ascii=False) with the characters a terminal
    would obey or reorder written as `\\uNNNN` escapes: the same JSON, safe to print. (json
    already escapes C0 controls; DEL, C1, bidi and separator characters it leaves raw.)"""
    return _UNSAFE_IN_JSON.sub(_json_escape, document)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def is_safe(text: str) -> bool:
    return _UNSAFE_FIELD.search(text) is None


def escape_undecodable(text: str) -> str:
    """Text read from the system (a file name, a command-line argument, a line of input) with
    each byte that was not UTF-8 kept as a visible `\\xNN` instead of a lone surrogate, which
    could not be saved as UTF-8 at all."""
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def without_surrogates(value: object) -> object:
    """`value` (JSON-like: dicts, lists, text) with `escape_undecodable` applied to all text."""
    if isinstance(value, str):
        return _SURROGATE.sub(_escape, value) if _SURROGATE.search(value) else value
    if isinstance(value, dict):
        return {without_surrogates(key): without_surrogates(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [without_surrogates(item) for item in value]
    return value


_SURROGATE = re.compile("[\ud800-\udfff]")
