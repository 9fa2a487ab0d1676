"""MISP events (JSON), the format Echap publishes as `generated/misp_event.json`.

An event is `{"Event": {...}}` or the event itself: `info`, `Attribute` (loose attributes) and
`Object` (each a named group of attributes, such as Echap's `android-app` with `name`,
`domain`, `appid`, `certificate` and `sha256`). Objects are grouped into one app per `name`
attribute; loose attributes form one app named after the event's `info`. An attribute marked
`"to_ids": false` is context, not an indicator, and is left out.
"""

from __future__ import annotations

from typing import Any

from devicecheck.core.indicators import echap
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

NAME = "MISP event"
LICENCE = "as stated by the file's publisher"
ATTRIBUTION = "the file's publisher"
URL = ""

# MISP attribute type (or object relation) -> AppIndicator field.
_FIELDS = {
    "domain": "domains",
    "hostname": "domains",
    "ip-dst": "ips",
    "ip-src": "ips",
    "ip": "ips",
    "appid": "packages",
    "certificate": "certificates",
    "sha256": "file_hashes",
    "sha1": "file_hashes",
    "md5": "file_hashes",
}
_OBJECT_PLATFORMS = {"android-app": ("android",)}


def looks_like_misp(document: Any) -> bool:
    event = _event(document)
    return event is not None and ("Attribute" in event or "Object" in event)


def _event(document: Any) -> dict | None:
    if isinstance(document, dict):
        inner = document.get("Event")
        event = inner if isinstance(inner, dict) else document
        if "info" in event or "uuid" in event:
            return event
    return None


def parse_misp(document: Any, where: str, source: SourceInfo) -> IndicatorSet:
    event = _event(document)
    if event is None:
        raise InvalidDataError(f'{where}: not a MISP event (no "Event", "info" or "uuid")')
    info = expect_text(event.get("info"), f"{where}: info", required=False) or "MISP event"
    category = category_for("stalkerware" if "stalker" in info.lower() else info)
    groups: dict[tuple[str, tuple[str, ...]], dict[str, dict[str, None]]] = {}
    loose = _values(expect_list(event.get("Attribute"), f"{where}: Attribute"), where, "type")
    groups[(info, ())] = loose[1]
    for number, item in enumerate(expect_list(event.get("Object"), f"{where}: Object")):
        place = f"{where}: Object[{number}]"
        item = expect_mapping(item, place)
        name, values = _values(
            expect_list(item.get("Attribute"), f"{place}: Attribute"), place, "object_relation"
        )
        kind = item.get("name") if isinstance(item.get("name"), str) else ""
        key = (name or info, _OBJECT_PLATFORMS.get(kind, ()))
        group = groups.setdefault(key, {})
        for target, found in values.items():
            group.setdefault(target, {}).update(found)
    source = _with_publisher(event, source)
    taken = UniqueIds()
    apps = tuple(
        AppIndicator(
            id=unique_id(source.id, name, taken),
            name=name,
            category=category,
            source=source.id,
            platforms=platforms,
            **{target: tuple(found) for target, found in fields.items()},
        )
        for (name, platforms), fields in groups.items()
        if fields
    )
    return IndicatorSet((source,), apps)


def _values(attributes: list, where: str, key: str) -> tuple[str, dict[str, dict[str, None]]]:
    """(the `name` attribute's value, field -> values) of a list of MISP attributes."""
    name = ""
    fields: dict[str, dict[str, None]] = {}
    for number, attribute in enumerate(attributes):
        place = f"{where}: Attribute[{number}]"
        attribute = expect_mapping(attribute, place)
        relation = attribute.get(key)
        value = expect_text(attribute.get("value"), f"{place}: value", required=False)
        if relation == "name" and key == "object_relation":
            name = name or value
            continue
        target = _FIELDS.get(relation) if isinstance(relation, str) else None
        if not value or target is None:
            continue
        if target == "certificates":
            value = value.replace(":", "").upper()
        elif target in ("domains", "file_hashes"):
            value = value.lower().rstrip(".")
        fields.setdefault(target, {})[value] = None
    return name, fields


def _with_publisher(event: dict, source: SourceInfo) -> SourceInfo:
    """Echap's event names its repository as its source (a `link` attribute): its licence
    and attribution then go with the set, as CC BY 4.0 asks."""
    links = [
        a.get("value")
        for a in event.get("Attribute") or []
        if isinstance(a, dict) and a.get("type") == "link"
    ]
    if any(isinstance(link, str) and link.rstrip("/") == echap.URL for link in links):
        return source._replace(
            name=f"{echap.NAME} ({source.name})",
            licence=echap.LICENCE,
            attribution=echap.ATTRIBUTION,
            url=echap.URL,
        )
    return source
