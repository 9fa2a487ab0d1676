"""Echap's stalkerware-indicators `ioc.yaml`: a list of Android stalkerware apps.

Each app has `name`, `names` (aliases), `type`, `packages`, `certificates`, `websites`,
`distribution` and `c2` (`ips` or, in older entries, `ip`, plus `domains`). On a computer the C2
addresses and domains are what a scan can see; packages and certificates are kept for reports
and for checks of a phone.
"""

from __future__ import annotations

from typing import Any

from devicecheck.core.indicators.common import (
    UniqueIds,
    expect_mapping,
    expect_text,
    ip_list,
    text_list,
    unique_id,
)
from devicecheck.core.indicators.model import CATEGORIES, AppIndicator, IndicatorSet, SourceInfo
from devicecheck.errors import InvalidDataError

NAME = "Echap stalkerware-indicators"
LICENCE = "CC BY 4.0"
ATTRIBUTION = "Echap, stalkerware-indicators (https://github.com/AssoEchap/stalkerware-indicators)"
URL = "https://github.com/AssoEchap/stalkerware-indicators"
RAW_URL = "https://raw.githubusercontent.com/AssoEchap/stalkerware-indicators/master/ioc.yaml"


def looks_like_echap(document: Any) -> bool:
    return (
        isinstance(document, list)
        and bool(document)
        and all(isinstance(app, dict) and "name" in app and "type" in app for app in document[:5])
    )


def category_for(app_type: str) -> str:
    """Echap's `type` as one of our categories; anything unknown is treated as stalkerware."""
    lowered = app_type.strip().lower()
    if lowered in CATEGORIES:
        return lowered
    if lowered == "watchware":  # Echap's watchware.yaml: monitoring apps sold for families
        return "parental-control"
    if "parent" in lowered:
        return "parental-control"
    if "employ" in lowered or "workplace" in lowered:
        return "employee-monitoring"
    if "keylog" in lowered:
        return "keylogger"
    if "remote" in lowered:
        return "remote-access"
    if "spy" in lowered and "stalker" not in lowered:
        return "spyware"
    return "stalkerware"


def parse_echap(document: Any, where: str, source: SourceInfo) -> IndicatorSet:
    if not isinstance(document, list):
        raise InvalidDataError(
            f"{where}: not an Echap ioc.yaml (expected a list of apps at the top level)"
        )
    taken = UniqueIds()
    apps = tuple(
        _app(entry, f"{where}: app {number + 1}", source.id, taken)
        for number, entry in enumerate(document)
    )
    return IndicatorSet((source,), apps)


def _app(entry: Any, where: str, source_id: str, taken: UniqueIds) -> AppIndicator:
    entry = expect_mapping(entry, where)
    name = expect_text(entry.get("name"), f"{where}: name")
    where = f"{where} ({name})"
    c2 = entry.get("c2")
    c2 = {} if c2 is None else expect_mapping(c2, f"{where}: c2")
    ips = ip_list(c2.get("ips"), f"{where}: c2.ips") + ip_list(c2.get("ip"), f"{where}: c2.ip")
    domains = (
        text_list(entry.get("websites"), f"{where}: websites")
        + text_list(entry.get("distribution"), f"{where}: distribution")
        + text_list(c2.get("domains"), f"{where}: c2.domains")
    )
    certificates = text_list(entry.get("certificates"), f"{where}: certificates")
    return AppIndicator(
        id=unique_id(source_id, name, taken),
        name=name,
        category=category_for(expect_text(entry.get("type", ""), f"{where}: type", required=False)),
        source=source_id,
        platforms=("android",),
        aliases=tuple(
            alias for alias in text_list(entry.get("names"), f"{where}: names") if alias != name
        ),
        domains=tuple(dict.fromkeys(d.lower().rstrip(".") for d in domains)),
        ips=tuple(dict.fromkeys(ips)),
        packages=text_list(entry.get("packages"), f"{where}: packages"),
        certificates=tuple(c.upper() for c in certificates),
    )
