"""Matching that fits the platform, tried with real running programs planted under each name."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.model import (
    AppIndicator,
    IndicatorSet,
    compile_name_pattern,
)
from devicecheck.core.scan import AutostartRoots, run_scan
from devicecheck.core.scan.matching import Matcher, windows_paths
from tests.indicator_sets import TEST_SOURCE as SOURCE

SLEEP = shutil.which("sleep") or "/bin/sleep"


def indicators(*apps: AppIndicator) -> IndicatorSet:
    return IndicatorSet((SOURCE,), apps)


def app(slug: str, category: str = "remote-access", **fields) -> AppIndicator:
    return AppIndicator(f"test:{slug}", slug.title(), category, "test", **fields)


@contextmanager
def planted(folder: Path, name: str, argv0: str | None = None) -> Iterator[subprocess.Popen]:
    """A real process: a copy of sleep under `name` (argv[0] may be set, as Wine sets it)."""
    folder.mkdir(parents=True, exist_ok=True)
    program = folder / name
    shutil.copy2(SLEEP, program)
    process = subprocess.Popen([argv0 or str(program), "60"], executable=str(program))
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def scan(tmp_path: Path, indicator_set: IndicatorSet, platform: str = "linux"):
    empty = tmp_path / "no-autostart"
    empty.mkdir(exist_ok=True)
    return run_scan(
        indicator_set,
        platform=platform,
        autostart_roots=AutostartRoots(empty, empty),
        home=tmp_path,
        checks=[],
    )


def findings_for(result, process: subprocess.Popen):
    return [f for f in result.findings if f.process is not None and f.process.pid == process.pid]


def bundled(tmp_path: Path) -> IndicatorSet:
    return load_indicators(DataDir(tmp_path / "data"))


def test_zerotier_and_zabbix_are_found_as_lolrmm_tools_by_their_name_patterns(tmp_path):
    bundled_set = bundled(tmp_path)
    with (
        planted(tmp_path / "a", "zerotier-one") as zerotier,
        planted(tmp_path / "b", "zabbix_agentd") as zabbix,
    ):
        result = scan(tmp_path, bundled_set)

    [found_zerotier] = findings_for(result, zerotier)
    [found_zabbix] = findings_for(result, zabbix)
    assert (found_zerotier.app, found_zerotier.source["id"]) == ("ZeroTier", "lolrmm")
    assert found_zerotier.matched.indicator == "zerotier*.exe"
    assert found_zabbix.source["id"] == "lolrmm" and "Zabbix" in found_zabbix.app
    assert found_zabbix.matched.indicator == "zabbix_agent*.exe"


def test_kitty_and_dd_are_not_remote_access_tools(tmp_path):
    bundled_set = bundled(tmp_path)
    with (
        planted(tmp_path / "a", "kitty") as kitty,
        planted(tmp_path / "b", "dd") as dd,
        planted(tmp_path / "c", "syncthing") as syncthing,
    ):
        result = scan(tmp_path, bundled_set)

    assert findings_for(result, kitty) == []
    assert findings_for(result, dd) == []
    assert findings_for(result, syncthing) == []


def test_a_windows_only_name_meets_a_bare_name_only_where_the_product_runs(tmp_path):
    windows_only = app("winonly", platforms=("windows",), process_names=("winonly-agent.exe",))
    everywhere = app(
        "everywhere", platforms=("windows", "linux"), process_names=("anyos-agent.exe",)
    )
    unstated = app("unstated", process_names=("unstated-agent.exe",))
    indicator_set = indicators(windows_only, everywhere, unstated)
    with (
        planted(tmp_path / "a", "winonly-agent") as bare_windows,
        planted(tmp_path / "b", "winonly-agent.exe") as under_wine,
        planted(tmp_path / "c", "anyos-agent") as bare_linux,
        planted(tmp_path / "d", "unstated-agent") as bare_unstated,
    ):
        result = scan(tmp_path, indicator_set)

    assert findings_for(result, bare_windows) == []
    assert [f.app for f in findings_for(result, under_wine)] == ["Winonly"]
    assert [f.app for f in findings_for(result, bare_linux)] == ["Everywhere"]
    assert [f.app for f in findings_for(result, bare_unstated)] == ["Unstated"]


def test_an_ios_process_name_from_a_stix_bundle_never_matches_a_linux_process(tmp_path):
    pegasus = app("pegasus", "spyware", platforms=("ios",), process_names=("payload",))
    with planted(tmp_path / "a", "payload") as payload:
        result = scan(tmp_path, indicators(pegasus))
        on_an_iphone = Matcher(indicators(pegasus), "ios").names("payload")

    assert findings_for(result, payload) == []
    assert [m.match.indicator for m in on_an_iphone] == ["payload"]


def test_a_windows_path_in_argv_and_a_wine_prefix_are_matched_as_windows_paths(tmp_path):
    acme = app("acme", exe_paths=(r"C:\Program Files\Acme Remote\*",))
    wine_folder = tmp_path / ".wine" / "drive_c" / "Program Files" / "Acme Remote"
    with (
        planted(
            tmp_path / "a", "runner", argv0=r"C:\Program Files\Acme Remote\acme.exe"
        ) as by_argv,
        planted(wine_folder, "acme-helper.exe") as in_prefix,
    ):
        result = scan(tmp_path, indicators(acme))

    [argv_finding] = findings_for(result, by_argv)
    [prefix_finding] = findings_for(result, in_prefix)
    assert argv_finding.matched.field == "exe_paths"
    assert argv_finding.matched.value == r"C:\Program Files\Acme Remote\acme.exe"
    assert prefix_finding.matched.field == "exe_paths"
    assert prefix_finding.matched.value == "C:/Program Files/Acme Remote/acme-helper.exe"


def test_a_path_pattern_that_is_only_a_file_name_does_not_raise_confidence(tmp_path):
    named_twice = app(
        "snoopdesk", process_names=("snoopdesk.exe",), exe_paths=(r"*\snoopdesk.exe",)
    )
    with planted(tmp_path / "anywhere", "snoopdesk.exe") as process:
        result = scan(tmp_path, indicators(named_twice))

    [finding] = findings_for(result, process)
    assert finding.confidence == "medium"  # a name, however many times it is written
    assert {finding.matched.field} | {
        m["field"] for m in finding.detail.get("also_matched", ())
    } == {"process_names"}


def test_one_program_matching_several_products_is_one_finding_listing_them_all(tmp_path):
    keylogger = app("keysnoop", "keylogger", process_names=("keysnoop-svc",))
    remote = app("remotesnoop", process_names=("keysnoop-svc",))
    with planted(tmp_path / "a", "keysnoop-svc") as process:
        result = scan(tmp_path, indicators(remote, keylogger))

    [finding] = findings_for(result, process)
    assert finding.app == "Keysnoop" and finding.severity == "high"
    assert [other["app"] for other in finding.detail["other_products"]] == ["Remotesnoop"]


def test_a_viewer_gets_client_advice_and_a_server_gets_way_in_advice(tmp_path):
    vnc = app("somevnc", process_names=("vncviewer", "x11vnc"))
    with (
        planted(tmp_path / "a", "vncviewer") as viewer,
        planted(tmp_path / "b", "x11vnc") as server,
    ):
        result = scan(tmp_path, indicators(vnc))

    [client] = findings_for(result, viewer)
    [serving] = findings_for(result, server)
    assert "connecting from this computer to another" in client.advice
    assert "does not let anyone into this computer" in client.advice
    assert "see and control this computer from elsewhere" in serving.advice
    assert "see and control this computer" not in client.advice


def test_a_us_scan_names_us_help_and_no_uk_number(tmp_path):
    spy = app("spysnoop", "stalkerware", process_names=("spysnoop-agent",))
    with planted(tmp_path / "a", "spysnoop-agent") as process:
        empty = tmp_path / "none"
        empty.mkdir()
        result = run_scan(
            indicators(spy),
            platform="linux",
            region="US",
            autostart_roots=AutostartRoots(empty, empty),
            checks=[],
        )

    [finding] = findings_for(result, process)
    assert "800-799" in finding.advice
    assert "0808" not in finding.advice and "UK" not in finding.advice


@given(st.text(max_size=80))
def test_windows_paths_of_any_text_never_raise(text):
    for path in windows_paths(text, text.replace("/", "\\")):
        assert path[:1].isalpha() or path.startswith("C:/")


@given(st.text(alphabet="ab*?[]!-^\\.exe", max_size=20), st.text(max_size=20))
def test_any_name_glob_compiles_and_matches_without_raising(pattern, name):
    compile_name_pattern(pattern).match(name)


def stix_bundle(process_name: str, platforms: list[str] | None) -> dict:
    """A minimal MVT-style bundle: one malware, one process-name indicator and one domain."""
    malware = {
        "type": "malware",
        "id": "malware--0b5f8f4e-0d0f-4c5e-9d8e-000000000001",
        "name": "Snoopware",
        "is_family": True,
    }
    if platforms is not None:
        malware["x_mitre_platforms"] = platforms
    indicators = [
        {
            "type": "indicator",
            "id": f"indicator--0b5f8f4e-0d0f-4c5e-9d8e-00000000001{n}",
            "pattern_type": "stix",
            "pattern": pattern,
            "valid_from": "2026-01-01T00:00:00Z",
        }
        for n, pattern in enumerate(
            (f"[process:name = '{process_name}']", "[domain-name:value = 'snoop.example']")
        )
    ]
    relations = [
        {
            "type": "relationship",
            "id": f"relationship--0b5f8f4e-0d0f-4c5e-9d8e-00000000002{n}",
            "relationship_type": "indicates",
            "source_ref": item["id"],
            "target_ref": malware["id"],
        }
        for n, item in enumerate(indicators)
    ]
    return {
        "type": "bundle",
        "id": "bundle--0b5f8f4e-0d0f-4c5e-9d8e-000000000003",
        "objects": [malware, *indicators, *relations],
    }


def test_a_stix_process_name_matches_only_on_the_platform_the_bundle_states(tmp_path):
    import json

    from tests.conftest import run_cli

    phone_bundle = tmp_path / "phone.stix2"  # no platform: MVT's convention, a phone process
    phone_bundle.write_text(json.dumps(stix_bundle("payload", None)))
    linux_bundle = tmp_path / "linux.stix2"
    linux_bundle.write_text(json.dumps(stix_bundle("snoopd", ["Linux"])))
    with (
        planted(tmp_path / "a", "payload") as payload,
        planted(tmp_path / "b", "snoopd") as snoopd,
    ):
        result = run_cli(
            "scan",
            "--json",
            "--indicators",
            str(phone_bundle),
            str(linux_bundle),
            data_dir=tmp_path / "data",
        )
    document = json.loads(result.stdout)

    assert "Traceback" not in result.stderr
    found = {f["process"]["pid"] for f in document["findings"] if f["process"]}
    assert payload.pid not in found  # an iOS/Android process name, not this Linux program
    assert snoopd.pid in found  # the bundle says Linux


@given(
    st.lists(st.text(max_size=24), max_size=4),
    st.lists(st.text(max_size=30), max_size=3),
    st.lists(st.sampled_from(["windows", "macos", "linux", "ios", "android"]), max_size=2),
    st.text(max_size=30),
    st.sampled_from(["linux", "darwin", "win32", "freebsd"]),
)
def test_matching_any_imported_names_and_paths_never_raises(names, paths, platforms, seen, where):
    """Names and path patterns come from files a person imports: odd ones must not break a scan."""
    indicator_set = indicators(
        app("fuzz", process_names=tuple(names), exe_paths=tuple(paths), platforms=tuple(platforms))
    )
    matcher = Matcher(indicator_set, where)

    for found in (
        *matcher.names(seen, seen + ".exe"),
        *matcher.path(seen),
        *matcher.path("C:/" + seen),
    ):
        assert found.match.field in {"process_names", "exe_paths"}
