"""Indicator files: devices and FIFOs refused, bytes capped, JSON first, Echap's MISP and
TinyCheck files, what an import can use here, STIX platforms, YAML anchors refused."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from devicecheck.core.indicators.common import read_bytes
from devicecheck.core.indicators.formats import read_indicator_file
from devicecheck.core.indicators.usable import usability
from devicecheck.errors import DeviceCheckError, InvalidDataError
from tests.conftest import assert_one_line_error, run_cli
from tests.echap_samples import app_domains, bundled_apps, misp_event, tinycheck_list, write_json


def stix_bundle(*objects: dict) -> dict:
    return {"type": "bundle", "id": "bundle--1", "objects": list(objects)}


def indicator(number: int, pattern: str, **extra) -> dict:
    return {
        "type": "indicator",
        "id": f"indicator--{number}",
        "pattern": pattern,
        "pattern_type": "stix",
        **extra,
    }


def malware(number: int, name: str, **extra) -> dict:
    return {"type": "malware", "id": f"malware--{number}", "name": name, **extra}


def indicates(number: int, source: str, target: str) -> dict:
    return {
        "type": "relationship",
        "id": f"relationship--{number}",
        "relationship_type": "indicates",
        "source_ref": source,
        "target_ref": target,
    }


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/urandom"])
def test_import_of_a_device_is_one_line_exit_2_and_fast(data_dir, path):
    started = time.monotonic()
    result = run_cli("indicators", "import", path, data_dir=data_dir, timeout=30)
    assert_one_line_error(result, 2)
    assert "not a regular file" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert time.monotonic() - started < 30


def test_import_and_scan_of_a_fifo_do_not_hang(tmp_path, data_dir):
    fifo = tmp_path / "ioc.yaml"
    os.mkfifo(fifo)
    for command in (("indicators", "import", str(fifo)), ("scan", "--indicators", str(fifo))):
        result = run_cli(*command, data_dir=data_dir, timeout=30)  # a hang fails here
        assert_one_line_error(result, 2)
        assert "not a regular file" in result.stderr


def test_the_cap_counts_bytes_read_not_the_size_the_file_reports():
    maps = Path("/proc/self/maps")  # a regular file that reports size 0
    assert maps.stat().st_size == 0
    assert read_bytes(maps)  # read whole, though it "has no size"
    with pytest.raises(InvalidDataError, match="larger than 64 bytes"):
        read_bytes(maps, limit=64)


def test_device_refusal_is_the_projects_own_error():
    with pytest.raises(DeviceCheckError, match="not a regular file"):
        read_bytes(Path("/dev/null"))


@pytest.mark.parametrize("name", ["bundle.stix2", "bundle.json", "bundle.txt"])
def test_stix_is_read_as_json_whatever_the_name_says(tmp_path, name):
    path = tmp_path / name
    bundle = stix_bundle(indicator(1, "[domain-name:value = 'spy.example']", name="Spy"))
    path.write_text(json.dumps(bundle))
    indicators = read_indicator_file(path)
    assert indicators.apps[0].domains == ("spy.example",)


def test_echap_misp_event_sample_imports_with_what_is_usable(tmp_path, data_dir):
    event = misp_event(3)
    domains = {d for entry in bundled_apps(3) for d in app_domains(entry)}
    path = write_json(tmp_path / "misp_event.json", event)
    result = run_cli("indicators", "import", str(path), "--json", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["format"] == "misp" and report["apps"] == 3
    usable = report["usable"]
    assert usable["this_computer"] == {"domains": len(domains)}
    assert usable["phone"]["packages"] > 0
    assert set(usable["not_used"]) == {"certificates", "file_hashes"}
    assert (
        f"This computer's scan can use: {len(domains)} domains (browser history and the hosts file)"
        in result.stderr
    )
    assert "A phone check can use:" in result.stderr
    info = json.loads(run_cli("indicators", "info", "--json", data_dir=data_dir).stdout)
    (imported,) = [s for s in info["sources"] if s["kind"] == "imported"]
    assert imported["counts"]["apps"] == 3
    # The event names Echap's repository as its source: CC BY 4.0 and its attribution follow.
    assert imported["licence"] == "CC BY 4.0" and "Echap" in imported["attribution"]


def test_echap_tinycheck_sample_imports(tmp_path):
    document = tinycheck_list(domains=12, ips=4)
    indicators = read_indicator_file(write_json(tmp_path / "tinycheck.json", document))
    (app,) = indicators.apps
    assert app.name == "stalkerware (TinyCheck list)" and app.category == "stalkerware"
    written = [i["value"] for i in document["iocs"] if i["type"] == "domain"]
    assert len(written) == 12 and set(app.domains) == set(written)
    assert len(app.ips) == 4


def test_misp_platform_and_values_in_echaps_format(tmp_path):
    path = write_json(tmp_path / "misp_event.json", misp_event(3))
    indicators = read_indicator_file(path)
    first = bundled_apps(1)[0]
    app = next(app for app in indicators.apps if app.name == first["name"])
    assert app.platforms == ("android",)
    assert app.packages == tuple(first["packages"][:4])
    assert app.certificates and all(c == c.upper() and len(c) == 40 for c in app.certificates)
    assert all(h == h.lower() and len(h) == 64 for h in app.file_hashes)


def test_a_file_no_check_can_use_is_refused_by_import(tmp_path, data_dir):
    path = tmp_path / "hashes.json"
    path.write_text(json.dumps(stix_bundle(indicator(1, "[file:hashes.'SHA-256' = 'ab12']"))))
    result = run_cli("indicators", "import", str(path), data_dir=data_dir)
    assert_one_line_error(result, 1)
    assert "holds no indicators any devicecheck check can use" in result.stderr
    assert "(it holds only 1 file hash)" in result.stderr
    assert not (data_dir / "indicators" / "imported").exists() or not list(
        (data_dir / "indicators" / "imported").iterdir()
    )


def test_scan_indicators_refuses_a_file_this_computer_cannot_use(tmp_path, data_dir):
    path = tmp_path / "phone-only.yaml"
    path.write_text("- {name: PhoneSpy, type: stalkerware, packages: [com.phone.spy]}\n")
    result = run_cli("scan", "--indicators", str(path), data_dir=data_dir)
    assert_one_line_error(result, 2)  # the scan keeps exit 1 for "something found"
    assert "holds no indicators this computer's scan can use" in result.stderr
    assert "(it holds only 1 Android package name)" in result.stderr
    imported = run_cli("indicators", "import", str(path), data_dir=data_dir)
    assert imported.returncode == 0, imported.stderr  # a phone check can use it
    assert "This computer's scan can use none of them." in imported.stderr


def test_stix_platforms_from_mitre_field_labels_and_mvt_convention(tmp_path):
    bundle = stix_bundle(
        malware(1, "DesktopSpy", x_mitre_platforms=["Windows", "macOS"]),
        indicator(10, "[process:name = 'dspy.exe']"),
        indicates(11, "indicator--10", "malware--1"),
        indicator(20, "[process:name = 'lbl']", name="Labelled", labels=["platform:ios"]),
        indicator(30, "[process:name = 'payload']", name="Pegasus"),
        indicator(31, "[domain-name:value = 'pegasus.example']", name="Pegasus"),
    )
    path = tmp_path / "b.stix2"
    path.write_text(json.dumps(bundle))
    apps = {(a.name, a.platforms): a for a in read_indicator_file(path).apps}
    assert apps[("DesktopSpy", ("macos", "windows"))].process_names == ("dspy.exe",)
    assert apps[("Labelled", ("ios",))].process_names == ("lbl",)
    assert apps[("Pegasus", ("android", "ios"))].process_names == ("payload",)
    assert apps[("Pegasus", ())].domains == ("pegasus.example",)
    counts = usability(read_indicator_file(path), "linux")
    assert counts.other_platforms == {"process_names": 3} and counts.here == {"domains": 1}


def test_an_ios_process_name_from_a_stix_bundle_does_not_match_a_linux_process(tmp_path, data_dir):
    """A real program called `payload` runs; a Pegasus-style bundle names `payload`."""
    bundle = stix_bundle(
        malware(1, "Pegasus"),
        indicator(2, "[process:name = 'payload']"),
        indicates(3, "indicator--2", "malware--1"),
        indicator(4, "[domain-name:value = 'pegasus-only.example']"),
        indicates(5, "indicator--4", "malware--1"),
    )
    path = tmp_path / "pegasus.stix2"
    path.write_text(json.dumps(bundle))
    program = tmp_path / "payload"
    shutil.copy("/bin/sleep", program)
    process = subprocess.Popen([str(program), "60"])
    try:
        time.sleep(0.2)
        result = run_cli("scan", "--json", "--indicators", str(path), data_dir=data_dir)
    finally:
        process.kill()
        process.wait()
    report = json.loads(result.stdout)
    assert not [f for f in report["findings"] if f["app"] == "Pegasus"]


def test_yaml_alias_bomb_is_refused_fast(tmp_path, data_dir):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for number in range(1, 10):
        previous = f"*a{number - 1}"
        lines.append(f"a{number}: &a{number} [{', '.join([previous] * 9)}]")
    text = "\n".join(lines) + "\n"
    text += "# " + "x" * (1024 * 1024 - len(text)) + "\n"  # a 1 MB file
    path = tmp_path / "bomb.yaml"
    path.write_text(text)
    started = time.monotonic()
    result = run_cli("indicators", "import", str(path), data_dir=data_dir, timeout=60)
    assert_one_line_error(result, 1)
    assert "anchors and aliases" in result.stderr and "bomb.yaml:1:5" in result.stderr
    assert time.monotonic() - started < 60


def test_quoted_stars_and_ampersands_are_not_taken_for_aliases(tmp_path):
    path = tmp_path / "ioc.yaml"
    path.write_text(
        "- name: Tom & Jerry\n  type: stalkerware\n  websites: ['*.spy.example', 'a&b.example']\n"
    )
    assert read_indicator_file(path).apps[0].domains == ("*.spy.example", "a&b.example")


def test_twenty_thousand_copies_of_one_app_parse_in_linear_time(tmp_path):
    path = tmp_path / "copies.yaml"
    path.write_text("- {name: Same, type: stalkerware, websites: [same.example]}\n" * 20_000)
    result: list = []
    worker = threading.Thread(target=lambda: result.append(read_indicator_file(path)))
    worker.start()
    worker.join(timeout=60)  # quadratic id numbering took 28 s; a hang fails here
    assert result and len(result[0].apps) == 20_000
    assert result[0].apps[-1].id.endswith("same-20000")


def test_more_apps_than_the_cap_are_refused(tmp_path):
    path = tmp_path / "many.json"
    path.write_text(json.dumps([{"name": f"A{i}", "type": "stalkerware"} for i in range(50_001)]))
    with pytest.raises(InvalidDataError, match="more than the 50000"):
        read_indicator_file(path, "echap")
