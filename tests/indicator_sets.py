"""The indicator source the scan tests put their products under, and a set of products in it."""

from __future__ import annotations

from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo

TEST_SOURCE = SourceInfo("test", "Test indicators", "CC0", "", "", "1")


def indicator_set(*apps: AppIndicator) -> IndicatorSet:
    """`apps` under the one test source."""
    return IndicatorSet((TEST_SOURCE,), apps)
