"""Hypothesis: every importer and the STIX pattern parser only ever raise InvalidDataError."""

from __future__ import annotations

import contextlib
import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devicecheck.core.indicators import FORMATS, read_indicator_file
from devicecheck.core.indicators.formats import parse_bytes
from devicecheck.core.indicators.stix2 import indicator_values, parse_pattern
from devicecheck.core.indicators.store import decode_cache
from devicecheck.errors import InvalidDataError

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
)
KEYS = [
    "name", "names", "type", "packages", "certificates", "websites", "c2", "ips", "ip",
    "domains", "Name", "Details", "Artifacts", "PEMetadata", "InstallationPaths", "Network",
    "Domains", "Ports", "Filename", "SupportedOS", "apps", "source", "id", "category",
    "platforms", "process_names", "objects", "pattern", "relationship_type", "source_ref",
    "target_ref", "Event", "Object", "Attribute", "object_relation", "value", "info", "uuid",
    "iocs", "tag", "x_mitre_platforms", "labels", "indicator_types",
]  # fmt: skip
keys = st.sampled_from(KEYS) | st.text(max_size=8)
structures = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
documents = (
    structures
    | st.lists(st.dictionaries(keys, structures, max_size=6), max_size=3)
    | st.fixed_dictionaries(
        {"type": st.just("bundle"), "objects": st.lists(structures, max_size=3)}
    )
    | st.fixed_dictionaries({"source": structures, "apps": st.lists(structures, max_size=3)})
    | st.fixed_dictionaries({"Name": scalars, "Details": structures, "Artifacts": structures})
    | st.fixed_dictionaries(
        {"info": scalars, "Attribute": structures, "Object": st.lists(structures, max_size=3)}
    )
    | st.fixed_dictionaries({"iocs": st.lists(st.dictionaries(keys, scalars), max_size=4)})
)
formats = st.none() | st.sampled_from(FORMATS)


def parse(data: bytes, format: str | None, json_first: bool = False) -> None:
    try:
        indicators, _ = parse_bytes(
            data, "fuzz", format, source_id="fuzz", kind="file", json_first=json_first
        )
    except InvalidDataError:
        return
    assert all(app.source == "fuzz" for app in indicators.apps)
    indicators.index  # noqa: B018 - building the index must not fail either


@FUZZ
@given(documents, formats)
def test_structures_as_yaml(document, format):
    parse(yaml.safe_dump(document, allow_unicode=True).encode("utf-8"), format)


@FUZZ
@given(documents, formats)
def test_structures_as_json(document, format):
    parse(json.dumps(document).encode("utf-8"), format, json_first=True)


@FUZZ
@given(st.binary(max_size=200) | st.text(max_size=200).map(str.encode), formats, st.booleans())
def test_arbitrary_bytes_and_text(data, format, json_first):
    parse(data, format, json_first)


pattern_pieces = st.sampled_from(
    [
        "[", "]", "(", ")", " OR ", " AND ", " FOLLOWEDBY ", "domain-name:value", "ipv4-addr:value",
        "file:hashes.'SHA-256'", "app:id", " = ", " != ", " IN ", " NOT ", "'a.example'",
        "'192.0.2.1'", "'\\''", ",", " WITHIN 5 SECONDS", " REPEATS 2 TIMES", "t'2020'", "5",
    ]
)  # fmt: skip


@FUZZ
@given(st.lists(pattern_pieces, max_size=16).map("".join) | st.text(max_size=60))
def test_stix_pattern_parser(pattern):
    try:
        comparisons = parse_pattern(pattern)
    except InvalidDataError:
        return
    for target, value in indicator_values(comparisons):
        assert target in ("domains", "ips", "process_names", "file_hashes", "packages")
        assert isinstance(value, str) and value


@FUZZ
@given(documents | st.text(max_size=100))
def test_compiled_cache_reader(document):
    data = (document if isinstance(document, str) else json.dumps(document)).encode()
    with contextlib.suppress(InvalidDataError):
        decode_cache(data, "key")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=300), formats)
def test_read_indicator_file_on_arbitrary_files(data, format):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"
        path.write_bytes(data)
        with contextlib.suppress(InvalidDataError):
            read_indicator_file(path, format)
