"""Importing indicator files into the data directory, installing checked sets, and describing them."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators.common import read_bytes, slug
from devicecheck.core.indicators.formats import (
    JSON_FORMATS,
    check_format,
    indicator_count,
    is_json_name,
    parse_bytes,
)
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.indicators.store import (
    PREVIOUS_SUFFIX,
    imported_dir,
    load_indicators,
    meta_path_for,
)
from devicecheck.core.indicators.usable import Usability, require_usable
from devicecheck.core.protection import read_private, write_private

_SAFE_NAME_LENGTH = 80


@dataclass(frozen=True)
class ImportResult:
    path: Path  # where the copy now lives
    format: str
    source_id: str
    indicators: IndicatorSet
    usable: Usability  # which of them this computer's checks (or a phone check) can use


def indicator_total(indicators: IndicatorSet) -> int:
    """All names, paths, domains, addresses, ports, packages, certificates and hashes."""
    return indicator_count(indicators)


def safe_file_name(name: str, default_suffix: str = ".yaml") -> str:
    """A plain file name for the data directory: no folders, no leading dot, a known suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = slug(stem)[:_SAFE_NAME_LENGTH]
    known = ("yaml", "yml", "json", "stix2", "stix")
    suffix = suffix.lower() if suffix.lower() in known else default_suffix[1:]
    return f"{stem}.{suffix}"


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def import_file(data_dir: DataDir, path: Path, format: str | None = None) -> ImportResult:
    """Validate an indicator file, then keep a copy in `indicators/imported/` (atomically).

    Nothing is written unless the whole file parses and holds at least one indicator that a
    devicecheck check can use.
    """
    check_format(format)
    path = Path(path)
    data = read_bytes(path)
    indicators, chosen = parse_bytes(
        data,
        str(path),
        format,
        source_id="import-pending",
        kind="imported",
        label=path.name,
        json_first=is_json_name(path.name),
    )
    usable = require_usable(indicators, str(path))
    # Named after what it holds, so that the stored copy is read with the right parser.
    json_suffix = ".json" if chosen in JSON_FORMATS else ".yaml"
    name = safe_file_name(path.name, json_suffix)
    if is_json_name(name) != (chosen in JSON_FORMATS):
        name = safe_file_name(name.rpartition(".")[0] + json_suffix, json_suffix)
    source_id = f"import-{slug(name)}"
    indicators = _with_source_id(indicators, source_id)
    folder = data_dir.ensure(data_dir.indicators, imported_dir(data_dir))
    target = folder / name
    meta = {"format": chosen, "source_id": source_id, "original": path.name, "retrieved": now_iso()}
    install(target, data, meta)
    return ImportResult(target, chosen, source_id, indicators, usable)


def _with_source_id(indicators: IndicatorSet, source_id: str) -> IndicatorSet:
    old = indicators.sources[0].id
    return IndicatorSet(
        tuple(s._replace(id=source_id) for s in indicators.sources),
        tuple(
            a._replace(id=source_id + a.id[len(old) :], source=source_id) for a in indicators.apps
        ),
    )


def require_some(indicators: IndicatorSet, where: str) -> Usability:
    """InvalidDataError unless some check (of this computer or a phone) can use the set."""
    return require_usable(indicators, where)


def install(
    target: Path, data: bytes, meta: dict[str, Any], *, keep_previous: bool = False
) -> None:
    """Put checked bytes in place atomically; with `keep_previous`, the old copy is kept first."""
    meta_path = meta_path_for(target)
    if keep_previous and target.exists():
        previous = target.with_name(target.name + PREVIOUS_SUFFIX)
        write_private(previous, read_private(target))
        if meta_path.exists():
            write_private(meta_path_for(previous), read_private(meta_path))
    write_private(target, data)  # encrypted in a protected folder
    write_private(meta_path, json.dumps(meta, indent=2).encode("utf-8"))


def describe_sources(data_dir: DataDir | None) -> list[dict[str, Any]]:
    """Every source in use: name, licence, attribution, version, date, kind and counts."""
    indicators = load_indicators(data_dir)
    counts = indicators.counts()
    empty = {"apps": 0}
    return [
        {
            "id": source.id,
            "name": source.name,
            "kind": source.kind,
            "licence": source.licence,
            "attribution": source.attribution,
            "url": source.url,
            "version": source.version,
            "date": source.retrieved,
            "counts": counts.get(source.id, empty),
        }
        for source in indicators.sources
    ]
