"""Importing indicator files into the data directory, installing checked sets, and describing them."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.files import atomic_write
from devicecheck.core.indicators.common import read_bytes, slug
from devicecheck.core.indicators.formats import check_format, parse_bytes
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.indicators.store import (
    PREVIOUS_SUFFIX,
    imported_dir,
    load_indicators,
    meta_path_for,
)
from devicecheck.errors import InvalidDataError

_SAFE_NAME_LENGTH = 80


@dataclass(frozen=True)
class ImportResult:
    path: Path  # where the copy now lives
    format: str
    source_id: str
    indicators: IndicatorSet


def indicator_total(indicators: IndicatorSet) -> int:
    """All process names, paths, autostart names, domains, IPs and packages together."""
    return sum(
        value
        for tally in indicators.counts().values()
        for kind, value in tally.items()
        if kind != "apps"
    )


def safe_file_name(name: str, default_suffix: str = ".yaml") -> str:
    """A plain file name for the data directory: no folders, no leading dot, a known suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot:
        stem, suffix = name, ""
    stem = slug(stem)[:_SAFE_NAME_LENGTH]
    suffix = suffix.lower() if suffix.lower() in ("yaml", "yml", "json") else default_suffix[1:]
    return f"{stem}.{suffix}"


def now_iso() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def import_file(data_dir: DataDir, path: Path, format: str | None = None) -> ImportResult:
    """Validate an indicator file, then keep a copy in `indicators/imported/` (atomically).

    Nothing is written unless the whole file parses and holds at least one indicator.
    """
    check_format(format)
    path = Path(path)
    data = read_bytes(path)
    name = safe_file_name(path.name, ".json" if format == "stix2" else ".yaml")
    source_id = f"import-{slug(name)}"
    indicators, chosen = parse_bytes(
        data,
        str(path),
        format,
        source_id=source_id,
        kind="imported",
        label=path.name,
        json_first=path.suffix.lower() == ".json",
    )
    require_some(indicators, str(path))
    folder = data_dir.ensure(data_dir.indicators, imported_dir(data_dir))
    target = folder / name
    meta = {"format": chosen, "source_id": source_id, "original": path.name, "retrieved": now_iso()}
    install(target, data, meta)
    return ImportResult(target, chosen, source_id, indicators)


def require_some(indicators: IndicatorSet, where: str) -> None:
    if not indicators.apps:
        raise InvalidDataError(f"{where}: holds no indicators devicecheck can use")


def install(
    target: Path, data: bytes, meta: dict[str, Any], *, keep_previous: bool = False
) -> None:
    """Put checked bytes in place atomically; with `keep_previous`, the old copy is kept first."""
    meta_path = meta_path_for(target)
    if keep_previous and target.exists():
        previous = target.with_name(target.name + PREVIOUS_SUFFIX)
        atomic_write(previous, read_bytes(target))
        if meta_path.exists():
            atomic_write(meta_path_for(previous), read_bytes(meta_path))
    atomic_write(target, data)
    atomic_write(meta_path, json.dumps(meta, indent=2).encode("utf-8"))


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
