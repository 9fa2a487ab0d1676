"""TinyCheck IOC lists (JSON), as Echap publishes `generated/indicators-for-tinycheck.json`.

`{"iocs": [{"type": "domain", "tag": "stalkerware", "tlp": "white", "value": "..."}]}`. The
list names no products: its indicators become one app per `tag`. Types kept: `domain` and
`freedns` (domains), `ip4addr` and `ip6addr` (addresses), `sha1cert` (certificates); others
(`cidr`, `ns`, `snort`, ...) have nothing a devicecheck check compares, and are left out.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from devicecheck.core.indicators.common import (
    UniqueIds,
    expect_list,
    expect_mapping,
    expect_text,
    unique_id,
)
from devicecheck.core.indicators.echap import category_for
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.errors import InvalidDataError

NAME = "TinyCheck IOC list"
LICENCE = "as stated by the file's publisher"
ATTRIBUTION = "the file's publisher"
URL = ""
_FIELDS = {
    "domain": "domains",
    "freedns": "domains",
    "ip4addr": "ips",
    "ip6addr": "ips",
    "sha1cert": "certificates",
}


def looks_like_tinycheck(document: Any) -> bool:
    if not isinstance(document, dict) or not isinstance(document.get("iocs"), list):
        return False
    return all(isinstance(i, dict) and "type" in i and "value" in i for i in document["iocs"][:5])


def parse_tinycheck(document: Any, where: str, source: SourceInfo) -> IndicatorSet:
    if not isinstance(document, dict) or "iocs" not in document:
        raise InvalidDataError(f'{where}: not a TinyCheck IOC list (no "iocs")')
    groups: dict[str, dict[str, dict[str, None]]] = {}
    for number, item in enumerate(expect_list(document["iocs"], f"{where}: iocs")):
        place = f"{where}: iocs[{number}]"
        item = expect_mapping(item, place)
        kind = expect_text(item.get("type"), f"{place}: type", required=False).lower()
        value = expect_text(item.get("value"), f"{place}: value", required=False)
        tag = expect_text(item.get("tag"), f"{place}: tag", required=False) or "unnamed"
        target = _FIELDS.get(kind)
        if target is None or not value:
            continue
        value = _normalised(target, value, place)
        groups.setdefault(tag, {}).setdefault(target, {})[value] = None
    taken = UniqueIds()
    apps = tuple(
        AppIndicator(
            id=unique_id(source.id, tag, taken),
            name=f"{tag} (TinyCheck list)",
            category=category_for(tag),
            source=source.id,
            **{target: tuple(found) for target, found in fields.items()},
        )
        for tag, fields in groups.items()
    )
    return IndicatorSet((source,), apps)


def _normalised(target: str, value: str, where: str) -> str:
    if target == "ips":
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            raise InvalidDataError(f"{where}: {value!r} is not an IP address") from None
    if target == "certificates":
        return value.replace(":", "").upper()
    return value.lower().rstrip(".")
