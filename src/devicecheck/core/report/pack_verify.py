"""Check a devicecheck evidence pack with nothing but Python 3: `python3 verify.py [FOLDER]`.

This file is copied into every pack as `verify.py`, beside `standalone_verify.py` (the evidence
log's own standalone verifier, core/evidence/standalone_verify.py, which it loads by path so it
runs under `python3 -I` too). It imports only the standard library, never devicecheck. Run it in
the unpacked folder (or give the folder). Exit 0: intact. Exit 1: not, naming the first problem.
Exit 2: the folder is not a pack.

What it checks:
1. Every line of `evidence/log.jsonl` by the log verifier's own rules (`entry_of`: whole, UTF-8
   JSON, the nine fields, SHA-256 over the line's own bytes), and every attached file in
   `evidence/files/` against its recorded SHA-256 and size (`check_files`).
2. `evidence/manifest.json` lists every entry of the whole log by seq, prev and hash. The list
   must link from the first entry to the head (each prev is the hash before it), and each entry
   in the pack must be in it with the same seq, prev and hash. A pack of one session holds that
   session's entries only; the others are in the list by hash, so their place in the chain can
   be seen, but not their content.
3. When the pack holds the whole log, the log verifier's full check runs as well.
4. The reports, README and checkers match the SHA-256 the manifest lists for them (`files`),
   and the folder holds nothing else: a file added after packing is named (the pack's own zip
   beside it and Python's `__pycache__` are not counted).
Given a zip instead of a folder, it checks that the zip is whole, unpacks it into a temporary
folder and checks that.
It prints the head hash and receipt: compare them with a receipt kept elsewhere (on paper, or
sent to a caseworker) to be sure the whole log was not rebuilt.
"""

import hashlib
import importlib.util
import json
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

GENESIS = "0" * 64
LOG_VERIFIER = "standalone_verify.py"


class Problem(Exception):
    pass


def log_verifier(here):
    """The evidence log's standalone verifier: beside this file in a pack, or in the package."""
    for path in (here / LOG_VERIFIER, here.parent / "evidence" / LOG_VERIFIER):
        if path.is_file():
            spec = importlib.util.spec_from_file_location("standalone_verify", path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            return module
    raise FileNotFoundError(here / LOG_VERIFIER)


def read_entries(verifier, log_path, files):
    entries = []
    with open(log_path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            try:
                entry = verifier.entry_of(raw, number)
                verifier.check_files(entry, number, files)
            except verifier.NotIntact as problem:
                raise Problem(f"evidence/log.jsonl {problem}") from None
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


def verify(folder, here):
    log_path = folder / "evidence" / "log.jsonl"
    if not log_path.is_file():
        raise FileNotFoundError(log_path)
    verifier = log_verifier(here)
    entries = read_entries(verifier, log_path, folder / "evidence" / "files")
    manifest, chain, included = read_manifest(folder / "evidence" / "manifest.json")
    head = check_chain(chain)
    check_entries(entries, chain, included)
    if chain and included == list(range(1, len(chain) + 1)):
        try:  # the whole log is here: its own verifier checks it end to end as well
            verifier.verify(log_path, folder / "evidence" / "files", [])
        except verifier.NotIntact as problem:
            raise Problem(f"evidence/log.jsonl {problem}") from None
    check_pack_files(folder, manifest, entries)
    files = sum(len(attached(e)) for e in entries)
    return manifest, len(chain), len(entries), files, head


def check_pack_files(folder, manifest, entries):
    """The listed files match their fingerprints, and nothing was added to the folder."""
    listed = manifest.get("files") or {}
    if not isinstance(listed, dict):
        raise Problem("evidence/manifest.json: missing or damaged")
    for name, digest in sorted(listed.items()):
        parts = Path(str(name)).parts
        if not parts or Path(str(name)).is_absolute() or ".." in parts:
            raise Problem(f"evidence/manifest.json: lists a file outside the pack ({name!r})")
        path = folder / str(name)
        if not path.is_file():
            raise Problem(f"{name}: missing (the manifest lists it)")
        if sha256_of(path) != digest:
            raise Problem(f"{name}: changed since the pack was made (its fingerprint differs)")
    expected = set(listed) | {"verify.py", "evidence/log.jsonl", "evidence/manifest.json"}
    expected |= {f"evidence/files/{r.get('sha256')}" for e in entries for r in attached(e)}
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if path.is_dir() or "__pycache__" in relative.parts:
            continue
        if len(relative.parts) == 1 and path.suffix.lower() == ".zip":
            continue  # the pack itself, unzipped beside its contents
        if relative.as_posix() not in expected:
            raise Problem(f"{relative.as_posix()}: not part of the pack (added after it was made)")


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def unpacked(zip_path, into):
    """Unpack a pack's zip into `into`, after checking that every member is whole."""
    try:
        with zipfile.ZipFile(zip_path) as pack:
            damaged = pack.testzip()
            if damaged is not None:
                raise Problem(f"{zip_path.name}: {damaged} is damaged inside the zip")
            pack.extractall(into)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError):
        raise Problem(f"{zip_path.name}: not a whole zip file (cut short or damaged)") from None
    return into


def attached(entry):
    if entry["kind"] == "attachment":
        return [entry["data"]]
    if entry["kind"] == "incident":
        return entry["data"].get("attachments") or []
    return []


def main(argv):
    here = Path(__file__).resolve().parent
    folder = Path(argv[1]) if len(argv) > 1 else here
    try:
        if folder.is_file():
            with tempfile.TemporaryDirectory() as scratch:
                manifest, total, held, files, head = verify(unpacked(folder, Path(scratch)), here)
        else:
            manifest, total, held, files, head = verify(folder, here)
    except FileNotFoundError:
        print(f"{folder}: not an evidence pack (no evidence/log.jsonl)", file=sys.stderr)
        return 2
    except Problem as problem:
        print(f"NOT INTACT: {problem}", file=sys.stderr)
        return 1
    print(f"INTACT: {held} of the log's {total} entries are in this pack; {files} files checked.")
    if manifest.get("files"):
        print("The reports and README are the ones made with this pack, and nothing was added.")
    print(f"Cut: {manifest.get('cut', 'not said')}")
    if total:
        print(f"Head of the log: entry {total}, hash {head}")
        print(f"Receipt (compare with one kept elsewhere): {total}:{head[:20]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
