"""Reading one indicator file (or a LOLRMM folder) of any supported format into an IndicatorSet."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from devicecheck.core.indicators.common import (
    decode,
    parse_json,
    read_bytes,
    read_text,
    sha256_hex,
    slug,
)
from devicecheck.core.indicators.model import IndicatorSet, SourceInfo
from devicecheck.core.yamltext import parse_yaml
from devicecheck.errors import InvalidDataError

FORMATS: tuple[str, ...] = ("echap", "lolrmm", "stix2", "curated")
_DETECTION_ORDER = ("stix2", "curated", "lolrmm", "echap")
YAML_SUFFIXES = (".yaml", ".yml")


def _importer(format: str) -> ModuleType:
    """The importer module for `format`, imported only when a file must actually be parsed:
    a scan with a warm compiled cache never pays for them (or for YAML)."""
    return importlib.import_module(f"devicecheck.core.indicators.{format}")


def _parser(format: str) -> Callable[[Any, str, SourceInfo], IndicatorSet]:
    return getattr(_importer(format), f"parse_{format}")


def _description(format: str) -> tuple[str, str, str, str]:
    module = _importer(format)
    return module.NAME, module.LICENCE, module.ATTRIBUTION, module.URL


def check_format(format: str | None) -> str | None:
    if format is not None and format not in FORMATS:
        raise InvalidDataError(
            f"unknown indicator format {format!r}; use one of {', '.join(FORMATS)}"
        )
    return format


def detect_format(document: Any, where: str) -> str:
    for name in _DETECTION_ORDER:
        if getattr(_importer(name), f"looks_like_{name}")(document):
            return name
    raise InvalidDataError(
        f"{where}: not a known indicator format (Echap ioc.yaml, LOLRMM YAML, STIX 2 bundle "
        "or a devicecheck curated list); give --format if you know which it is"
    )


def parse_document_text(text: str, where: str, format: str | None, json_first: bool) -> Any:
    """JSON for STIX (and `.json` files), YAML otherwise."""
    if format == "stix2" or (format is None and json_first):
        return parse_json(text, where)
    return parse_yaml(text, where)


def source_for(
    format: str,
    *,
    source_id: str,
    kind: str,
    version: str,
    retrieved: str = "",
    label: str = "",
    url: str = "",
) -> SourceInfo:
    """The SourceInfo for a file of `format`, naming the publisher the format implies."""
    if format != "stix2":
        name, licence, attribution, home = _description(format)
        name = f"{name} ({label})" if label and kind != "bundled" else name
    else:
        name, licence, attribution, home = (
            label or "STIX 2 bundle",
            _importer("stix2").LICENCE,
            "the file's publisher",
            "",
        )
    return SourceInfo(
        id=source_id,
        name=name,
        licence=licence,
        attribution=attribution,
        url=url or home,
        version=version,
        retrieved=retrieved,
        kind=kind,
    )


def parse_bytes(
    data: bytes,
    where: str,
    format: str | None = None,
    *,
    source_id: str,
    kind: str,
    retrieved: str = "",
    label: str = "",
    url: str = "",
    json_first: bool = False,
) -> tuple[IndicatorSet, str]:
    """Parse indicator data of a given or detected format; returns the set and the format."""
    check_format(format)
    document = parse_document_text(decode(data, where), where, format, json_first)
    chosen = format or detect_format(document, where)
    source = source_for(
        chosen,
        source_id=source_id,
        kind=kind,
        version=f"sha256:{sha256_hex(data)[:16]}",
        retrieved=retrieved,
        label=label,
        url=url,
    )
    return _parser(chosen)(document, where, source), chosen


def read_indicator_file(path: Path, format: str | None = None) -> IndicatorSet:
    """Read one indicator file of a given or detected format (a folder: LOLRMM files).

    The source id is `file-<name>`; InvalidDataError names the file and the place on bad input.
    """
    path = Path(path)
    check_format(format)
    source_id = f"file-{slug(path.name)}"
    if path.is_dir():
        return read_lolrmm_folder(
            path,
            source_for("lolrmm", source_id=source_id, kind="file", version="", label=path.name),
        )
    data = read_bytes(path)
    indicators, _ = parse_bytes(
        data,
        str(path),
        format,
        source_id=source_id,
        kind="file",
        label=path.name,
        json_first=path.suffix.lower() == ".json",
    )
    return indicators


def lolrmm_files(folder: Path) -> list[Path]:
    # The order Path comparison gives within one folder; comparing Paths is ten times slower.
    found = (p for p in folder.iterdir() if p.suffix.lower() in YAML_SUFFIXES)
    return sorted(found, key=lambda p: os.path.normcase(p.name))


def read_lolrmm_folder(folder: Path, source: SourceInfo) -> IndicatorSet:
    files = lolrmm_files(folder)
    if not files:
        raise InvalidDataError(f"{folder}: no LOLRMM .yaml files in this folder")
    documents = [(parse_yaml(read_text(p), str(p)), str(p)) for p in files]
    if not source.version:
        digest = sha256_hex(b"".join(p.read_bytes() for p in files))
        source = source._replace(version=f"sha256:{digest[:16]}")
    return _importer("lolrmm").parse_lolrmm_files(documents, source)
