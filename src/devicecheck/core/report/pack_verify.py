"""Check a devicecheck evidence pack with nothing but Python 3: `python3 verify.py [FOLDER]`.

This file is copied into every pack as `verify.py`; it imports only the standard library and
never devicecheck. Run it in the unpacked folder (or give the folder). Exit 0: intact. Exit 1:
not, naming the first problem. Exit 2: the folder is not a pack.

What it checks:
1. Every line of `evidence/log.jsonl` is one entry stored exactly in canonical JSON (sorted keys,
   no spaces, UTF-8), and its `hash` is the SHA-256 of that JSON without the hash.
2. `evidence/manifest.json` lists every entry of the whole log by seq, prev and hash. The list
   must link from the first entry to the head (each prev is the hash before it), and each entry
   in the pack must be in it with the same seq, prev and hash. A pack of one session holds that
   session's entries only; the others are in the list by hash, so their place in the chain can
   be seen, but not their content.
3. Every attached file in `evidence/files/` has the SHA-256 and size its entry records.
It prints the head hash and receipt: compare them with a receipt kept elsewhere (on paper, or
sent to a caseworker) to be sure the whole log was not rebuilt.
"""

import hashlib
import json
import sys
from pathlib import Path

GENESIS = "0" * 64
FIELDS = {"seq", "id", "recorded_at", "kind", "session", "author", "data", "prev", "hash"}
CHUNK = 1 << 20


class Problem(Exception):
    pass


def canonical(value):
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def read_entries(log_path):
    entries = []
    raw = log_path.read_bytes()
    if raw and not raw.endswith(b"\n"):
        raise Problem("evidence/log.jsonl: the last line is incomplete (cut short)")
    for number, line in enumerate(raw.split(b"\n")[:-1], 1):
        where = f"evidence/log.jsonl line {number}"
        try:
            entry = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise Problem(f"{where}: not a readable entry (damaged)") from None
        if not isinstance(entry, dict) or set(entry) != FIELDS:
            raise Problem(f"{where}: not an entry (wrong fields)")
        if not isinstance(entry["seq"], int) or not isinstance(entry["hash"], str):
            raise Problem(f"{where}: not an entry (wrong field types)")
        try:
            stored_exactly = canonical(entry) == line
            body = dict(entry)
            claimed = body.pop("hash")
            digest = hashlib.sha256(canonical(body)).hexdigest()
        except (TypeError, ValueError):
            raise Problem(f"{where}: not an entry (values JSON cannot hold)") from None
        if not stored_exactly or digest != claimed:
            raise Problem(f"{where} (entry {entry['seq']}): changed since it was recorded")
        entries.append(entry)
    return entries


def read_manifest(path):
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        chain = [(int(s), str(p), str(h)) for s, p, h in manifest["chain"]]
        included = [int(s) for s in manifest["included"]]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, RecursionError):
        raise Problem("evidence/manifest.json: missing or damaged") from None
    return manifest, chain, included


def check_chain(chain):
    prev = GENESIS
    for position, (seq, claimed_prev, digest) in enumerate(chain, 1):
        if seq != position:
            raise Problem(f"manifest: entry {position} is missing from the list (found {seq})")
        if claimed_prev != prev:
            raise Problem(f"manifest: entry {seq} does not link to the entry before it")
        prev = digest
    return prev


def check_entries(entries, chain, included):
    by_seq = {seq: (prev, digest) for seq, prev, digest in chain}
    if [e["seq"] for e in entries] != included:
        raise Problem("evidence/log.jsonl: does not hold the entries the manifest says it holds")
    for entry in entries:
        listed = by_seq.get(entry["seq"])
        if listed != (entry["prev"], entry["hash"]):
            raise Problem(f"entry {entry['seq']}: does not match its place in the chain")


def attachments_of(entry):
    data = entry["data"] if isinstance(entry["data"], dict) else {}
    if entry["kind"] == "attachment":
        return [data]
    if entry["kind"] == "incident":
        return [r for r in data.get("attachments") or [] if isinstance(r, dict)]
    return []


def check_files(folder, entries):
    count = 0
    for entry in entries:
        for record in attachments_of(entry):
            sha, size = record.get("sha256"), record.get("size")
            name = record.get("name", "a file")
            path = folder / "evidence" / "files" / str(sha)
            if not isinstance(sha, str) or len(sha) != 64 or not path.is_file():
                raise Problem(f"entry {entry['seq']}: attached file {name!r} is missing")
            digest, total = hashlib.sha256(), 0
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK):
                    digest.update(chunk)
                    total += len(chunk)
            if digest.hexdigest() != sha or (isinstance(size, int) and size != total):
                raise Problem(f"entry {entry['seq']}: attached file {name!r} was changed")
            count += 1
    return count


def verify(folder):
    log_path = folder / "evidence" / "log.jsonl"
    if not log_path.is_file():
        raise FileNotFoundError(log_path)
    entries = read_entries(log_path)
    manifest, chain, included = read_manifest(folder / "evidence" / "manifest.json")
    head = check_chain(chain)
    check_entries(entries, chain, included)
    files = check_files(folder, entries)
    return manifest, len(chain), len(entries), files, head


def main(argv):
    folder = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent
    try:
        manifest, total, held, files, head = verify(folder)
    except FileNotFoundError:
        print(f"{folder}: not an evidence pack (no evidence/log.jsonl)", file=sys.stderr)
        return 2
    except Problem as problem:
        print(f"NOT INTACT: {problem}", file=sys.stderr)
        return 1
    print(f"INTACT: {held} of the log's {total} entries are in this pack; {files} files checked.")
    print(f"Cut: {manifest.get('cut', 'not said')}")
    if total:
        print(f"Head of the log: entry {total}, hash {head}")
        print(f"Receipt (compare with one kept elsewhere): {total}:{head[:20]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
