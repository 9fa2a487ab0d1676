"""LOLRMM: one YAML file per remote monitoring and management (RMM) or remote-access tool.

Process names are the basenames of `.exe` entries in `Details.InstallationPaths` plus the
`Filename` / `OriginalFileName` of `Details.PEMetadata` (a mapping in most files, a list in
some); executable paths are the install paths that name a folder; domains and ports come from
`Artifacts.Network`. The 319 files are written by many hands, so key spellings and types vary:
`InstallationPaths` also turns up at the top level and under `Artifacts`, and a port can be a
number or text (even a range). Every tool is dual-use software: category `remote-access`.
"""

from __future__ import annotations

import re
from typing import Any

from devicecheck.core.indicators.common import (
    UniqueIds,
    expect_list,
    expect_mapping,
    expect_text,
    text_list,
    unique_id,
)
from devicecheck.core.indicators.model import PLATFORMS, AppIndicator, IndicatorSet, SourceInfo
from devicecheck.errors import InvalidDataError

NAME = "LOLRMM (Living Off the Land RMM)"
LICENCE = "Apache-2.0"
ATTRIBUTION = "LOLRMM project, magicsword-io (https://lolrmm.io)"
URL = "https://github.com/magicsword-io/LOLRMM"
# Ports a tool's client connects out to: they say nothing about a listening service.
_CLIENT_PORTS = frozenset({53, 80, 443})
_OS_NAMES = {"mac": "macos", "macos": "macos", "osx": "macos", "windows": "windows"}
_DOMAIN_PORT = re.compile(r":\d+\Z")
_PE_NAME_KEYS = ("Filename", "OriginalFileName", "FileName", "filename", "OriginalFilename")


def looks_like_lolrmm(document: Any) -> bool:
    return isinstance(document, dict) and "Name" in document and "Details" in document


def parse_lolrmm_files(documents: list[tuple[Any, str]], source: SourceInfo) -> IndicatorSet:
    """Several LOLRMM documents (each with where it came from) as one set."""
    taken = UniqueIds()
    apps = tuple(_app(document, where, source.id, taken) for document, where in documents)
    return IndicatorSet((source,), apps)


def parse_lolrmm(document: Any, where: str, source: SourceInfo) -> IndicatorSet:
    return parse_lolrmm_files([(document, where)], source)


def _app(document: Any, where: str, source_id: str, taken: UniqueIds) -> AppIndicator:
    if not isinstance(document, dict):
        raise InvalidDataError(f"{where}: not a LOLRMM tool file (expected a mapping)")
    name = expect_text(document.get("Name"), f"{where}: Name")
    details = expect_mapping(document.get("Details") or {}, f"{where}: Details")
    artifacts = expect_mapping(document.get("Artifacts") or {}, f"{where}: Artifacts")
    install_paths = (
        text_list(details.get("InstallationPaths"), f"{where}: Details.InstallationPaths")
        + text_list(document.get("InstallationPaths"), f"{where}: InstallationPaths")
        + text_list(artifacts.get("InstallationPaths"), f"{where}: Artifacts.InstallationPaths")
    )
    process_names = [_basename(p) for p in install_paths if p.lower().endswith(".exe")]
    process_names += _pe_names(details.get("PEMetadata"), f"{where}: Details.PEMetadata")
    domains, ports = _network(artifacts.get("Network"), f"{where}: Artifacts.Network")
    return AppIndicator(
        id=unique_id(source_id, name, taken),
        name=name,
        category="remote-access",
        source=source_id,
        platforms=_platforms(details.get("SupportedOS"), f"{where}: Details.SupportedOS"),
        process_names=tuple(dict.fromkeys(n for n in process_names if n)),
        exe_paths=tuple(dict.fromkeys(p for p in install_paths if _names_a_folder(p))),
        domains=domains,
        ports=ports,
        references=text_list(document.get("References"), f"{where}: References"),
    )


def _basename(path: str) -> str:
    return re.split(r"[\\/]", path.strip())[-1]


def _names_a_folder(path: str) -> bool:
    return "\\" in path or "/" in path


def _pe_names(metadata: Any, where: str) -> list[str]:
    entries = metadata if isinstance(metadata, list) else [metadata] if metadata else []
    names: list[str] = []
    for number, entry in enumerate(entries):
        if entry is None:
            continue
        place = f"{where}[{number}]" if isinstance(metadata, list) else where
        entry = expect_mapping(entry, place)
        for key in _PE_NAME_KEYS:
            value = expect_text(entry.get(key), f"{place}.{key}", required=False)
            if value:
                names.append(_basename(value))
    return names


def _network(network: Any, where: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    domains: list[str] = []
    ports: list[int] = []
    for number, entry in enumerate(expect_list(network, where)):
        place = f"{where}[{number}]"
        entry = expect_mapping(entry, place)
        for domain in text_list(entry.get("Domains") or entry.get("Domain"), f"{place}.Domains"):
            cleaned = _DOMAIN_PORT.sub("", domain.lower()).rstrip(".")
            if cleaned and cleaned not in domains:
                domains.append(cleaned)
        raw_ports = entry.get("Ports") if "Ports" in entry else entry.get("Port")
        for port in _ports(raw_ports, f"{place}.Ports"):
            if port not in ports and port not in _CLIENT_PORTS:
                ports.append(port)
    return tuple(domains), tuple(ports)


def _ports(value: Any, where: str) -> list[int]:
    """Single ports only: a range such as `1000-65535` would match nearly any listener."""
    found = []
    for number, item in enumerate(
        expect_list([value] if isinstance(value, (int, str)) else value, where)
    ):
        text = expect_text(item, f"{where}[{number}]", required=False)
        if text.isdigit() and 0 < int(text) < 65536:
            found.append(int(text))
    return found


def _platforms(value: Any, where: str) -> tuple[str, ...]:
    found = []
    for name in text_list(value, where):
        platform = _OS_NAMES.get(name.lower(), name.lower())
        if platform in PLATFORMS and platform not in found:
            found.append(platform)
    return tuple(found)
