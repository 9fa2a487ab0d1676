"""`indicators update` against a real HTTP server on 127.0.0.1: good files install, bad ones change nothing."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.store import BUNDLED_DIR, updated_dir
from devicecheck.core.indicators.update import update_indicators
from devicecheck.errors import DeviceCheckError
from tests.conftest import assert_one_line_error, run_cli

GOOD = (
    "- {name: NewSpy, type: stalkerware, c2: {ips: [192.0.2.50], domains: [newspy.example]}}\n"
    "- {name: OtherSpy, type: stalkerware, websites: [other.example]}\n"
)
NEWER = "- {name: NewSpy, type: stalkerware, c2: {ips: [192.0.2.50, 192.0.2.51]}}\n"


class Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, bytes, float]]] = {}

    def do_GET(self) -> None:
        status, body, delay = self.routes.get(self.path, (404, b"not found", 0.0))
        if delay:
            time.sleep(delay)
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict]]:
    routes: ClassVar[dict[str, tuple[int, bytes, float]]] = {}
    handler = type("RouteHandler", (Handler,), {"routes": routes})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", routes
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def home(data_dir) -> DataDir:
    return DataDir(data_dir)


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_good_file_is_installed_with_a_summary_and_previous_kept(home, server):
    base, routes = server
    routes["/ioc.yaml"] = (200, GOOD.encode(), 0.0)
    messages: list[str] = []
    result = update_indicators(home, f"{base}/ioc.yaml", announce=messages.append)
    assert "contacts the internet" in messages[0] and f"{base}/ioc.yaml" in messages[0]
    assert result.format == "echap" and result.apps_after == 2 and result.apps_before == 0
    assert result.apps_added == ("NewSpy", "OtherSpy")
    indicators = load_indicators(home)
    assert indicators.index.ips["192.0.2.50"]
    assert indicators.source(result.source_id).kind == "updated"

    routes["/ioc.yaml"] = (200, NEWER.encode(), 0.0)
    second = update_indicators(home, f"{base}/ioc.yaml")
    assert second.apps_removed == ("OtherSpy",) and second.apps_before == 2
    assert second.indicators_before == 3 and second.indicators_after == 2
    files = snapshot(updated_dir(home))
    assert files["ioc.yaml"] == NEWER.encode()
    assert files["ioc.yaml.previous"] == GOOD.encode()


def test_an_update_of_echap_replaces_the_bundled_snapshot(home, server, monkeypatch):
    """The default Echap address installs as source `echap`, in place of the bundled copy."""
    from devicecheck.core.indicators import update

    base, routes = server
    routes["/echap.yaml"] = (200, GOOD.encode(), 0.0)
    monkeypatch.setattr(update, "DEFAULT_URL", f"{base}/echap.yaml")
    result = update_indicators(home, f"{base}/echap.yaml")
    assert result.source_id == "echap" and result.apps_before == 147
    indicators = load_indicators(home)
    echap = [app.name for app in indicators.apps if app.source == "echap"]
    assert echap == ["NewSpy", "OtherSpy"]
    assert indicators.source("echap").kind == "updated"


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ((500, b"oops", 0.0), "HTTP 500"),
        ((200, GOOD.encode(), 3.0), "no answer"),
        ((200, b"- " + b"x" * 5000, 0.0), "larger than 4096 bytes"),
        ((200, b"- name: [unclosed\n", 0.0), "invalid YAML"),
        ((200, b"apps: 7\nsource: {}\n", 0.0), "expected a list"),
        ((200, b"just: a mapping\n", 0.0), "not a known indicator format"),
    ],
    ids=["http-500", "timeout", "oversize", "invalid-yaml", "wrong-schema", "unknown-schema"],
)
def test_bad_downloads_leave_the_old_set_in_place(home, server, route, expected):
    base, routes = server
    routes["/ioc.yaml"] = (200, GOOD.encode(), 0.0)
    update_indicators(home, f"{base}/ioc.yaml")
    before_files = snapshot(updated_dir(home))
    before = load_indicators(home)
    routes["/ioc.yaml"] = route
    with pytest.raises(DeviceCheckError) as raised:
        update_indicators(home, f"{base}/ioc.yaml", timeout=0.5, max_bytes=4096)
    message = raised.value.message
    assert expected in message and "unchanged" in message and "\n" not in message
    assert snapshot(updated_dir(home)) == before_files
    assert load_indicators(home) == before


def test_connection_refused_is_one_clear_error(home):
    with pytest.raises(DeviceCheckError, match=r"could not download .* unchanged"):
        update_indicators(home, "http://127.0.0.1:9/ioc.yaml", timeout=1)
    assert not updated_dir(home).exists()


def test_cli_update_installs_and_reports(data_dir, server):
    base, routes = server
    routes["/feed.yaml"] = (200, GOOD.encode(), 0.0)
    result = run_cli("indicators", "update", "--url", f"{base}/feed.yaml", data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "contacts the internet" in lines[0]
    assert "0 -> 2 app(s)" in result.stderr and "added: NewSpy, OtherSpy" in result.stderr
    assert (data_dir / "indicators" / "updated" / "feed.yaml").read_text() == GOOD


def test_cli_update_failure_is_one_line(data_dir, server):
    base, routes = server
    routes["/feed.yaml"] = (500, b"", 0.0)
    result = run_cli("indicators", "update", "--url", f"{base}/feed.yaml", data_dir=data_dir)
    assert_one_line_error(result, 2)
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "HTTP 500" in errors[0]


def test_bundled_echap_is_a_valid_update_body(home, server):
    base, routes = server
    routes["/ioc.yaml"] = (200, (BUNDLED_DIR / "echap" / "ioc.yaml").read_bytes(), 0.0)
    assert update_indicators(home, f"{base}/ioc.yaml").apps_after == 147
