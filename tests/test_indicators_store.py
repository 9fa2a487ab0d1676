"""load_indicators: the compiled cache, imported sets, extra files, and `indicators info/import`."""

from __future__ import annotations

import json

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.manage import import_file
from devicecheck.core.indicators.store import CACHE_FORMAT, cache_dir, parse_bundled
from devicecheck.errors import InvalidDataError
from tests.conftest import assert_one_line_error, run_cli

STIX = {
    "type": "bundle",
    "id": "bundle--1",
    "objects": [
        {"type": "malware", "id": "malware--1", "name": "TestSpy"},
        {"type": "indicator", "id": "indicator--1", "pattern": "[ipv4-addr:value = '127.0.0.9']"},
        {
            "type": "relationship",
            "id": "relationship--1",
            "relationship_type": "indicates",
            "source_ref": "indicator--1",
            "target_ref": "malware--1",
        },
    ],
}


@pytest.fixture
def home(data_dir) -> DataDir:
    return DataDir(data_dir)


def cache_files(home: DataDir):
    return sorted(cache_dir(home).glob("bundled-*.json"))


def test_compiled_cache_is_built_once_and_equals_the_yaml(home):
    first = load_indicators(home)
    [cache] = cache_files(home)
    assert first == parse_bundled()
    modified = cache.stat().st_mtime_ns
    second = load_indicators(home)
    assert second == first
    assert cache.stat().st_mtime_ns == modified  # read, not rewritten


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[: len(text) // 2],
        lambda text: text.replace('"stalkerware","curated"', '7,"curated"', 1),
        lambda text: text.replace('"key":"', '"key":"0', 1),
        lambda text: "[]",
    ],
)
def test_damaged_cache_is_rebuilt_not_trusted(home, damage):
    expected = load_indicators(home)
    [cache] = cache_files(home)
    text = cache.read_text(encoding="utf-8")
    damaged = damage(text)
    assert damaged != text
    cache.write_text(damaged, encoding="utf-8")
    assert load_indicators(home) == expected
    [rebuilt] = cache_files(home)
    assert json.loads(rebuilt.read_text(encoding="utf-8"))["cache_format"] == CACHE_FORMAT


def test_without_a_data_dir_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    indicators = load_indicators(None)
    assert {s.id for s in indicators.sources} == {"curated", "echap", "lolrmm"}
    assert list(tmp_path.iterdir()) == []


def test_imported_file_joins_every_later_load(home, tmp_path):
    source = tmp_path / "test spy.json"
    source.write_text(json.dumps(STIX), encoding="utf-8")
    result = import_file(home, source)
    assert result.path.parent == home.indicators / "imported"
    assert result.path.read_bytes() == source.read_bytes()
    source.unlink()  # the stored copy is what counts from now on
    indicators = load_indicators(home)
    imported = [app for app in indicators.apps if app.source == result.source_id]
    assert [app.name for app in imported] == ["TestSpy"]
    assert indicators.source(result.source_id).kind == "imported"
    assert indicators.index.ips["127.0.0.9"]


def test_extra_files_with_the_same_name_get_distinct_sources(home, tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "x.json").write_text(json.dumps(STIX), encoding="utf-8")
    indicators = load_indicators(home, [tmp_path / "a" / "x.json", tmp_path / "b" / "x.json"])
    ids = [source.id for source in indicators.sources]
    assert len(ids) == len(set(ids))
    assert len({app.id for app in indicators.apps}) == len(indicators.apps)


def test_import_of_a_file_with_nothing_usable_stores_nothing(home, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"type": "bundle", "objects": []}), encoding="utf-8")
    with pytest.raises(InvalidDataError, match="no indicators"):
        import_file(home, empty)
    assert not (home.indicators / "imported").exists()


def test_damaged_stored_file_is_one_clear_error(home, tmp_path):
    source = tmp_path / "x.json"
    source.write_text(json.dumps(STIX), encoding="utf-8")
    stored = import_file(home, source).path
    stored.write_text("{broken", encoding="utf-8")
    with pytest.raises(InvalidDataError, match="remove it or import it again"):
        load_indicators(home)


def test_cli_info_json_lists_sources_with_licences(data_dir):
    result = run_cli("indicators", "info", "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    by_id = {source["id"]: source for source in document["sources"]}
    assert by_id["echap"]["licence"] == "CC BY 4.0"
    assert by_id["lolrmm"]["licence"] == "Apache-2.0"
    assert by_id["lolrmm"]["counts"]["apps"] == 319
    assert all(s["kind"] == "bundled" for s in document["sources"])
    assert document["apps"] == sum(s["counts"]["apps"] for s in document["sources"])


def test_cli_import_then_info_shows_the_import(data_dir, tmp_path):
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(STIX), encoding="utf-8")
    result = run_cli("indicators", "import", str(source), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    assert "1 app(s), 1 indicator(s)" in result.stderr
    info = run_cli("indicators", "info", data_dir=data_dir)
    assert "[import-feed-json, imported]" in info.stdout


def test_cli_import_with_wrong_format_is_one_line(data_dir, tmp_path):
    source = tmp_path / "feed.json"
    source.write_text(json.dumps(STIX), encoding="utf-8")
    result = run_cli("indicators", "import", str(source), "--format", "echap", data_dir=data_dir)
    assert_one_line_error(result, 1)
    assert "not an Echap ioc.yaml" in result.stderr
