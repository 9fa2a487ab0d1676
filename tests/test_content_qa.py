"""A walk in another region names that region's help only: no UK number and no UK-only charity
in the text a US survivor reads (the sources, which are citations, are not printed)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import run_cli

UK_ONLY = ("Refuge", "Suzy Lamplugh", "National Stalking Helpline", "0808", "0800", "999")


def test_a_us_walk_names_no_uk_number_or_uk_charity(tmp_path: Path) -> None:
    result = run_cli(
        "--region", "US", "walk", "--plain", input="s\n" * 200, data_dir=tmp_path / "data"
    )
    assert result.returncode == 0, result.stderr
    assert "National Domestic Violence Hotline" in result.stdout
    for words in UK_ONLY:
        assert not re.search(rf"\b{re.escape(words)}", result.stdout), words
