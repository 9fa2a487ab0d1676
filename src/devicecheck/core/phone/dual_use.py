"""The bundled list of dual-use Android apps (`data/indicators/android-dual-use.yaml`).

Shape: `source: {id, name, licence, reviewed}` and `apps:` a list of `{id, name, category,
packages, what, sources}`. `category` is one of the dual-use categories (remote-access,
parental-control, employee-monitoring); `what` is what the app lets someone do, in plain words
(the finding's advice quotes it); every entry names its sources.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from devicecheck.core.indicators.common import (
    expect_list,
    expect_mapping,
    expect_text,
    text_list,
)
from devicecheck.core.indicators.curated import app_heading
from devicecheck.core.indicators.model import (
    DUAL_USE_CATEGORIES,
    AppIndicator,
    IndicatorSet,
    SourceInfo,
)
from devicecheck.errors import InvalidDataError

DUAL_USE_PATH = (
    Path(__file__).resolve().parents[2] / "data" / "indicators" / "android-dual-use.yaml"
)


def load_dual_use(path: Path = DUAL_USE_PATH) -> IndicatorSet:
    from devicecheck.core.yamltext import parse_yaml

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidDataError(f"{path}: cannot be read ({error})") from None
    return parse_dual_use(parse_yaml(text, str(path)), str(path))


def parse_dual_use(document: Any, where: str) -> IndicatorSet:
    document = expect_mapping(document, where)
    header = expect_mapping(document.get("source"), f"{where}: source")
    source = SourceInfo(
        id=expect_text(header.get("id"), f"{where}: source.id"),
        name=expect_text(header.get("name"), f"{where}: source.name"),
        licence=expect_text(header.get("licence"), f"{where}: source.licence"),
        attribution="devicecheck developers; each entry names the sources that state it",
        url="",
        version=expect_text(header.get("reviewed"), f"{where}: source.reviewed"),
        retrieved=expect_text(header.get("reviewed"), f"{where}: source.reviewed"),
    )
    taken: set[str] = set()
    apps = tuple(
        _app(entry, f"{where}: app {number + 1}", source.id, taken)
        for number, entry in enumerate(expect_list(document.get("apps"), f"{where}: apps"))
    )
    return IndicatorSet((source,), apps)


def _app(entry: Any, where: str, source_id: str, taken: set[str]) -> AppIndicator:
    entry, name, where, app_id, category = app_heading(
        entry, where, source_id, taken, DUAL_USE_CATEGORIES
    )
    packages = text_list(entry.get("packages"), f"{where}: packages")
    sources = text_list(entry.get("sources"), f"{where}: sources")
    if not packages or not sources:
        raise InvalidDataError(f"{where}: needs at least one package and one source")
    return AppIndicator(
        id=app_id,
        name=name,
        category=category,
        source=source_id,
        platforms=("android",),
        packages=packages,
        references=sources,
        notes=expect_text(entry.get("what"), f"{where}: what"),
    )
