"""Reading one indicator file (or a LOLRMM folder) of any supported format into an IndicatorSet."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from devicecheck.core.indicators.common import (
    check_caps,
    decode,
    parse_indicator_yaml,
    parse_json,
    read_bytes,
    read_text,
    sha256_hex,
    slug,
)
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.errors import InvalidDataError

FORMATS: tuple[str, ...] = ("echap", "lolrmm", "stix2", "curated", "misp", "tinycheck")
JSON_FORMATS = frozenset({"stix2", "misp", "tinycheck"})
_DETECTION_ORDER = ("stix2", "misp", "tinycheck", "curated", "lolrmm", "echap")
YAML_SUFFIXES = (".yaml", ".yml")
JSON_SUFFIXES = (".json", ".stix2", ".stix")


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


def is_json_name(name: str) -> bool:
    """A file name that says JSON (`.json`, `.stix2`, `.stix`): parsed as JSON first."""
    return name.lower().endswith(JSON_SUFFIXES)


def parse_document_text(text: str, where: str, format: str | None, json_first: bool) -> Any:
    """JSON for the JSON formats and for files named as JSON, or whose text starts with `{`
    (a YAML parser takes ten times the time and thirty times the memory for the same JSON);
    YAML, without anchors or aliases, otherwise."""
    if format in JSON_FORMATS or (format is None and json_first):
        return parse_json(text, where)
    if format is None and text.lstrip()[:1] == "{":
        try:
            return parse_json(text, where)
        except InvalidDataError:
            pass  # a YAML flow mapping, perhaps: YAML says what is wrong with it, if anything
    return parse_indicator_yaml(text, where)


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
    if format not in ("stix2", "misp", "tinycheck"):
        name, licence, attribution, home = _description(format)
        name = f"{name} ({label})" if label and kind != "bundled" else name
    else:
        module = _importer(format)
        name, licence, attribution, home = (
            label or module.NAME,
            module.LICENCE,
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
    check_size_before_parsing(document, where)
    source = source_for(
        chosen,
        source_id=source_id,
        kind=kind,
        version=f"sha256:{sha256_hex(data)[:16]}",
        retrieved=retrieved,
        label=label,
        url=url,
    )
    indicators = _parser(chosen)(document, where, source)
    check_caps(len(indicators.apps), indicator_count(indicators), where)
    return indicators, chosen


def check_size_before_parsing(document: Any, where: str) -> None:
    """Refuse a document whose main list alone is past the caps, before any of it is parsed:
    a list of apps (Echap, curated) against the app cap; STIX objects, TinyCheck and MISP
    entries against the indicator cap."""
    if isinstance(document, list):
        check_caps(len(document), 0, where)
    elif isinstance(document, dict):
        event = document.get("Event")
        for holder in (document, event if isinstance(event, dict) else {}):
            for key in ("objects", "iocs", "Object", "Attribute"):
                if isinstance(holder.get(key), list):
                    check_caps(0, len(holder[key]), where)


def indicator_count(indicators: IndicatorSet) -> int:
    """Every listed value of every app (names, paths, domains, addresses, packages, ...)."""
    fields = [i for i, f in enumerate(AppIndicator._fields) if f in COUNTED_FIELDS]
    return sum(len(app[i]) for app in indicators.apps for i in fields)


COUNTED_FIELDS = frozenset(
    {
        "process_names",
        "exe_paths",
        "cmdline_patterns",
        "autostart_names",
        "domains",
        "ips",
        "ports",
        "packages",
        "certificates",
        "file_hashes",
    }
)


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
        json_first=is_json_name(path.name),
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
    documents = [(parse_indicator_yaml(read_text(p), str(p)), str(p)) for p in files]
    if not source.version:
        digest = sha256_hex(b"".join(p.read_bytes() for p in files))
        source = source._replace(version=f"sha256:{digest[:16]}")
    return _importer("lolrmm").parse_lolrmm_files(documents, source)
