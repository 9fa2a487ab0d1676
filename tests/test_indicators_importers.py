"""The importers on the real bundled files and on hand-made good and bad files of each format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devicecheck.core.indicators import read_indicator_file
from devicecheck.core.indicators.stix2 import indicator_values, parse_pattern
from devicecheck.core.indicators.store import BUNDLED_DIR, parse_bundled
from devicecheck.errors import InvalidDataError
from tests.conftest import assert_one_line_error, run_cli

LOLRMM_FILES = sorted((BUNDLED_DIR / "lolrmm").glob("*.y*ml"))


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def app_named(indicators, name):
    return next(app for app in indicators.apps if app.name == name)


# --- Echap ---------------------------------------------------------------------------------


def test_bundled_echap_file_reads_with_c2_addresses_from_ip_and_ips():
    indicators = read_indicator_file(BUNDLED_DIR / "echap" / "ioc.yaml", "echap")
    assert len(indicators.apps) == 147
    mobistealth = app_named(indicators, "MobiStealth")  # uses the older `ip:` key
    assert "72.167.46.196" in mobistealth.ips
    assert "einformatiks.com" in mobistealth.domains
    assert "Stealthcell" in mobistealth.aliases
    truthspy = app_named(indicators, "TheTruthSpy")
    assert "com.thetruth" in truthspy.packages
    assert all(c == c.upper() for c in truthspy.certificates)
    assert {app.category for app in indicators.apps} == {"stalkerware"}


def test_echap_types_map_to_categories(tmp_path):
    path = write(
        tmp_path,
        "ioc.yaml",
        "- {name: A, type: stalkerware, c2: {ips: [10.0.0.1]}}\n"
        "- {name: B, type: watchware-parental, websites: [b.example]}\n"
        "- {name: C, type: something-new}\n",
    )
    indicators = read_indicator_file(path)
    assert [a.category for a in indicators.apps] == [
        "stalkerware",
        "parental-control",
        "stalkerware",
    ]
    assert indicators.apps[0].ips == ("10.0.0.1",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("- {name: A, type: stalkerware, c2: {ips: [not-an-ip]}}\n", "app 1 (A): c2.ips[0]"),
        ("- {name: A, type: stalkerware, packages: {a: b}}\n", "app 1 (A): packages"),
        ("- {type: stalkerware}\n", "app 1: name"),
        ("- {name: A, type: stalkerware, c2: [1]}\n", "app 1 (A): c2"),
        ("- {name: A, type: stalkerware}\n- 7\n", "app 2"),
    ],
)
def test_malformed_echap_names_file_and_place(tmp_path, text, expected):
    path = write(tmp_path, "ioc.yaml", text)
    with pytest.raises(InvalidDataError) as raised:
        read_indicator_file(path, "echap")
    assert str(path) in raised.value.message
    assert expected in raised.value.message


def test_broken_yaml_gives_line_and_column(tmp_path):
    path = write(tmp_path, "ioc.yaml", "- name: A\n  type: [unclosed\n")
    with pytest.raises(InvalidDataError, match=r"ioc\.yaml:\d+:\d+: invalid YAML"):
        read_indicator_file(path)


# --- LOLRMM --------------------------------------------------------------------------------


def test_all_bundled_lolrmm_files_import_one_by_one():
    assert len(LOLRMM_FILES) == 319
    names = set()
    for path in LOLRMM_FILES:
        indicators = read_indicator_file(path, "lolrmm")
        assert len(indicators.apps) == 1, path
        app = indicators.apps[0]
        assert app.category == "remote-access"
        names.add(app.name)
    assert "AnyDesk" in names and "TeamViewer" in names


def test_lolrmm_process_names_paths_domains_and_ports():
    anydesk = read_indicator_file(BUNDLED_DIR / "lolrmm" / "anydesk.yaml").apps[0]
    assert "AnyDesk.exe" in anydesk.process_names
    assert "C:\\Program Files\\AnyDesk\\*" in anydesk.exe_paths
    assert "boot.net.anydesk.com" in anydesk.domains
    assert "relay-[a-f0-9]{8}.net.anydesk.com" in anydesk.domains  # the ":443" is dropped
    assert 443 not in anydesk.ports  # client ports say nothing about a listener
    # Bare .exe names in InstallationPaths are process names, not paths.
    absolute = read_indicator_file(BUNDLED_DIR / "lolrmm" / "absolute_(computrace).yaml").apps[0]
    assert "rpcnet.exe" in absolute.process_names
    assert "rpcnet.exe" not in absolute.exe_paths


def test_lolrmm_tolerates_key_variants(tmp_path):
    path = write(
        tmp_path,
        "tool.yaml",
        "Name: Tool\nCategory: RMM\n"
        "InstallationPaths: ['C:\\Tool\\tool.exe']\n"
        "Details:\n  PEMetadata: {Filename: a.exe, OriginalFileName: b.exe}\n"
        "  SupportedOS: [Windows, MacOS, Amiga]\n"
        "Artifacts:\n  Network:\n"
        "    - {Domains: [x.example], Ports: [5938, '6000', '1000-65535']}\n"
        "    - {Domain: y.example, Port: 7000}\n",
    )
    app = read_indicator_file(path).apps[0]
    assert set(app.process_names) == {"tool.exe", "a.exe", "b.exe"}
    assert app.exe_paths == ("C:\\Tool\\tool.exe",)
    assert app.platforms == ("windows", "macos")
    assert app.domains == ("x.example", "y.example")
    assert app.ports == (5938, 6000, 7000)


def test_lolrmm_pe_metadata_as_a_list(tmp_path):
    path = write(
        tmp_path,
        "t.yaml",
        "Name: T\nDetails:\n  PEMetadata:\n    - {Filename: one.exe}\n    - {OriginalFileName: two.exe}\n",
    )
    assert read_indicator_file(path, "lolrmm").apps[0].process_names == ("one.exe", "two.exe")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Name: T\nDetails: [1]\n", "Details"),
        ("Name: T\nDetails: {PEMetadata: [7]}\n", "Details.PEMetadata[0]"),
        ("Name: T\nDetails: {}\nArtifacts: {Network: {a: 1}}\n", "Artifacts.Network"),
        ("Details: {}\nName: ''\n", "Name"),
        ("- a\n", "not a LOLRMM tool file"),
    ],
)
def test_malformed_lolrmm_names_file_and_place(tmp_path, text, expected):
    path = write(tmp_path, "tool.yaml", text)
    with pytest.raises(InvalidDataError) as raised:
        read_indicator_file(path, "lolrmm")
    assert str(path) in raised.value.message and expected in raised.value.message


# --- STIX 2 --------------------------------------------------------------------------------


def values(pattern: str) -> set[tuple[str, str]]:
    return set(indicator_values(parse_pattern(pattern)))


def test_stix_patterns_of_each_supported_kind():
    assert values("[domain-name:value = 'evil.example']") == {("domains", "evil.example")}
    assert values("[ipv4-addr:value='192.0.2.7']") == {("ips", "192.0.2.7")}
    assert values("[ipv6-addr:value = '2001:db8::1']") == {("ips", "2001:db8::1")}
    assert values("[file:name = 'spy.exe']") == {("process_names", "spy.exe")}
    assert values("[process:name = 'spyd']") == {("process_names", "spyd")}
    assert values("[app:id = 'com.spy.app']") == {("packages", "com.spy.app")}
    assert values("[file:hashes.'SHA-256' = 'AB12']") == {("file_hashes", "ab12")}
    assert values("[file:hashes.MD5 = 'CD']") == {("file_hashes", "cd")}
    assert values("[file:hashes.sha1 = 'ef']") == {("file_hashes", "ef")}


def test_stix_or_and_parentheses_qualifiers_and_escapes():
    pattern = (
        "([domain-name:value = 'a.example' OR (ipv4-addr:value = '192.0.2.1' AND "
        "file:name = 'it\\'s.exe')] FOLLOWEDBY [url:value = 'http://x']) WITHIN 300 SECONDS"
    )
    assert values(pattern) == {
        ("domains", "a.example"),
        ("ips", "192.0.2.1"),
        ("process_names", "it's.exe"),
    }
    assert values("[domain-name:value IN ('a.example', 'b.example')]") == {
        ("domains", "a.example"),
        ("domains", "b.example"),
    }
    # Negations, other operators, ranges wider than one address and other objects are left out.
    assert values("[domain-name:value != 'x.example' OR domain-name:value NOT = 'y']") == set()
    assert values("[ipv4-addr:value = '198.51.100.0/24']") == set()
    assert values("[ipv4-addr:value = '198.51.100.9/32']") == {("ips", "198.51.100.9")}
    assert values("[email-addr:value = 'a@b.example']") == set()


@pytest.mark.parametrize(
    "pattern",
    [
        "",
        "domain-name:value = 'x'",
        "[domain-name:value = 'x'",
        "[domain-name:value 'x']",
        "[domain-name:value = 'x'] OR",
        "[domain-name:value = 'x' OR]",
        "[domain-name:value = 'x']]",
        "[x = 'y']",
        "[" * 200,
    ],
)
def test_malformed_stix_patterns_are_invalid_data(pattern):
    with pytest.raises(InvalidDataError):
        parse_pattern(pattern)


def stix_bundle(objects: list[dict]) -> dict:
    return {"type": "bundle", "id": "bundle--1", "objects": objects}


def test_stix_bundle_groups_by_indicated_malware(tmp_path):
    objects = [
        {"type": "malware", "id": "malware--1", "name": "FlexiSpy", "is_family": False},
        {"type": "tool", "id": "tool--1", "name": "SomeRAT"},
        {
            "type": "indicator",
            "id": "indicator--1",
            "pattern": "[domain-name:value = 'a.example' OR app:id = 'com.a']",
            "pattern_type": "stix",
        },
        {"type": "indicator", "id": "indicator--2", "pattern": "[ipv4-addr:value = '192.0.2.9']"},
        {"type": "indicator", "id": "indicator--3", "pattern": "[process:name = 'rat']"},
        {
            "type": "indicator",
            "id": "indicator--4",
            "name": "Loose",
            "pattern": "[file:name='l.exe']",
        },
        {"type": "indicator", "id": "indicator--5", "pattern": "rule x {}", "pattern_type": "yara"},
    ]
    for number, target in ((1, "malware--1"), (2, "malware--1"), (3, "tool--1")):
        objects.append(
            {
                "type": "relationship",
                "id": f"relationship--{number}",
                "relationship_type": "indicates",
                "source_ref": f"indicator--{number}",
                "target_ref": target,
            }
        )
    path = tmp_path / "mvt.stix2"
    path.write_text(json.dumps(stix_bundle(objects)), encoding="utf-8")
    indicators = read_indicator_file(path)
    flexispy = app_named(indicators, "FlexiSpy")
    assert flexispy.domains == ("a.example",) and flexispy.packages == ("com.a",)
    assert flexispy.ips == ("192.0.2.9",)
    assert flexispy.category == "spyware"
    assert app_named(indicators, "SomeRAT").category == "remote-access"
    assert app_named(indicators, "Loose").process_names == ("l.exe",)
    assert len(indicators.apps) == 3


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({"type": "bundle", "objects": {}}, "objects"),
        ({"type": "bundle", "objects": [1]}, "objects[0]"),
        (
            {
                "type": "bundle",
                "objects": [{"type": "indicator", "id": "indicator--9", "pattern": "[x"}],
            },
            "indicator indicator--9",
        ),
        (
            {"type": "bundle", "objects": [{"type": "indicator", "id": "i", "pattern": 5}]},
            "'pattern' must be text",
        ),
    ],
)
def test_malformed_stix_bundles_name_file_and_place(tmp_path, document, expected):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InvalidDataError) as raised:
        read_indicator_file(path)
    assert str(path) in raised.value.message and expected in raised.value.message


def test_broken_json_gives_line_and_column(tmp_path):
    path = write(tmp_path, "bundle.json", '{"type": "bundle",\n "objects": [}')
    with pytest.raises(InvalidDataError, match=r"bundle\.json:2:\d+: invalid JSON"):
        read_indicator_file(path)


# --- curated and detection -----------------------------------------------------------------


def test_bundled_sets_all_parse_with_provenance():
    indicators = parse_bundled()
    by_id = {source.id: source for source in indicators.sources}
    assert set(by_id) == {"curated", "echap", "lolrmm"}
    assert by_id["echap"].licence == "CC BY 4.0"
    assert "Echap, stalkerware-indicators" in by_id["echap"].attribution
    assert by_id["lolrmm"].licence == "Apache-2.0"
    assert len(by_id["echap"].version) == 40 and len(by_id["lolrmm"].version) == 40
    curated = [app for app in indicators.apps if app.source == "curated"]
    assert curated and all(app.references for app in curated)
    assert len({app.id for app in indicators.apps}) == len(indicators.apps)


def test_curated_rejects_unknown_category(tmp_path):
    path = write(
        tmp_path,
        "c.yaml",
        "source: {id: curated, name: x}\napps:\n  - {id: a, name: A, category: adware}\n",
    )
    with pytest.raises(InvalidDataError, match="app 1 \\(A\\): category 'adware'"):
        read_indicator_file(path)


def test_unknown_format_and_missing_file(tmp_path):
    with pytest.raises(InvalidDataError, match="not a known indicator format"):
        read_indicator_file(write(tmp_path, "x.yaml", "just: text\n"))
    with pytest.raises(InvalidDataError, match="no such file"):
        read_indicator_file(tmp_path / "missing.yaml")
    with pytest.raises(InvalidDataError, match="unknown indicator format"):
        read_indicator_file(write(tmp_path, "y.yaml", "[]"), "csv")
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(InvalidDataError, match="not UTF-8"):
        read_indicator_file(binary)


def test_cli_import_of_bad_file_is_one_line(tmp_path, data_dir):
    bad = write(tmp_path, "ioc.yaml", "- {name: A, type: stalkerware, c2: {ips: [nope]}}\n")
    result = run_cli("indicators", "import", str(bad), data_dir=data_dir)
    assert_one_line_error(result, 1)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "ioc.yaml" in result.stderr and "c2.ips" in result.stderr
    assert not (data_dir / "indicators" / "imported").exists()
