"""The emergency line on the first frame comes from a compiled cache of the shipped help lines:
it must always be the true line, whatever someone leaves in the data folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.emergency_lines import (
    MAX_CACHE_BYTES,
    EmergencyWords,
    cache_path,
    cached_lines,
    emergency_words,
    helplines_stamp,
    keep_compiled_lines,
)
from devicecheck.core.helplines import load_helplines, region_for
from devicecheck.errors import DeviceCheckError
from devicecheck.tui.app import DeviceCheckApp
from tests.conftest import wait_for

SIZE = (80, 24)


def true_line(code: str | None) -> EmergencyWords:
    region = region_for(code)
    return EmergencyWords(region.code, region.emergency.text, region.emergency.notes)


def existing_folder(root: Path) -> DataDir:
    root.mkdir(mode=0o700, exist_ok=True)
    return DataDir(root)


def test_every_region_reads_back_as_the_help_lines_have_it(tmp_path: Path) -> None:
    folder = existing_folder(tmp_path / "home")
    assert keep_compiled_lines(folder)
    cached = cached_lines(folder)
    assert cached is not None
    default, lines = cached
    book = load_helplines()
    assert default == book.default_region
    assert set(lines) == set(book.codes())
    for code in book.codes():
        assert emergency_words(code, folder) == true_line(code)
        assert emergency_words(code.lower(), folder) == true_line(code)
    assert emergency_words(None, folder) == true_line(None)
    assert not keep_compiled_lines(folder)  # it holds: not written again


def test_an_unknown_region_is_refused_in_one_line_with_the_cache_in_place(tmp_path: Path) -> None:
    folder = existing_folder(tmp_path / "home")
    keep_compiled_lines(folder)
    with pytest.raises(DeviceCheckError, match="no help lines for region 'XX'"):
        emergency_words("xx", folder)
    with pytest.raises(DeviceCheckError, match="no help lines for region"):
        DeviceCheckApp(data_dir=folder.root, region="xx")


def test_no_cache_is_written_where_there_is_no_data_folder_yet(tmp_path: Path) -> None:
    """Opening the walkthrough on a shared computer must not create a devicecheck folder."""
    folder = DataDir(tmp_path / "never-used")
    assert emergency_words(None, folder) == true_line(None)
    assert not keep_compiled_lines(folder)
    assert not folder.root.exists()


def test_a_protected_folder_keeps_no_plaintext_cache_and_reads_none(tmp_path: Path) -> None:
    plain = existing_folder(tmp_path / "plain")
    keep_compiled_lines(plain)
    protected = existing_folder(tmp_path / "protected")
    (protected.root / "protection.json").write_text("{}")
    assert not keep_compiled_lines(protected)
    assert not cache_path(protected).exists()
    # Even a well-formed plaintext cache planted there is not read: the YAML is.
    cache_path(protected).parent.mkdir(parents=True)
    planted = json.loads(cache_path(plain).read_bytes())
    planted["regions"][planted["default_region"]]["text"] = "Call 000-PLANTED."
    cache_path(protected).write_text(json.dumps(planted))
    assert cached_lines(protected) is None
    assert emergency_words(None, protected) == true_line(None)


def planted_cache(folder: DataDir, document: object) -> None:
    path = cache_path(folder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document))


def test_a_cache_from_another_help_line_file_is_not_trusted(tmp_path: Path) -> None:
    folder = existing_folder(tmp_path / "home")
    keep_compiled_lines(folder)
    document = json.loads(cache_path(folder).read_bytes())
    document["regions"][document["default_region"]]["text"] = "Call 000-PLANTED."
    document["stamp"] = "0.0.1:/elsewhere/helplines.yaml:1:1:1"
    planted_cache(folder, document)
    assert emergency_words(None, folder) == true_line(None)
    assert keep_compiled_lines(folder)  # rebuilt from the shipped file
    assert "PLANTED" not in cache_path(folder).read_text()


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],
        lambda raw: b"",
        lambda raw: b"\xff\xfe not json",
        lambda raw: raw + b" " * (MAX_CACHE_BYTES + 1),
        lambda raw: b"[" * 100_000 + b"]" * 100_000,
    ],
    ids=["cut off", "empty", "not text", "too large", "deeply nested"],
)
def test_a_damaged_cache_gives_the_true_line_and_is_rebuilt(tmp_path: Path, damage) -> None:
    folder = existing_folder(tmp_path / "home")
    keep_compiled_lines(folder)
    path = cache_path(folder)
    path.write_bytes(damage(path.read_bytes()))
    assert cached_lines(folder) is None
    assert emergency_words("GB", folder) == true_line("GB")
    assert keep_compiled_lines(folder)
    assert cached_lines(folder) is not None


def test_a_cache_that_is_a_symbolic_link_is_not_followed(tmp_path: Path) -> None:
    folder = existing_folder(tmp_path / "home")
    keep_compiled_lines(folder)
    elsewhere = tmp_path / "elsewhere.json"
    document = json.loads(cache_path(folder).read_bytes())
    document["regions"][document["default_region"]]["text"] = "Call 000-PLANTED."
    elsewhere.write_text(json.dumps(document))
    cache_path(folder).unlink()
    os.symlink(elsewhere, cache_path(folder))
    assert cached_lines(folder) is None
    assert emergency_words(None, folder) == true_line(None)
    assert not keep_compiled_lines(folder)  # refused to write through the link
    assert "PLANTED" in elsewhere.read_text()


texts = st.text(max_size=20)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)
region_shapes = st.dictionaries(
    st.sampled_from(["GB", "US", "gb", "", "XX"]) | texts,
    st.fixed_dictionaries({"text": json_values, "notes": json_values}) | json_values,
    max_size=4,
)
documents = st.fixed_dictionaries(
    {"default_region": st.sampled_from(["GB", "US", ""]) | json_values, "regions": region_shapes}
) | st.dictionaries(texts, json_values, max_size=4)


@settings(max_examples=150, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=documents, region=st.sampled_from([None, "GB", "us", "AU"]))
def test_fuzzed_caches_with_a_true_stamp_never_raise(tmp_path: Path, document, region) -> None:
    folder = existing_folder(tmp_path / "fuzz")
    if isinstance(document, dict):
        document = {**document, "stamp": helplines_stamp()}
    planted_cache(folder, document)
    line = emergency_words(region, folder)
    assert isinstance(line, EmergencyWords) and line.text.strip()
    assert all(isinstance(note, str) for note in line.notes)
    if cached_lines(folder) is None:
        assert line == true_line(region)
        assert keep_compiled_lines(folder)
        assert emergency_words(region, folder) == true_line(region)


@settings(max_examples=100, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(max_size=400))
def test_fuzzed_bytes_in_the_cache_give_the_true_line(tmp_path: Path, raw: bytes) -> None:
    folder = existing_folder(tmp_path / "bytes")
    cache_path(folder).parent.mkdir(parents=True, exist_ok=True)
    cache_path(folder).write_bytes(raw)
    assert emergency_words(None, folder) == true_line(None)


async def test_the_walkthrough_compiles_the_lines_after_its_first_frame(data_dir: Path) -> None:
    data_dir.mkdir(mode=0o700)
    app = DeviceCheckApp(data_dir=data_dir)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: cache_path(DataDir(data_dir)).exists())
        assert app.emergency == true_line(None)
    assert cached_lines(DataDir(data_dir)) is not None


async def test_the_walkthrough_creates_no_data_folder_by_starting(data_dir: Path) -> None:
    app = DeviceCheckApp(data_dir=data_dir)
    async with app.run_test(size=SIZE) as pilot:
        choices = app.screen.query_one("#choices")
        await wait_for(pilot, lambda: "all areas, about" in str(choices.get_option("alone").prompt))
    assert not data_dir.exists()


FIRST_FRAME = textwrap.dedent(
    """
    import sys
    from devicecheck.tui.app import DeviceCheckApp

    class Timed(DeviceCheckApp):
        def on_ready(self):
            strip = str(self.screen.query_one("SafetyStrip").render())
            print("yaml" in sys.modules, "devicecheck.core.helplines" in sys.modules)
            print(strip)
            self.exit()

    Timed(data_dir=sys.argv[1], region=sys.argv[2]).run(headless=True)
    """
)


@pytest.mark.parametrize("region", ["GB", "US"])
def test_the_first_frame_shows_the_line_without_reading_the_yaml(
    tmp_path: Path, region: str
) -> None:
    """With the cache in place the first frame imports neither PyYAML nor the help-line model,
    and its strip still carries the region's true emergency line and the quick exit."""
    folder = existing_folder(tmp_path / "home")
    script = tmp_path / "first_frame.py"
    script.write_text(FIRST_FRAME)

    def first_frame() -> list[str]:
        result = subprocess.run(
            [sys.executable, str(script), str(folder.root), region],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return result.stdout.splitlines()

    assert first_frame()[0] == "True True"  # no cache yet: read from the YAML
    keep_compiled_lines(folder)
    imported, strip = first_frame()
    assert imported == "False False"
    assert true_line(region).text in strip and "Quick exit: Ctrl+X or F12" in strip
