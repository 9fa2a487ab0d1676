"""A real updater process killed with SIGKILL at random points: the scan still loads a
valid set (the old one or the new one, never a mix, never an error), and the next update
clears what the killed one left."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.store import updated_dir
from devicecheck.core.indicators.update import update_indicators
from tests.conftest import REPO_ROOT
from tests.indicator_server import body, https_server

LISTS = {
    "/a.yaml": "- {name: SpyA, type: stalkerware, c2: {ips: [192.0.2.1]}}\n"
    "- {name: SpyB, type: stalkerware, c2: {ips: [192.0.2.2]}}\n",
    "/b.yaml": "- {name: SpyA, type: stalkerware, c2: {ips: [198.51.100.1]}}\n"
    "- {name: SpyB, type: stalkerware, c2: {ips: [198.51.100.2]}}\n",
}
# Both lists are served at one address in turn, by the updater asking for ?a or ?b.
UPDATER = """
import sys
from pathlib import Path
from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators.update import update_indicators

home, base, ca = DataDir(Path(sys.argv[1])), sys.argv[2], Path(sys.argv[3])
print("ready", flush=True)
while True:
    for which in ("a", "b"):
        update_indicators(home, f"{base}/feed.yaml?{which}", ca_file=ca, confirm=lambda q: True)
"""


def valid_sets() -> list[set[str]]:
    return [{"192.0.2.1", "192.0.2.2"}, {"198.51.100.1", "198.51.100.2"}]


def test_kill_9_at_random_points_leaves_a_set_the_scan_loads(tmp_path, data_dir):
    home = DataDir(data_dir)
    folder = tmp_path / "tls"
    folder.mkdir()
    random.seed(os.getpid())
    with https_server(folder) as server:
        server.routes["/feed.yaml?a"] = body(LISTS["/a.yaml"].encode())
        server.routes["/feed.yaml?b"] = body(LISTS["/b.yaml"].encode())
        update_indicators(
            home, server.base + "/feed.yaml?a", ca_file=server.certificate, confirm=lambda q: True
        )
        environment = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "src")}
        kills = 0
        for _ in range(12):
            updater = subprocess.Popen(
                [sys.executable, "-c", UPDATER, str(data_dir), server.base, server.certificate],
                stdout=subprocess.PIPE,
                env=environment,
            )
            assert updater.stdout is not None and updater.stdout.readline() == b"ready\n"
            time.sleep(random.uniform(0.01, 0.6))
            os.kill(updater.pid, signal.SIGKILL)
            updater.wait()
            updater.stdout.close()
            kills += updater.returncode == -signal.SIGKILL
            loaded = load_indicators(home)  # never an error
            ips = {ip for app in loaded.apps if app.source == "update-feed-yaml" for ip in app.ips}
            assert ips in valid_sets(), ips
        assert kills == 12
        update_indicators(
            home, server.base + "/feed.yaml?b", ca_file=server.certificate, confirm=lambda q: True
        )
    slot = updated_dir(home) / "update-feed-yaml"
    names = sorted(p.name for p in slot.iterdir())
    assert len(names) == 3 and "current" in names, names
    assert not [p for p in slot.rglob("*") if p.name.endswith(".tmp")]
