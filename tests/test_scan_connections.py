"""The connection check against real sockets on 127.0.0.x, and a STIX 2 file through the CLI."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.core.indicators.model import AppIndicator
from devicecheck.core.scan import AutostartRoots, run_scan
from devicecheck.core.scan.connections import (
    AddressBook,
    ObservedConnection,
    check_connections,
    normalise_ip,
)
from devicecheck.core.scan.matching import Matcher
from tests.conftest import run_cli
from tests.indicator_sets import indicator_set

SPY_ADDRESS = "127.0.0.23"


@pytest.fixture
def connection() -> Iterator[tuple[socket.socket, socket.socket, int]]:
    """A real listener on 127.0.0.23 and a real connection to it from this process."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((SPY_ADDRESS, 0))
    listener.listen()
    port = listener.getsockname()[1]
    client = socket.create_connection((SPY_ADDRESS, port), timeout=10)
    accepted, _ = listener.accept()
    yield listener, client, port
    for sock in (client, accepted, listener):
        sock.close()


@pytest.fixture
def empty_roots(tmp_path: Path) -> AutostartRoots:
    (tmp_path / "home").mkdir()
    (tmp_path / "root").mkdir()
    return AutostartRoots(tmp_path / "home", tmp_path / "root")


def stix_bundle(path: Path, address: str) -> Path:
    bundle = {
        "type": "bundle",
        "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
        "objects": [
            {
                "type": "malware",
                "spec_version": "2.1",
                "id": "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc",
                "created": "2026-11-01T00:00:00.000Z",
                "modified": "2026-11-01T00:00:00.000Z",
                "name": "TestStalker",
                "is_family": True,
                "malware_types": ["spyware", "stalkerware"],
            },
            {
                "type": "indicator",
                "spec_version": "2.1",
                "id": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "created": "2026-11-01T00:00:00.000Z",
                "modified": "2026-11-01T00:00:00.000Z",
                "name": "TestStalker upload server",
                "indicator_types": ["malicious-activity"],
                "pattern": f"[ipv4-addr:value = '{address}']",
                "pattern_type": "stix",
                "valid_from": "2026-11-01T00:00:00Z",
            },
            {
                "type": "relationship",
                "spec_version": "2.1",
                "id": "relationship--44298a74-ba52-4f0c-87a3-1824e67d7fad",
                "created": "2026-11-01T00:00:00.000Z",
                "modified": "2026-11-01T00:00:00.000Z",
                "relationship_type": "indicates",
                "source_ref": "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                "target_ref": "malware--31b940d4-6f7f-459a-80ea-9c1f17b58abc",
            },
        ],
    }
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return path


def test_a_connection_to_an_address_in_a_stix_file_is_found_through_the_cli(
    connection, data_dir, tmp_path
):
    port = connection[2]
    bundle = stix_bundle(tmp_path / "teststalker.stix2.json", SPY_ADDRESS)

    result = run_cli("scan", "--json", "--indicators", str(bundle), data_dir=data_dir)

    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    found = [
        f
        for f in document["findings"]
        if f["kind"] == "connection" and f["matched"]["value"] == SPY_ADDRESS
    ]
    assert found, document["findings"]
    finding = next(f for f in found if f["process"]["pid"] == os.getpid())
    assert finding["app"] == "TestStalker"
    assert finding["matched"] == {
        "indicator": SPY_ADDRESS,
        "field": "ips",
        "value": SPY_ADDRESS,
    }
    assert finding["detail"]["remote"] == f"{SPY_ADDRESS}:{port}"
    assert finding["confidence"] == "medium"
    assert finding["process"]["exe_sha256"]
    assert finding["source"]["id"].startswith("file-")
    assert any(source["id"] == finding["source"]["id"] for source in document["indicators"])


def test_a_connection_finding_through_run_scan(connection, empty_roots):
    indicators = indicator_set(
        AppIndicator("test:spy", "Spy", "spyware", "test", ips=(SPY_ADDRESS,))
    )

    result = run_scan(indicators, autostart_roots=empty_roots)

    mine = [f for f in result.findings if f.process and f.process.pid == os.getpid()]
    assert [f.kind for f in mine] == ["connection"]
    assert mine[0].process.cmdline
    assert result.examined["connections"] >= 2


def test_a_listener_on_a_remote_access_port_is_low_confidence(connection, empty_roots):
    _, _, port = connection
    indicators = indicator_set(
        AppIndicator("test:rat", "Remote Tool", "remote-access", "test", ports=(port,))
    )

    result = run_scan(indicators, autostart_roots=empty_roots)

    [finding] = [f for f in result.findings if f.kind == "listener"]
    assert finding.matched.field == "ports"
    assert finding.matched.value == str(port)
    assert finding.confidence == "low"
    assert finding.process.pid == os.getpid()
    assert "weak evidence" in finding.advice
    assert finding.advice.startswith("Check: did you, or someone you trust, install this?")
    assert finding.detail["status"] == "LISTEN"


def test_ordinary_ports_are_never_reported_on_their_own():
    matcher = Matcher(
        indicator_set(AppIndicator("test:rat", "Tool", "remote-access", "test", ports=(443, 5938)))
    )
    observed = [
        ObservedConnection("tcp", "0.0.0.0", 443, None, None, "LISTEN", None),
        ObservedConnection("tcp", "0.0.0.0", 5938, None, None, "LISTEN", None),
        ObservedConnection("tcp", "10.0.0.2", 5938, "10.0.0.9", 5000, "ESTABLISHED", None),
    ]

    findings = check_connections(matcher, observed, lambda pid: None, lambda path: None)

    assert [(f.kind, f.matched.value) for f in findings] == [("listener", "5938")]
    assert findings[0].process is None


def test_addresses_compare_by_meaning_not_spelling():
    book = AddressBook({"2001:DB8::1": (0,), "203.0.113.0/24": (1,), "198.51.100.7": (2,)})

    assert book.lookup("2001:db8:0:0::1") == [("2001:DB8::1", 0)]
    assert book.lookup("203.0.113.77") == [("203.0.113.0/24", 1)]
    assert book.lookup("::ffff:198.51.100.7") == [("198.51.100.7", 2)]
    assert book.lookup("not an address") == []
    assert normalise_ip("fe80::1%eth0") == "fe80::1"
