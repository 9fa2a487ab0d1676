"""Files in Echap's two generated formats, written by us from the bundled `ioc.yaml`.

Echap (AssoEchap/stalkerware-indicators) publishes its indicators also as a MISP event
(`generated/misp_event.json`, made by its `scripts/make_misp_event.py` with PyMISP: one
`android-app` object per app, holding `name`, `domain`, `sha256`, `certificate` and `appid`
attributes, the object template of MISP/misp-objects `objects/android-app/definition.json`,
and a loose `link` attribute naming the repository as the source) and as a TinyCheck IOC list
(`generated/indicators-for-tinycheck.json`, made by its `scripts/create-indicators-for-tinycheck.py`:
`{"iocs": [{"type": "domain" | "ip4addr", "tag": "stalkerware", "tlp": "white", "value": ...}]}`).

These functions write files of that shape from the values of the snapshot devicecheck ships
(`src/devicecheck/data/indicators/echap/ioc.yaml`, CC BY 4.0), so tests read the real formats
without carrying copies of Echap's generated files. The bundled file has no SHA-256 hashes,
so each app gets one made-up `sha256` value, which an import must count as a file hash it
cannot use on a computer.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from devicecheck.core.indicators.echap import URL as ECHAP_URL
from devicecheck.core.indicators.store import BUNDLED_DIR

PER_KIND = 4  # values of each kind written per app: enough to count, small enough to read


def bundled_apps(count: int) -> list[dict[str, Any]]:
    """The first `count` apps of the bundled ioc.yaml that have domains and packages."""
    entries = yaml.safe_load((BUNDLED_DIR / "echap" / "ioc.yaml").read_text("utf-8"))
    chosen = [e for e in entries if e.get("websites") and e.get("packages")]
    return chosen[:count]


def app_domains(entry: dict[str, Any]) -> list[str]:
    """A vendor site and C2 domains of one app, as MISP's `domain` attributes carry them."""
    c2 = entry.get("c2") or {}
    return list(dict.fromkeys([*entry["websites"][:2], *(c2.get("domains") or [])[:2]]))


def _attribute(relation: str | None, kind: str, value: str, category: str) -> dict[str, Any]:
    attribute = {
        "uuid": str(uuid.uuid4()),
        "type": kind,
        "value": value,
        "category": category,
        "to_ids": relation != "name",
        "disable_correlation": False,
    }
    if relation is not None:
        attribute["object_relation"] = relation
    return attribute


def misp_event(count: int = 3) -> dict[str, Any]:
    """A MISP event of `count` android-app objects, with Echap's source link."""
    objects = []
    for number, entry in enumerate(bundled_apps(count)):
        attributes = [_attribute("name", "text", entry["name"], "Other")]
        attributes += [
            _attribute("domain", "domain", d, "Network activity") for d in app_domains(entry)
        ]
        made_up_hash = f"{number + 1:02x}" * 32  # not a real sample's hash
        attributes.append(_attribute("sha256", "sha256", made_up_hash, "Payload delivery"))
        attributes += [
            _attribute("certificate", "x509-fingerprint-sha1", c, "Other")
            for c in (entry.get("certificates") or [])[:PER_KIND]
        ]
        attributes += [
            _attribute("appid", "text", p, "Payload delivery") for p in entry["packages"][:PER_KIND]
        ]
        objects.append(
            {
                "name": "android-app",
                "meta-category": "file",
                "description": "Indicators related to an Android app",
                "template_version": "1",
                "uuid": str(uuid.uuid4()),
                "Attribute": attributes,
            }
        )
    link = _attribute(None, "link", ECHAP_URL, "External analysis")
    link.update(to_ids=False, comment="Source")
    return {
        "Event": {
            "uuid": str(uuid.uuid4()),
            "info": "Stalkerware indicators",
            "distribution": "3",
            "published": True,
            "Attribute": [link],
            "Object": objects,
        }
    }


def tinycheck_list(domains: int = 12, ips: int = 4) -> dict[str, Any]:
    """A TinyCheck IOC list of the first `domains` C2 domains and `ips` addresses."""
    found_domains: list[str] = []
    found_ips: list[str] = []
    for entry in yaml.safe_load((BUNDLED_DIR / "echap" / "ioc.yaml").read_text("utf-8")):
        c2 = entry.get("c2") or {}
        found_domains += c2.get("domains") or []
        found_ips += c2.get("ips") or c2.get("ip") or []
    chosen = [("domain", d) for d in dict.fromkeys(found_domains)][:domains]
    chosen += [("ip4addr", i) for i in dict.fromkeys(found_ips)][:ips]
    return {
        "iocs": [
            {"type": kind, "tag": "stalkerware", "tlp": "white", "value": value}
            for kind, value in chosen
        ]
    }


def write_json(path: Path, document: dict[str, Any]) -> Path:
    path.write_text(json.dumps(document, indent=2), "utf-8")
    return path
