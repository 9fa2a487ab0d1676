"""No command but `indicators update` opens a socket.

Each command runs as a real process with a `sitecustomize.py` on PYTHONPATH that replaces
`socket.socket` and `socket.create_connection` with versions that write a marker file and
raise. A command passes if it succeeds and the marker was never written.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from devicecheck.cli import COMMAND_MODULES
from tests.conftest import run_cli

SITECUSTOMIZE = """
import os
import socket

_MARKER = os.environ["NO_SOCKET_MARKER"]


def _refuse(*args, **kwargs):
    with open(_MARKER, "a", encoding="utf-8") as marker:
        marker.write(f"socket attempt: {args!r}\\n")
    raise OSError("sockets are disabled in this test")


class _NoSocket(socket.socket):
    def __init__(self, *args, **kwargs):
        _refuse(*args)


socket.socket = _NoSocket
socket.create_connection = _refuse
"""

STIX = {
    "type": "bundle",
    "id": "bundle--1",
    "objects": [
        {
            "type": "indicator",
            "id": "indicator--1",
            "name": "X",
            "pattern": "[process:name = 'x']",
            "x_mitre_platforms": ["Linux", "macOS", "Windows"],
        }
    ],
}


def commands(tmp_path: Path) -> list[tuple[list[str], tuple[int, ...]]]:
    """(arguments, acceptable exit codes): adding a command is one line."""
    stix = tmp_path / "feed.json"
    stix.write_text(json.dumps(STIX), encoding="utf-8")
    report = tmp_path / "report.txt"
    passphrase = tmp_path / "passphrase.txt"
    passphrase.write_text("correct horse battery staple\n", encoding="utf-8")
    found: list[tuple[list[str], tuple[int, ...]]] = [
        (["--version"], (0,)),
        (["checklists", "list", "--json"], (0,)),
        (["checklists", "show", "shared-accounts"], (0,)),
        (["checklists", "validate"], (0,)),
        (["session", "new", "--json"], (0,)),
        (["session", "list", "--json"], (0,)),
        (["walk", "--plain", "--checklist", "shared-accounts"], (0,)),
        (["indicators", "info", "--json"], (0,)),
        (["indicators", "import", str(stix)], (0,)),
        (["indicators", "info"], (0,)),
        (["scan", "--json", "--indicators", str(stix)], (0, 1)),
        (["report", "--latest", "--format", "txt", "-o", str(report)], (0,)),
        (["log", "list", "--json"], (0,)),
        (["log", "verify", "--json"], (0,)),
        (["pack", "--latest", "-o", str(tmp_path / "pack.zip")], (0, 1, 2)),
        (["phone", "list", "--json", "--adb", str(tmp_path / "no-adb")], (0, 2)),
        (["protect", "--passphrase-file", str(passphrase)], (0,)),
        (["unprotect", "--passphrase-file", str(passphrase)], (0,)),
    ]
    assert {arguments[0] for arguments, _ in found} | {"--version"} >= set(COMMAND_MODULES)
    return found


def test_commands_other_than_update_never_open_a_socket(tmp_path, data_dir):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    marker = tmp_path / "socket-attempts.txt"
    environment = {
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
        "NO_SOCKET_MARKER": str(marker),
    }
    for arguments, codes in commands(tmp_path):
        result = run_cli(*arguments, data_dir=data_dir, input="", env=environment)
        assert result.returncode in codes, (arguments, result.returncode, result.stderr)
        assert "Traceback" not in result.stderr, arguments
        assert not marker.exists(), (arguments, marker.read_text(encoding="utf-8"))


def test_the_guard_itself_catches_a_socket(tmp_path, data_dir):
    """The same guard does see `indicators update` try to connect (so the test above can fail)."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    marker = tmp_path / "socket-attempts.txt"
    environment = {"PYTHONPATH": str(site), "NO_SOCKET_MARKER": str(marker)}
    result = run_cli(
        "indicators",
        "update",
        "--url",
        "https://127.0.0.1:9/ioc.yaml",
        "--timeout",
        "1",
        data_dir=data_dir,
        env=environment,
    )
    assert result.returncode == 2, result.stderr
    assert marker.exists() and "socket attempt" in marker.read_text(encoding="utf-8")


def test_only_the_update_module_imports_an_http_or_tls_client():
    """`socket` itself is used elsewhere only for names and constants (gethostname,
    SOCK_STREAM); the guard above checks that no command but update connects."""
    source_root = Path(__file__).resolve().parents[1] / "src" / "devicecheck"
    clients = ("import requests", "import http.client", "import ssl", "urllib.request")
    importers = sorted(
        str(path.relative_to(source_root)).replace(os.sep, ".").removesuffix(".py")
        for path in source_root.rglob("*.py")
        if any(client in path.read_text(encoding="utf-8") for client in clients)
    )
    assert importers == ["core.indicators.update"]
