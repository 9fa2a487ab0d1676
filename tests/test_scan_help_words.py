"""The advice's help words come from a compiled cache that is checked, never trusted blindly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.helplines import help_phrase
from devicecheck.core.scan import help_words
from devicecheck.errors import DeviceCheckError


@pytest.fixture
def cached(tmp_path: Path):
    data_dir = DataDir(tmp_path / "data")
    help_words.keep_cache_in(data_dir)
    yield data_dir, data_dir.indicators / "cache" / help_words.CACHE_NAME
    help_words.keep_cache_in(None)


def test_every_region_is_compiled_as_help_phrase_words_it(cached) -> None:
    _data_dir, path = cached
    assert help_words.help_words("us") == help_phrase("US")
    document = json.loads(path.read_text())
    assert document["stamp"] == help_words.helplines_stamp()
    for code, phrase in document["phrases"].items():
        if code:
            assert phrase == help_phrase(code)
    assert help_words.help_words(None) == help_phrase(None)
    assert "0808" not in help_words.help_words("US")  # no UK number in a US scan


@pytest.mark.parametrize(
    "planted",
    [
        b"not json",
        b'{"stamp": "old", "phrases": {"": "GB", "GB": "call 0000"}}',
        b'{"stamp": null, "phrases": []}',
        b"\xff\xfe",
    ],
    ids=["damaged", "stale stamp", "wrong shape", "not text"],
)
def test_a_damaged_or_stale_cache_is_rebuilt_from_the_help_lines(cached, planted) -> None:
    data_dir, path = cached
    data_dir.ensure(data_dir.indicators, path.parent)
    path.write_bytes(planted)
    assert help_words.help_words("GB") == help_phrase("GB")
    assert json.loads(path.read_text())["stamp"] == help_words.helplines_stamp()


def test_an_unknown_region_is_refused_in_one_line(cached) -> None:
    with pytest.raises(DeviceCheckError, match="no help lines for region"):
        help_words.help_words("ZZ")


def test_without_a_data_folder_nothing_is_written(tmp_path: Path) -> None:
    help_words.keep_cache_in(None)
    assert help_words.help_words("GB") == help_phrase("GB")
    assert not any(tmp_path.iterdir())


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.binary(max_size=300),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=20),
            lambda inner: (
                st.lists(inner, max_size=4)
                | st.dictionaries(st.text(max_size=8), inner, max_size=4)
            ),
            max_leaves=12,
        ).map(lambda value: json.dumps(value).encode()),
    )
)
def test_any_planted_cache_gives_the_help_lines_own_words(tmp_path: Path, planted: bytes):
    data_dir = DataDir(tmp_path / "fuzz")
    path = data_dir.indicators / "cache" / help_words.CACHE_NAME
    data_dir.ensure(data_dir.indicators, path.parent)
    path.write_bytes(planted)
    help_words.keep_cache_in(data_dir)
    try:
        assert help_words.help_words("US") == help_phrase("US")
    finally:
        help_words.keep_cache_in(None)
