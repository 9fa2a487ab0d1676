"""Check a devicecheck evidence log with nothing but Python 3 (docs/evidence-format.md).

    python3 verify.py [LOG] [--files DIR | --no-files] [--receipt SEQ:HASH ...]

LOG is an evidence log or a `log export --format jsonl` file (default: evidence/log.jsonl beside
this script, as in a pack). Attached files are looked for in the `files` folder beside LOG, or
DIR; --no-files skips them (an export without its files). Each --receipt is an entry's seq and
its hash (or the first 12 or more hex digits of it) noted earlier.
Exit 0: intact. Exit 1: not intact (the first problem is named). Exit 2: could not be checked.
The rules are the same as `devicecheck log verify`: every line is whole, UTF-8 JSON with
exactly the nine fields, and its SHA-256 is taken over its own bytes with the "hash" member
cut out, so any changed byte shows.
"""

import hashlib
import json
import re
import sys
from pathlib import Path

FIELDS = {"seq", "id", "recorded_at", "kind", "session", "author", "data", "prev", "hash"}
HEX64 = re.compile(r"^[0-9a-f]{64}$")
RECEIPT = re.compile(r"^\s*([0-9]{1,12})\s*:\s*([0-9a-fA-F]{12,64})\s*$")


class NotIntact(Exception):
    pass


def entry_of(raw, number):
    if not raw.endswith(b"\n"):
        raise NotIntact(f"line {number}: incomplete (no newline): a write was interrupted")
    try:
        entry = json.loads(raw.decode("utf-8"), parse_constant=refuse)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise NotIntact(f"line {number}: not readable JSON (edited or damaged)") from None
    if not isinstance(entry, dict) or set(entry) != FIELDS:
        raise NotIntact(f"line {number}: not an entry (wrong fields): edited")
    if type(entry["seq"]) is not int or not isinstance(entry["data"], dict):
        raise NotIntact(f"line {number}: not an entry (wrong types): edited")
    for name in ("prev", "hash"):
        if not isinstance(entry[name], str) or not HEX64.match(entry[name]):
            raise NotIntact(f"line {number}: {name} is not a SHA-256: edited")
    needle = b',"hash":"' + entry["hash"].encode() + b'"'
    cut = raw.rfind(needle)
    body = raw[:cut] + raw[cut + len(needle) : -1]
    if cut < 0 or hashlib.sha256(body).hexdigest() != entry["hash"]:
        raise NotIntact(f"line {number}: content does not match its hash (edited)")
    return entry


def refuse(name):
    raise ValueError(name)


def check_files(entry, number, files):
    data = entry["data"]
    if entry["kind"] == "attachment":
        records = [data]
    elif entry["kind"] == "incident":
        records = data.get("attachments") or []
    else:
        return
    for record in records if isinstance(records, list) else [None]:
        if not isinstance(record, dict) or not isinstance(record.get("sha256"), str):
            raise NotIntact(f"line {number}: an attachment record is damaged")
        digest, size, path = hashlib.sha256(), 0, files / record["sha256"]
        if not HEX64.match(record["sha256"]) or not path.is_file() or path.is_symlink():
            raise NotIntact(f"line {number}: attached file {record.get('name')!r} is missing")
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
                size += len(chunk)
        if digest.hexdigest() != record["sha256"] or size != record.get("size"):
            raise NotIntact(f"line {number}: attached file {record.get('name')!r} was altered")


def verify(log_path, files, receipts):
    wanted = {seq: prefix for seq, prefix in receipts}
    prev, count, found = "0" * 64, 0, {}
    with open(log_path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            entry = entry_of(raw, number)
            if entry["seq"] != number or entry["prev"] != prev:
                raise NotIntact(f"line {number}: chain broken (entries deleted, moved or added)")
            if files is not None:
                check_files(entry, number, files)
            prev, count = entry["hash"], number
            if number in wanted:
                found[number] = prev
    for seq, prefix in receipts:
        if seq > count:
            raise NotIntact(f"receipt {seq}:{prefix}: the log has only {count} entries (cut short)")
        if not found[seq].startswith(prefix):
            raise NotIntact(f"receipt {seq}:{prefix}: entry {seq} has another hash (rebuilt)")
    return count, prev


def main(arguments):
    here = Path(__file__).resolve().parent
    log_path, files, receipts, rest = None, None, [], list(arguments)
    no_files = "--no-files" in rest
    while rest:
        word = rest.pop(0)
        if word == "--files" and rest:
            files = Path(rest.pop(0))
        elif word == "--receipt" and rest:
            match = RECEIPT.match(rest.pop(0))
            if not match:
                return fail(2, "a receipt looks like 42:3f9a0c1d2e4b (seq, colon, hash)")
            if int(match.group(1)) < 1:
                return fail(2, "a receipt's seq starts at 1")
            receipts.append((int(match.group(1)), match.group(2).lower()))
        elif word != "--no-files" and log_path is None and not word.startswith("-"):
            log_path = Path(word)
        elif word != "--no-files":
            return fail(
                2,
                f"usage: python3 verify.py [LOG] [--files DIR | --no-files] "
                f"[--receipt SEQ:HASH ...] (not {word!r})",
            )
    log_path = log_path or here / "evidence" / "log.jsonl"
    files = None if no_files else (files or log_path.parent / "files")
    try:
        count, head = verify(log_path, files, receipts)
    except NotIntact as problem:
        return fail(1, f"NOT intact: {problem}")
    except OSError as error:
        return fail(2, f"cannot read {error.filename or log_path}: {error.strerror or error}")
    unchecked = " (attached files not checked)" if files is None else ""
    print(f"intact: {count} entries, head hash {head}{unchecked}")
    return 0


def fail(code, message):
    print(message, file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
