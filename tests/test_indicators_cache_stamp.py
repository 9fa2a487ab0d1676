"""The bundled set's cache is trusted by its files' stamp, and falls back to hashing them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators.store import (
    BUNDLED_DIR,
    cache_dir,
    load_bundled,
    parse_bundled,
    tree_stamp,
)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    copy = tmp_path / "bundled"
    shutil.copytree(BUNDLED_DIR, copy)
    return copy


@pytest.fixture
def home(data_dir: Path) -> DataDir:
    return DataDir(data_dir)


def cached(home: DataDir) -> dict:
    [path] = cache_dir(home).glob("bundled-*.json")
    return {"name": path.name, **json.loads(path.read_bytes())}


def test_the_cache_records_the_stamp_and_is_read_by_it(home, root):
    first = load_bundled(home, root)
    document = cached(home)
    assert document["stamp"] == tree_stamp(root)
    assert load_bundled(home, root) == first == parse_bundled(root)
    assert cached(home) == document  # read, not rewritten


def test_a_touched_file_is_hashed_again_and_the_cache_restamped(home, root):
    first = load_bundled(home, root)
    before = cached(home)
    os.utime(root / "curated.yaml", ns=(1, 1))  # same bytes, another stamp
    assert load_bundled(home, root) == first
    after = cached(home)
    assert after["name"] == before["name"]  # same content key: not rebuilt
    assert after["stamp"] != before["stamp"]
    assert after["stamp"] == tree_stamp(root)


def test_an_edited_file_is_parsed_again(home, root):
    load_bundled(home, root)
    curated = root / "curated.yaml"
    curated.write_text(curated.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    reloaded = load_bundled(home, root)
    assert reloaded == parse_bundled(root)
    assert cached(home)["stamp"] == tree_stamp(root)


def test_a_forged_stamp_on_a_damaged_cache_is_not_trusted(home, root):
    expected = load_bundled(home, root)
    [path] = cache_dir(home).glob("bundled-*.json")
    text = path.read_text(encoding="utf-8")
    damaged = text.replace('"stalkerware","curated"', '7,"curated"', 1)
    assert damaged != text
    path.write_text(damaged, "utf-8")
    assert load_bundled(home, root) == expected
    assert '7,"curated"' not in next(cache_dir(home).glob("bundled-*.json")).read_text("utf-8")
