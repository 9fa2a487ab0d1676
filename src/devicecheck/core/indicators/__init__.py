"""Indicators of monitoring software: the bundled curated, Echap and LOLRMM sets, imported and
updated sets in the data directory, and files given on the command line.

    load_indicators(data_dir=None, extra_files=()) -> IndicatorSet
    read_indicator_file(path, format=None) -> IndicatorSet
"""

from __future__ import annotations

from devicecheck.core.indicators.formats import FORMATS, read_indicator_file
from devicecheck.core.indicators.model import (
    CATEGORIES,
    DUAL_USE_CATEGORIES,
    AppIndicator,
    IndicatorSet,
    SourceInfo,
)
from devicecheck.core.indicators.store import load_indicators

__all__ = [
    "CATEGORIES",
    "DUAL_USE_CATEGORIES",
    "FORMATS",
    "AppIndicator",
    "IndicatorSet",
    "SourceInfo",
    "load_indicators",
    "read_indicator_file",
]
