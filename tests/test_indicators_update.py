"""`indicators update` against a real, hostile HTTPS server on 127.0.0.1 (self-signed
certificate made per test; the client trusts exactly that certificate through `ca_file`, or
through OpenSSL's SSL_CERT_FILE for the CLI): good lists install in one atomic step, and
nothing a server does changes the indicators in use or puts a traceback on screen."""

from __future__ import annotations

import gzip
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.store import BUNDLED_DIR, CURRENT_POINTER, updated_dir
from devicecheck.core.indicators.update import update_indicators
from devicecheck.errors import DeviceCheckError, InvalidDataError
from tests.conftest import assert_one_line_error, run_cli
from tests.indicator_server import body, drip, drip_headers, https_server, redirect

GOOD = (
    "- {name: NewSpy, type: stalkerware, c2: {ips: [192.0.2.50], domains: [newspy.example]}}\n"
    "- {name: OtherSpy, type: stalkerware, websites: [other.example]}\n"
    "- {name: ThirdSpy, type: stalkerware, websites: [third.example]}\n"
)
NEWER = GOOD.replace("192.0.2.50", "192.0.2.51")


@pytest.fixture
def server(tmp_path):
    folder = tmp_path / "tls"
    folder.mkdir()
    with https_server(folder) as running:
        yield running


@pytest.fixture
def home(data_dir) -> DataDir:
    return DataDir(data_dir)


def update(home: DataDir, server, path: str = "/ioc.yaml", **options):
    options.setdefault("ca_file", server.certificate)
    return update_indicators(home, server.base + path, **options)


def snapshot(folder: Path) -> dict[str, bytes]:
    if not folder.exists():
        return {}
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def slot(home: DataDir, source: str) -> Path:
    return updated_dir(home) / source


def test_good_list_installs_as_a_version_with_its_metadata_and_the_previous_kept(home, server):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    messages: list[str] = []
    result = update(home, server, announce=messages.append)
    assert "contacts the internet" in messages[0] and server.base in messages[0]
    assert result.format == "echap" and result.apps_after == 3 and result.apps_before == 0
    assert result.final_url == server.base + "/ioc.yaml"
    folder = slot(home, result.source_id)
    first = (folder / CURRENT_POINTER).read_text()
    meta = json.loads((folder / first / "ioc.yaml.meta.json").read_text())
    assert meta["final_url"] == server.base + "/ioc.yaml" and meta["previous"] == ""
    assert load_indicators(home).index.ips["192.0.2.50"]

    server.routes["/ioc.yaml"] = body(NEWER.encode())
    second = update(home, server)
    assert second.apps_before == 3 and second.indicators_before == 4
    current = (folder / CURRENT_POINTER).read_text()
    assert current != first and (folder / first / "ioc.yaml").read_text() == GOOD
    meta = json.loads((folder / current / "ioc.yaml.meta.json").read_text())
    assert meta["previous"] == first
    assert "192.0.2.51" in load_indicators(home).index.ips
    # The request asked for no compression and carried nothing of the user's.
    _path, headers = server.requests[-1]
    assert headers.get("Accept-Encoding") == "identity" and "Authorization" not in headers


def test_an_update_of_echap_replaces_the_bundled_snapshot(home, server, monkeypatch):
    from devicecheck.core.indicators import update as update_module

    server.routes["/echap.yaml"] = body((BUNDLED_DIR / "echap" / "ioc.yaml").read_bytes())
    monkeypatch.setattr(update_module, "DEFAULT_URL", server.base + "/echap.yaml")
    result = update(home, server, "/echap.yaml")
    assert result.source_id == "echap" and result.apps_before == result.apps_after == 147
    assert load_indicators(home).source("echap").kind == "updated"


def test_a_custom_url_never_replaces_echap(home, server):
    """Even an Echap-format file called ioc.yaml from another address is a set of its own."""
    server.routes["/AssoEchap/stalkerware-indicators/master/ioc.yaml"] = body(GOOD.encode())
    result = update(home, server, "/AssoEchap/stalkerware-indicators/master/ioc.yaml")
    assert result.source_id == "update-ioc-yaml" and result.format == "echap"
    indicators = load_indicators(home)
    assert indicators.source("echap").kind == "bundled"
    assert len([a for a in indicators.apps if a.source == "echap"]) == 147


@pytest.mark.parametrize(
    ("make_route", "expected"),
    [
        (lambda: body(b"oops", 500), "HTTP 500"),
        (lambda: body(b"- " + b"x" * 5000), "larger than 4096 bytes"),
        (
            lambda: body(b"x" * 100, headers={"Content-Length": "100000"}),
            "larger than 4096 bytes",
        ),
        (lambda: body(b"- name: [unclosed\n"), "invalid YAML"),
        (lambda: body(b"apps: 7\nsource: {}\n"), "expected a list"),
        (lambda: body(b"just: a mapping\n"), "not a known indicator format"),
        (lambda: body(GOOD.encode()[:50], headers={"Content-Length": "300"}), "cut short"),
        (
            lambda: body(gzip.compress(GOOD.encode()), headers={"Content-Encoding": "gzip"}),
            "compressed answer",
        ),
        (lambda: body(b"- {name: X, type: stalkerware, certificates: [AB]}\n"), "no indicators"),
    ],
    ids=[
        "http-500",
        "oversize",
        "declared-oversize",
        "invalid-yaml",
        "wrong-schema",
        "unknown-schema",
        "truncated",
        "gzip",
        "nothing-usable",
    ],
)
def test_bad_answers_leave_the_old_set_in_place(home, server, make_route, expected):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    update(home, server)
    before_files, before = snapshot(updated_dir(home)), load_indicators(home)
    server.routes["/ioc.yaml"] = make_route()
    with pytest.raises(DeviceCheckError) as raised:
        update(home, server, timeout=10, max_bytes=4096)
    message = raised.value.message
    assert expected in message and "unchanged" in message and "\n" not in message
    assert snapshot(updated_dir(home)) == before_files
    assert load_indicators(home) == before


def test_a_slow_drip_fails_at_the_one_deadline(home, server):
    """1 byte every 5 s never trips a per-read timeout; the whole-exchange deadline does."""
    server.routes["/ioc.yaml"] = drip(GOOD.encode(), every=5.0)
    started = time.monotonic()
    with pytest.raises(DeviceCheckError, match="did not finish within 2 seconds"):
        update(home, server, timeout=2)
    assert time.monotonic() - started < 6  # at the deadline, not after the next byte or 64 KB
    assert not updated_dir(home).exists()


def test_headers_dripped_byte_by_byte_fail_at_the_deadline(home, server):
    server.routes["/ioc.yaml"] = drip_headers(every=0.5)
    started = time.monotonic()
    with pytest.raises(DeviceCheckError, match="did not finish within 2 seconds"):
        update(home, server, timeout=2)
    assert time.monotonic() - started < 6


def test_a_server_that_never_completes_the_tls_handshake_fails_at_the_deadline(home, tmp_path):
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(listener.accept()[0]), daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(DeviceCheckError, match=r"did not finish within 1\.5 seconds"):
            update_indicators(
                home, f"https://127.0.0.1:{listener.getsockname()[1]}/ioc.yaml", timeout=1.5
            )
    finally:
        listener.close()
    assert time.monotonic() - started < 6


def test_parsing_counts_against_the_deadline(home, server, monkeypatch):
    from devicecheck.core.indicators import update as update_module

    server.routes["/ioc.yaml"] = body(GOOD.encode())
    real = update_module.parse_bytes

    def slow_parse(*args, **kwargs):
        time.sleep(1.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(update_module, "parse_bytes", slow_parse)
    with pytest.raises(DeviceCheckError, match="took longer than 1 seconds in all"):
        update(home, server, timeout=1)
    assert not updated_dir(home).exists()


def test_plain_http_is_refused_before_any_connection(home, server):
    with pytest.raises(DeviceCheckError, match="only https:// addresses"):
        update_indicators(home, f"http://127.0.0.1:{server.port}/ioc.yaml")
    assert server.requests == []


def test_a_certificate_nobody_vouches_for_is_refused(home, server):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    with pytest.raises(DeviceCheckError, match="could not be verified"):
        update_indicators(home, server.base + "/ioc.yaml")  # the system's CAs only
    assert server.requests == [] and not updated_dir(home).exists()


def test_same_site_redirects_are_followed_announced_and_recorded(home, server):
    server.routes["/ioc.yaml"] = redirect("/moved/ioc.yaml", 301)
    server.routes["/moved/ioc.yaml"] = body(GOOD.encode())
    messages: list[str] = []
    result = update(home, server, announce=messages.append)
    assert result.final_url == server.base + "/moved/ioc.yaml"
    assert any("sent devicecheck on to" in m and "/moved/ioc.yaml" in m for m in messages)
    folder = slot(home, result.source_id)
    version = (folder / CURRENT_POINTER).read_text()
    meta = json.loads((folder / version / "ioc.yaml.meta.json").read_text())
    assert meta["url"].endswith("/ioc.yaml") and meta["final_url"].endswith("/moved/ioc.yaml")


@pytest.mark.parametrize(
    "location",
    [
        "http://127.0.0.1:{port}/ioc2.yaml",  # down to http
        "https://localhost:{port}/ioc2.yaml",  # another host name
        "https://127.0.0.1:1/ioc2.yaml",  # another port
        "file:///etc/passwd",
        "https://user:secret@127.0.0.1:{port}/ioc2.yaml",
    ],
)
def test_redirects_to_another_origin_are_refused(home, server, location):
    server.routes["/ioc.yaml"] = redirect(location.format(port=server.port))
    server.routes["/ioc2.yaml"] = body(GOOD.encode())
    with pytest.raises(DeviceCheckError) as raised:
        update(home, server)
    assert "redirected to another site" in raised.value.message
    assert "secret" not in raised.value.message
    assert [path for path, _ in server.requests] == ["/ioc.yaml"]


def test_a_redirect_loop_stops(home, server):
    server.routes["/ioc.yaml"] = redirect("/ioc.yaml")
    with pytest.raises(DeviceCheckError, match="redirected more than 5 times"):
        update(home, server)
    assert len(server.requests) == 6


def test_user_and_password_in_the_address_are_never_sent_printed_or_stored(data_dir, server):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    url = f"https://alice:hunter2@127.0.0.1:{server.port}/ioc.yaml"
    result = run_cli(
        "indicators",
        "update",
        "--url",
        url,
        data_dir=data_dir,
        env={"SSL_CERT_FILE": str(server.certificate)},
    )
    assert_one_line_error(result, 2)
    assert "hunter2" not in result.stderr + result.stdout and "user name or password" in (
        result.stderr
    )
    assert server.requests == []
    assert not any("hunter2" in p.read_text(errors="replace") for p in data_dir.rglob("*.json"))


def test_control_characters_from_the_server_are_escaped(home, data_dir, server):
    reason = "Busy\x1b[2J\x1b]0;owned\x07\u202e".encode()  # U+202E: right-to-left override
    server.routes["/ioc.yaml"] = body(b"", 503, reason=reason)
    with pytest.raises(DeviceCheckError) as raised:
        update(home, server)
    message = raised.value.message
    assert "HTTP 503 Busy" in message
    assert "\x1b" not in message and "\x07" not in message and "\x80" not in message
    assert "\\x1b[2J" in message and "\\x80" in message  # read as Latin-1, as HTTP says

    evil = '- {name: "Spy\\e[31mRed\\u202e", type: stalkerware, websites: [evil.example]}\n'
    server.routes["/feed.yaml"] = body(evil.encode())
    result = run_cli(
        "indicators",
        "update",
        "--url",
        server.base + "/feed.yaml",
        data_dir=data_dir,
        env={"SSL_CERT_FILE": str(server.certificate)},
    )
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stderr and "\u202e" not in result.stderr
    assert "added: Spy\\x1b[31mRed\\u202e" in result.stderr


def test_proxies_and_netrc_are_not_used(tmp_path, data_dir, server):
    """requests' trust_env would send ~/.netrc credentials and use HTTPS_PROXY silently."""
    server.routes["/feed.yaml"] = body(GOOD.encode())
    fake_home = tmp_path / "fake-home"
    fake_home.mkdir()
    netrc = fake_home / ".netrc"
    netrc.write_text("machine 127.0.0.1 login alice password hunter2\n")
    netrc.chmod(0o600)
    environment = {
        "HOME": str(fake_home),
        "HTTPS_PROXY": "http://127.0.0.1:9",  # nothing listens there
        "https_proxy": "http://127.0.0.1:9",
        "SSL_CERT_FILE": str(server.certificate),
    }
    result = run_cli(
        "indicators", "update", "--url", server.base + "/feed.yaml", data_dir=data_dir,
        env=environment,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    _path, headers = server.requests[-1]
    assert "Authorization" not in headers


def test_an_alias_bomb_download_fails_fast_and_leaves_no_cache(home, server):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for number in range(1, 12):
        lines.append(f"a{number}: &a{number} [{', '.join([f'*a{number - 1}'] * 9)}]")
    text = "\n".join(lines) + "\n"
    server.routes["/ioc.yaml"] = body((text + "#" * (1024 * 1024 - len(text))).encode())
    with pytest.raises(InvalidDataError, match="anchors and aliases"):
        update(home, server, timeout=30)
    assert not updated_dir(home).exists()
    assert len(load_indicators(home).apps) > 0


def test_twenty_thousand_copies_of_one_app_install_quickly(home, server):
    copies = "- {name: Same, type: stalkerware, websites: [same.example]}\n" * 20_000
    server.routes["/ioc.yaml"] = body(copies.encode())
    assert update(home, server, timeout=60).apps_after == 20_000


def test_a_list_that_loses_a_third_of_its_apps_needs_a_yes(home, server):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    update(home, server)
    before = snapshot(updated_dir(home))
    server.routes["/ioc.yaml"] = body(GOOD.encode().split(b"\n")[0] + b"\n")  # 3 -> 1 app
    questions: list[str] = []
    with pytest.raises(DeviceCheckError, match="run again with --yes"):
        update(home, server, confirm=lambda q: questions.append(q) or False)
    assert "1 app where the one in use has 3 apps" in questions[0]
    assert snapshot(updated_dir(home)) == before
    assert update(home, server, confirm=lambda q: True).apps_after == 1


def test_a_change_of_format_needs_a_yes(home, server):
    server.routes["/feed.json"] = body(GOOD.encode())  # echap, though named .json
    bundle = {
        "type": "bundle",
        "id": "bundle--1",
        "objects": [
            {"type": "indicator", "id": "indicator--1", "name": "A",
             "pattern": "[domain-name:value = 'a.example']"},
            {"type": "indicator", "id": "indicator--2", "name": "B",
             "pattern": "[domain-name:value = 'b.example']"},
            {"type": "indicator", "id": "indicator--3", "name": "C",
             "pattern": "[domain-name:value = 'c.example']"},
        ],
    }  # fmt: skip
    update(home, server, "/feed.json", format="echap")
    server.routes["/feed.json"] = body(json.dumps(bundle).encode())
    with pytest.raises(DeviceCheckError, match="in stix2 format, the one in use in echap"):
        update(home, server, "/feed.json")


def test_cli_refuses_a_shrunken_list_without_a_terminal_unless_yes(data_dir, server):
    environment = {"SSL_CERT_FILE": str(server.certificate)}
    url = server.base + "/feed.yaml"
    server.routes["/feed.yaml"] = body(GOOD.encode())
    assert run_cli("indicators", "update", "--url", url, data_dir=data_dir, env=environment)
    server.routes["/feed.yaml"] = body(GOOD.encode().split(b"\n")[0] + b"\n")
    refused = run_cli("indicators", "update", "--url", url, data_dir=data_dir, env=environment)
    assert_one_line_error(refused, 2)
    assert "--yes" in refused.stderr
    accepted = run_cli(
        "indicators", "update", "--url", url, "--yes", data_dir=data_dir, env=environment
    )
    assert accepted.returncode == 0, accepted.stderr and "3 -> 1 app(s)" in accepted.stderr


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "0", "-inf", "1e400", "ten"])
def test_cli_rejects_a_timeout_that_is_not_a_time(data_dir, value):
    result = run_cli("indicators", "update", "--timeout", value, data_dir=data_dir)
    assert_one_line_error(result, 2)
    assert len(result.stderr.strip().splitlines()) == 1 and "--timeout" in result.stderr
    assert "unexpected" not in result.stderr


def test_cli_update_installs_and_reports(data_dir, server):
    server.routes["/feed.yaml"] = body(GOOD.encode())
    result = run_cli(
        "indicators", "update", "--url", server.base + "/feed.yaml", "--json",
        data_dir=data_dir, env={"SSL_CERT_FILE": str(server.certificate)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["apps_after"] == 3 and report["final_url"] == server.base + "/feed.yaml"
    assert "contacts the internet" in result.stderr.splitlines()[0]
    assert "added: NewSpy, OtherSpy, ThirdSpy" in result.stderr


def test_leftovers_of_an_interrupted_update_are_removed(home, server):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    result = update(home, server)
    folder = slot(home, result.source_id)
    (folder / ".current.abcdef.tmp").write_text("x")
    unfinished = folder / "v20260101T000000Z-00000000"
    unfinished.mkdir()
    (unfinished / "ioc.yaml").write_text(NEWER)  # no metadata: it never became current
    assert load_indicators(home).index.ips["192.0.2.50"]  # the unfinished one is not read
    update(home, server)
    names = sorted(p.name for p in folder.iterdir())
    assert ".current.abcdef.tmp" not in names and unfinished.name not in names
    assert len(names) == 3  # current, the version in use, the one before it


def test_a_damaged_pointer_is_one_clear_error_and_the_next_update_repairs_it(home, server):
    server.routes["/ioc.yaml"] = body(GOOD.encode())
    result = update(home, server)
    folder = slot(home, result.source_id)
    (folder / CURRENT_POINTER).write_text("../../../etc")
    with pytest.raises(InvalidDataError, match="does not name a version"):
        load_indicators(home)
    update(home, server)
    assert load_indicators(home).index.ips["192.0.2.50"]


def test_an_update_in_a_protected_folder_is_sealed_and_reads_back(home, server):
    """The list, its metadata and the pointer go through write_private: nothing readable at
    rest, and after the folder is protected the update still loads."""
    from devicecheck.core import protect_folder, protection

    server.routes["/ioc.yaml"] = body(GOOD.encode())
    update(home, server)  # before protection: converted by protect
    home.ensure(home.root)
    protect_folder.protect(home.root, "a long test passphrase", protection.KdfParameters(n=2**12))
    try:
        server.routes["/ioc.yaml"] = body(NEWER.encode())
        update(home, server)
        at_rest = b"".join(p.read_bytes() for p in updated_dir(home).rglob("*") if p.is_file())
        assert b"newspy.example" not in at_rest and b"192.0.2.51" not in at_rest
        assert "192.0.2.51" in load_indicators(home).index.ips
    finally:
        protection.forget_keys()


def test_a_list_stored_before_versioned_folders_is_read_then_replaced(home, server):
    legacy = updated_dir(home) / "feed.yaml"
    legacy.parent.mkdir(parents=True)
    legacy.write_text(GOOD)
    (legacy.parent / "feed.yaml.meta.json").write_text(
        json.dumps({"format": "echap", "source_id": "update-feed-yaml", "url": "x"})
    )
    assert load_indicators(home).index.ips["192.0.2.50"]
    server.routes["/feed.yaml"] = body(NEWER.encode())
    update(home, server, "/feed.yaml")
    assert not legacy.exists() and not (legacy.parent / "feed.yaml.meta.json").exists()
    indicators = load_indicators(home)
    assert "192.0.2.51" in indicators.index.ips and "192.0.2.50" not in indicators.index.ips


def test_two_updated_lists_of_one_file_name_keep_their_own_caches(home, server, monkeypatch):
    """Echap's ioc.yaml and a custom ioc.yaml: each keeps its compiled cache (before, one
    deleted the other's on every load, so every scan parsed YAML again)."""
    from devicecheck.core.indicators import update as update_module
    from devicecheck.core.indicators.store import cache_dir

    server.routes["/echap/ioc.yaml"] = body((BUNDLED_DIR / "echap" / "ioc.yaml").read_bytes())
    server.routes["/other/ioc.yaml"] = body(GOOD.encode())
    monkeypatch.setattr(update_module, "DEFAULT_URL", server.base + "/echap/ioc.yaml")
    update(home, server, "/echap/ioc.yaml")
    update(home, server, "/other/ioc.yaml")
    load_indicators(home)
    first = sorted(p.name for p in cache_dir(home).iterdir())
    load_indicators(home)
    assert sorted(p.name for p in cache_dir(home).iterdir()) == first
    assert any(name.startswith("updated-echap-ioc-yaml-") for name in first)
    assert any(name.startswith("updated-update-ioc-yaml-ioc-yaml-") for name in first)


def run_on_terminal(arguments: list[str], answer: bytes, env: dict[str, str]) -> tuple[int, str]:
    """Run the CLI on a real pseudo-terminal, answer its question, return (code, output)."""
    import os
    import pty
    import select
    import subprocess

    from tests.conftest import devicecheck_command

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*devicecheck_command(), *arguments],
        stdin=follower, stdout=follower, stderr=follower, env={**os.environ, **env},
    )  # fmt: skip
    os.close(follower)
    output, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        if not answered and b"[y/N]" in output:
            os.write(leader, answer)
            answered = True
        if process.poll() is not None and not ready:
            break
    os.close(leader)
    return process.wait(timeout=10), output.decode(errors="replace")


@pytest.mark.parametrize(("answer", "code"), [(b"y\n", 0), (b"n\n", 2)])
def test_on_a_terminal_the_person_is_asked(data_dir, server, answer, code):
    environment = {"SSL_CERT_FILE": str(server.certificate), "DEVICECHECK_HOME": str(data_dir)}
    url = server.base + "/feed.yaml"
    server.routes["/feed.yaml"] = body(GOOD.encode())
    assert run_cli("indicators", "update", "--url", url, data_dir=data_dir, env=environment)
    server.routes["/feed.yaml"] = body(GOOD.encode().split(b"\n")[0] + b"\n")
    result, output = run_on_terminal(["indicators", "update", "--url", url], answer, environment)
    assert "Install it anyway? The new list has 1 app where the one in use has 3 apps" in output
    assert result == code, output
    assert ("3 -> 1 app(s)" in output) == (code == 0)


def test_with_no_usable_system_certificate_store_certifis_list_is_used(tmp_path):
    """As on python.org's macOS builds before "Install Certificates": Python finds no
    certificate authorities on the system, so the update would refuse every server."""
    script = (
        "import ssl\n"
        "from devicecheck.core.indicators.update import tls_context\n"
        "bare = ssl.create_default_context().cert_store_stats()['x509_ca']\n"
        "print(bare, tls_context().cert_store_stats()['x509_ca'])\n"
    )
    empty = tmp_path / "no-certificates"
    empty.mkdir()
    env = {**os.environ, "SSL_CERT_FILE": str(empty / "none.pem"), "SSL_CERT_DIR": str(empty)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    bare, used = map(int, result.stdout.split())
    assert bare == 0 and used > 50
