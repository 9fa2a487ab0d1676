"""The project's curated list of desktop monitoring software (`data/indicators/curated.yaml`).

Shape: `source: {id, name, licence, reviewed}` and `apps:` a list of
`{id, name, category, platforms, process_names, exe_paths, cmdline_patterns, autostart_names,
domains, sources, notes}` (plus optional `ips` and `ports`). Every entry names its sources.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from devicecheck.core.indicators.common import (
    expect_list,
    expect_mapping,
    expect_text,
    ip_list,
    slug,
    text_list,
)
from devicecheck.core.indicators.model import (
    CATEGORIES,
    PLATFORMS,
    AppIndicator,
    IndicatorSet,
    SourceInfo,
)
from devicecheck.errors import InvalidDataError

NAME = "devicecheck curated desktop monitoring list"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "devicecheck developers; each entry names the sources that state it"
URL = ""  # the list ships in the package; CURATED-SOURCES.md gives each source


def looks_like_curated(document: Any) -> bool:
    return isinstance(document, dict) and "apps" in document and "source" in document


def parse_curated(document: Any, where: str, source: SourceInfo) -> IndicatorSet:
    document = expect_mapping(document, where)
    if "apps" not in document:
        raise InvalidDataError(f"{where}: not a curated list (no 'apps' list)")
    header = expect_mapping(document.get("source") or {}, f"{where}: source")
    reviewed = expect_text(header.get("reviewed"), f"{where}: source.reviewed", required=False)
    if reviewed and not source.retrieved:
        source = source._replace(retrieved=reviewed)
    taken: set[str] = set()
    apps = tuple(
        _app(entry, f"{where}: app {number + 1}", source.id, taken)
        for number, entry in enumerate(expect_list(document["apps"], f"{where}: apps"))
    )
    return IndicatorSet((source,), apps)


def app_heading(
    entry: Any, where: str, source_id: str, taken: set[str], categories: Iterable[str]
) -> tuple[dict[str, Any], str, str, str, str]:
    """The entry of a sourced list with its name, id and category checked: the entry, its name,
    where it is in the file (with its name), its id (unique: `taken` collects the ids seen so
    far) and its category."""
    entry = expect_mapping(entry, where)
    name = expect_text(entry.get("name"), f"{where}: name")
    where = f"{where} ({name})"
    app_id = f"{source_id}:{slug(expect_text(entry.get('id', name), f'{where}: id'))}"
    if app_id in taken:
        raise InvalidDataError(f"{where}: id {app_id!r} is used twice")
    taken.add(app_id)
    category = expect_text(entry.get("category"), f"{where}: category")
    if category not in categories:
        raise InvalidDataError(
            f"{where}: category {category!r} is not one of {', '.join(sorted(categories))}"
        )
    return entry, name, where, app_id, category


def _app(entry: Any, where: str, source_id: str, taken: set[str]) -> AppIndicator:
    entry, name, where, app_id, category = app_heading(entry, where, source_id, taken, CATEGORIES)
    platforms = text_list(entry.get("platforms"), f"{where}: platforms")
    unknown = [p for p in platforms if p not in PLATFORMS]
    if unknown:
        raise InvalidDataError(f"{where}: unknown platform {unknown[0]!r}")

    def strings(key: str) -> tuple[str, ...]:
        return text_list(entry.get(key), f"{where}: {key}")

    return AppIndicator(
        id=app_id,
        name=name,
        category=category,
        source=source_id,
        platforms=platforms,
        process_names=strings("process_names"),
        exe_paths=strings("exe_paths"),
        cmdline_patterns=strings("cmdline_patterns"),
        autostart_names=strings("autostart_names"),
        domains=tuple(d.lower().rstrip(".") for d in strings("domains")),
        ips=ip_list(entry.get("ips"), f"{where}: ips"),
        ports=_ports(entry.get("ports"), f"{where}: ports"),
        references=strings("sources"),
        notes=expect_text(entry.get("notes"), f"{where}: notes", required=False),
    )


def _ports(value: Any, where: str) -> tuple[int, ...]:
    ports = []
    for number, item in enumerate(expect_list(value, where)):
        if isinstance(item, bool) or not isinstance(item, int) or not 0 < item < 65536:
            raise InvalidDataError(f"{where}[{number}]: expected a port number (1-65535)")
        ports.append(item)
    return tuple(ports)
