"""Where indicator sets live, and loading them all quickly.

- Bundled, inside the package: `data/indicators/curated.yaml`, `echap/ioc.yaml`, `lolrmm/*.yaml`.
- In the data directory, under `indicators/`: `imported/<name>` (from `indicators import`) and
  `updated/<name>` (from `indicators update`, the set before it kept as `<name>.previous`), each
  with a `<name>.meta.json` saying what format it is and where it came from.
- `indicators/cache/`: compiled copies (JSON) of parsed sets, keyed by the SHA-256 of the
  source bytes and the package version. Reading 319 YAML files takes far longer than one JSON
  file; a cache that fails to parse or validate is rebuilt from the sources, never trusted.
  The bundled set's cache also records the files' stamp (path, size, modification time in
  nanoseconds, inode of every file under the bundled folder): while that is unchanged the
  files are not read and hashed again, the trust Python gives its own bytecode cache (which
  checks only seconds and size).
"""

import contextlib
import itertools
import json
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from devicecheck import __version__
from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators.common import read_bytes, slug
from devicecheck.core.indicators.formats import (
    FORMATS,
    is_json_name,
    lolrmm_files,
    parse_bytes,
    read_indicator_file,
    read_lolrmm_folder,
    source_for,
)
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.core.protection import private_bytes, read_private, write_private
from devicecheck.errors import InvalidDataError

BUNDLED_DIR = Path(__file__).resolve().parents[2] / "data" / "indicators"
CACHE_FORMAT = 2  # 2: each app is a row of values in AppIndicator._fields order
META_SUFFIX = ".meta.json"
PREVIOUS_SUFFIX = ".previous"
CURRENT_POINTER = "current"  # in updated/<source id>/: the name of the version in use
_VERSION_NAME = re.compile(r"v\d{8}T\d{6}Z-[0-9a-f]{8}")
_SOURCE_LINE = re.compile(r"^- (Commit|Commit date): (\S+)", re.MULTILINE)


class StoredFile(NamedTuple):  # not a dataclass: making one costs a millisecond at import
    """An imported or updated indicator file in the data directory and what it says of itself."""

    path: Path
    kind: str  # imported | updated
    format: str
    source_id: str
    url: str
    retrieved: str
    original: str

    @property
    def meta_path(self) -> Path:
        return meta_path_for(self.path)


def meta_path_for(path: Path) -> Path:
    return path.with_name(path.name + META_SUFFIX)


def imported_dir(data_dir: DataDir) -> Path:
    return data_dir.indicators / "imported"


def updated_dir(data_dir: DataDir) -> Path:
    return data_dir.indicators / "updated"


def cache_dir(data_dir: DataDir) -> Path:
    return data_dir.indicators / "cache"


# --- bundled sets -------------------------------------------------------------------------


def bundled_files(root: Path = BUNDLED_DIR) -> list[Path]:
    """Every bundled file whose bytes decide the compiled set (sources and provenance)."""
    files = [root / "curated.yaml", root / "echap" / "ioc.yaml", root / "echap" / "SOURCE.md"]
    return (
        [p for p in files if p.exists()]
        + [root / "lolrmm" / "SOURCE.md"]
        + lolrmm_files(root / "lolrmm")
    )


def parse_bundled(root: Path = BUNDLED_DIR) -> IndicatorSet:
    """The bundled sets straight from their YAML (slow: the compiled cache avoids this)."""
    sets = []
    curated_path = root / "curated.yaml"
    if curated_path.exists():
        data = read_bytes(curated_path)
        sets.append(
            parse_bytes(data, str(curated_path), "curated", source_id="curated", kind="bundled")[0]
        )
    echap_path = root / "echap" / "ioc.yaml"
    commit, date = _provenance(root / "echap" / "SOURCE.md")
    echap_set, _ = parse_bytes(
        read_bytes(echap_path), str(echap_path), "echap", source_id="echap", kind="bundled"
    )
    sets.append(_with_version(echap_set, commit, date))
    commit, date = _provenance(root / "lolrmm" / "SOURCE.md")
    lolrmm_source = source_for(
        "lolrmm", source_id="lolrmm", kind="bundled", version=commit, retrieved=date
    )
    sets.append(read_lolrmm_folder(root / "lolrmm", lolrmm_source))
    return _merge(sets)


def _provenance(source_md: Path) -> tuple[str, str]:
    """The commit and commit date a bundled snapshot's SOURCE.md records."""
    try:
        text = source_md.read_text(encoding="utf-8")
    except OSError:
        return "", ""
    found = dict(_SOURCE_LINE.findall(text))
    return found.get("Commit", ""), found.get("Commit date", "")


def _with_version(indicators: IndicatorSet, version: str, retrieved: str) -> IndicatorSet:
    if not version:
        return indicators
    sources = tuple(s._replace(version=version, retrieved=retrieved) for s in indicators.sources)
    return IndicatorSet(sources, indicators.apps)


def _merge(sets: Sequence[IndicatorSet]) -> IndicatorSet:
    """One set; a source id seen before (two extra files of one name) gets a number added."""
    sources: list[SourceInfo] = []
    apps: list[AppIndicator] = []
    taken: set[str] = set()
    for indicators in sets:
        for source in indicators.sources:
            new_id, number = source.id, 2
            while new_id in taken:
                new_id, number = f"{source.id}-{number}", number + 1
            taken.add(new_id)
            if new_id == source.id:  # the usual case: nothing to rename, nothing to copy
                sources.append(source)
                apps.extend(app for app in indicators.apps if app.source == source.id)
                continue
            sources.append(source._replace(id=new_id))
            for app in indicators.apps:
                if app.source == source.id:
                    renamed = new_id + app.id[len(source.id) :]
                    apps.append(app._replace(id=renamed, source=new_id))
    return IndicatorSet(tuple(sources), tuple(apps))


# --- the compiled cache ---------------------------------------------------------------------


def content_key(files: Sequence[Path], *extra: str) -> str:
    """SHA-256 over the package version, the cache format, and each file's name and bytes."""
    import hashlib  # here, not at import: a warm load checks the stamp and never hashes

    digest = hashlib.sha256(f"{__version__}\0{CACHE_FORMAT}\0{chr(0).join(extra)}".encode())
    for path in files:
        digest.update(path.name.encode() + b"\0")
        digest.update(hashlib.sha256(read_bytes(path)).digest())
    return digest.hexdigest()


def tree_stamp(root: Path) -> str:
    """The package version, the cache format and the relative path, size, modification time
    (ns) and inode of every file under `root`, as one text: it changes whenever a file's bytes
    do. Kept whole rather than digested (about 25 KB), so checking it needs no hashing.
    Files that are not indicator sources are included too (a change there costs one rehash)."""
    parts = [__version__, str(CACHE_FORMAT), str(root)]
    prefix = len(str(root)) + 1
    folders = [str(root)]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.is_dir(follow_symlinks=False):
                    folders.append(entry.path)
                else:
                    status = entry.stat()
                    parts.append(
                        f"{entry.path[prefix:]}:{status.st_size}:{status.st_mtime_ns}:{status.st_ino}"
                    )
    # A file name that is not UTF-8 is kept distinct, as escapes, so the cache can be written.
    return "\n".join(parts).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _cache_pattern(unit: str) -> str:
    """The names of `unit`'s cache files: its slug and a 32-digit key, so that the caches of
    a unit whose name starts the same (`imported-a` and `imported-a-2`) are not matched."""
    return f"{slug(unit)}-{'?' * 32}.json"


def cached_set(
    data_dir: DataDir | None,
    unit: str,
    key: str,
    build: Callable[[], IndicatorSet],
    stamp: str = "",
) -> IndicatorSet:
    """The compiled set for `unit` at `key` from the cache, or built and then cached; with a
    `stamp`, a cache found by its key but stamped otherwise is stamped anew."""
    if data_dir is None:
        return build()
    folder = cache_dir(data_dir)
    path = folder / f"{slug(unit)}-{key[:32]}.json"
    with contextlib.suppress(OSError, InvalidDataError):
        if path.exists():
            document = _cache_document(read_private(path))
            indicators = _decode_document(document, key)
            if stamp and document.get("stamp") != stamp:
                with contextlib.suppress(OSError):
                    write_private(path, encode_cache(indicators, key, stamp))
            return indicators
    indicators = build()
    with contextlib.suppress(OSError, InvalidDataError):
        data_dir.ensure(data_dir.indicators, folder)
        write_private(path, encode_cache(indicators, key, stamp))
        for stale in folder.glob(_cache_pattern(unit)):
            if stale != path:
                stale.unlink()
    return indicators


def stamped_set(data_dir: DataDir, unit: str, stamp: str) -> IndicatorSet:
    """The cached set for `unit` if its recorded stamp is `stamp`; InvalidDataError if not."""
    found = list(cache_dir(data_dir).glob(_cache_pattern(unit)))
    if len(found) != 1:
        raise InvalidDataError("no single indicator cache to check")
    document = _cache_document(read_private(found[0]))
    key = document.get("key")
    if (
        document.get("stamp") != stamp
        or not isinstance(key, str)
        or found[0].name != f"{slug(unit)}-{key[:32]}.json"
    ):
        raise InvalidDataError("indicator cache is for other files")
    return _decode_document(document, key)


def encode_cache(indicators: IndicatorSet, key: str, stamp: str = "") -> bytes:
    document = {
        "cache_format": CACHE_FORMAT,
        "key": key,
        "stamp": stamp,
        "sources": [s._asdict() for s in indicators.sources],
        # Rows, not objects: the field names once, not 500 times (a quarter of the bytes).
        "app_fields": list(AppIndicator._fields),
        "apps": [list(a) for a in indicators.apps],
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


_SOURCE_FIELDS = SourceInfo._fields
_APP_FIELD_NAMES = AppIndicator._fields
_PORTS = _APP_FIELD_NAMES.index("ports")
# The JSON type of each field in order: a list where the default is a tuple, text otherwise;
# and which lists hold text (every one but the ports).
_APP_JSON_TYPES = tuple(
    list if type(AppIndicator._field_defaults.get(name)) is tuple else str
    for name in _APP_FIELD_NAMES
)
_TEXT_LISTS = tuple(i for i, kind in enumerate(_APP_JSON_TYPES) if kind is list and i != _PORTS)


def decode_cache(data: bytes, key: str) -> IndicatorSet:
    """A cached set, checked field by field; InvalidDataError if anything is off."""
    return _decode_document(_cache_document(data), key)


def _cache_document(data: bytes) -> dict:
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        raise InvalidDataError("indicator cache is not valid JSON") from None
    if not isinstance(document, dict):
        raise InvalidDataError("indicator cache is damaged")
    return document


def _decode_document(document: dict, key: str) -> IndicatorSet:
    """A set from a cache document `_cache_document` has read; InvalidDataError if off."""
    if (
        document.get("cache_format") != CACHE_FORMAT
        or document.get("key") != key
        or not isinstance(document.get("sources"), list)
        or not isinstance(document.get("apps"), list)
        or document.get("app_fields") != list(_APP_FIELD_NAMES)
    ):
        raise InvalidDataError("indicator cache is stale or damaged")
    sources = tuple(_source_from_json(s) for s in document["sources"])
    apps = _apps_from_json(document["apps"])
    known = {s.id for s in sources}
    if any(app.source not in known for app in apps):
        raise InvalidDataError("indicator cache names an unknown source")
    return IndicatorSet(sources, apps)


def _source_from_json(value: Any) -> SourceInfo:
    if (
        not isinstance(value, dict)
        or set(value) != set(_SOURCE_FIELDS)
        or not all(isinstance(v, str) for v in value.values())
    ):
        raise InvalidDataError("indicator cache has a damaged source")
    return SourceInfo(**value)


def _apps_from_json(values: list) -> tuple[AppIndicator, ...]:
    # This runs on every load, for every field of 500 apps: the types are checked a whole row,
    # then a whole kind of list at once, in C (map, set), rather than value by value.
    for row in values:
        if type(row) is not list or tuple(map(type, row)) != _APP_JSON_TYPES:
            raise InvalidDataError("indicator cache has a damaged app")
    texts = itertools.chain.from_iterable(row[i] for row in values for i in _TEXT_LISTS)
    ports = itertools.chain.from_iterable(row[_PORTS] for row in values)
    if not set(map(type, texts)) <= {str} or not set(map(type, ports)) <= {int}:
        raise InvalidDataError("indicator cache has a damaged list")
    return tuple(
        AppIndicator(*[tuple(item) if type(item) is list else item for item in row])
        for row in values
    )


# --- sets stored in the data directory ----------------------------------------------------


def stored_files(folder: Path, kind: str) -> list[StoredFile]:
    """The current indicator files in `folder` (not their metadata, not previous copies).

    An updated set is a folder per source (`updated/<source id>/`) holding version folders
    and a `current` pointer naming the one in use (`core.indicators.update`); a flat file in
    `updated/` is one stored before that, read unless a versioned set replaces it.
    """
    if not folder.is_dir():
        return []
    found: list[StoredFile] = []
    for path in sorted(folder.iterdir()):
        if path.is_dir() and not path.is_symlink():
            version = current_version(path, kind)
            if version is not None:
                found.append(version)
    versioned = {stored.source_id for stored in found}
    for path in sorted(folder.iterdir()):
        name = path.name
        if name.startswith(".") or name.endswith((META_SUFFIX, PREVIOUS_SUFFIX)):
            continue
        if path.is_file():
            stored = read_meta(path, kind)
            if stored.source_id not in versioned:
                found.append(stored)
    return found


def current_version(slot: Path, kind: str = "updated") -> StoredFile | None:
    """The version of an updated set that its `current` pointer names, or None if none does.

    InvalidDataError if the pointer names something that is not a finished version folder:
    only an update writes the pointer, after the folder is complete.
    """
    pointer = slot / CURRENT_POINTER
    if not os.path.lexists(pointer):
        return None
    try:
        version = private_bytes(pointer, read_bytes(pointer, limit=256)).decode("ascii").strip()
    except (UnicodeDecodeError, OSError):
        version = ""
    folder = slot / version
    if not _VERSION_NAME.fullmatch(version) or not folder.is_dir() or folder.is_symlink():
        raise InvalidDataError(
            f"{pointer}: does not name a version of this indicator set (remove the folder "
            f"{slot} or run the update again)"
        )
    files = [p for p in folder.iterdir() if not p.name.endswith(META_SUFFIX)]
    lists = [p for p in files if p.is_file() and not p.name.startswith(".")]
    if len(lists) != 1 or not meta_path_for(lists[0]).is_file():
        raise InvalidDataError(f"{folder}: an unfinished indicator set (run the update again)")
    return read_meta(lists[0], kind)


def read_meta(path: Path, kind: str) -> StoredFile:
    meta_path = meta_path_for(path)
    try:
        meta = json.loads(private_bytes(meta_path, read_bytes(meta_path)))
    except (InvalidDataError, ValueError, RecursionError):
        meta = {}
    meta = meta if isinstance(meta, dict) else {}

    def text(key: str, default: str = "") -> str:
        value = meta.get(key, default)
        return value if isinstance(value, str) else default

    prefix = "import" if kind == "imported" else "update"
    format = text("format")
    return StoredFile(
        path=path,
        kind=kind,
        format=format if format in FORMATS else "",
        source_id=text("source_id", f"{prefix}-{slug(path.name)}"),
        url=text("url"),
        retrieved=text("retrieved"),
        original=text("original"),
    )


def parse_stored(stored: StoredFile) -> IndicatorSet:
    data = private_bytes(stored.path, read_bytes(stored.path))  # decrypted if protected
    indicators, _ = parse_bytes(
        data,
        str(stored.path),
        stored.format or None,
        source_id=stored.source_id,
        kind=stored.kind,
        retrieved=stored.retrieved,
        label=stored.original or stored.path.name,
        url=stored.url,
        json_first=is_json_name(stored.path.name),
    )
    return indicators


def load_stored(data_dir: DataDir, stored: StoredFile) -> IndicatorSet:
    try:
        key = content_key([stored.path], stored.format, stored.source_id, stored.url)
        # The source id is part of the name: two updated sets can both be called ioc.yaml.
        unit = f"{stored.kind}-{stored.source_id}-{stored.path.name}"
        return cached_set(data_dir, unit, key, lambda: parse_stored(stored))
    except InvalidDataError as error:
        raise InvalidDataError(
            f"{error.message} (a stored indicator set: remove it or import it again)"
        ) from None


# --- everything together --------------------------------------------------------------------


def load_bundled(data_dir: DataDir | None = None, root: Path = BUNDLED_DIR) -> IndicatorSet:
    if data_dir is None:
        return parse_bundled(root)
    try:
        stamp = tree_stamp(root)
    except OSError:
        stamp = ""
    if stamp:
        with contextlib.suppress(OSError, InvalidDataError):
            return stamped_set(data_dir, "bundled", stamp)
    key = content_key(bundled_files(root))
    return cached_set(data_dir, "bundled", key, lambda: parse_bundled(root), stamp)


def load_indicators(
    data_dir: DataDir | None = None, extra_files: Sequence[Path] = ()
) -> IndicatorSet:
    """Bundled sets, then updated and imported sets in the data directory, then `extra_files`.

    An updated set replaces the bundled set with the same source id (a newer Echap list
    replaces the bundled snapshot). Without a data directory only bundled and extra files are
    read, and nothing is written.
    """
    bundled = load_bundled(data_dir)
    stored: list[IndicatorSet] = []
    if data_dir is not None:
        for stored_file in stored_files(updated_dir(data_dir), "updated"):
            stored.append(load_stored(data_dir, stored_file))
        for stored_file in stored_files(imported_dir(data_dir), "imported"):
            stored.append(load_stored(data_dir, stored_file))
    replaced = {s.id for indicators in stored for s in indicators.sources}
    bundled = IndicatorSet(
        tuple(s for s in bundled.sources if s.id not in replaced),
        tuple(a for a in bundled.apps if a.source not in replaced),
    )
    extras = [_usable_extra(Path(p)) for p in extra_files]
    return _merge([bundled, *stored, *extras])


def _usable_extra(path: Path) -> IndicatorSet:
    """A `--indicators` file, refused (as `indicators import` refuses an unusable file) when
    this computer's scan can compare none of it: the scan would count it without using it."""
    from devicecheck.core.indicators.usable import require_usable

    indicators = read_indicator_file(path)
    require_usable(indicators, str(path), here=True)
    return indicators
