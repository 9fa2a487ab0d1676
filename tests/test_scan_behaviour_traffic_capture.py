"""Traffic capture: a real AF_PACKET socket in a child process; interface flags from sysfs files."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.findings import ScanContext
from devicecheck.core.scan.processes import read_process
from devicecheck.core.scan.traffic_capture import (
    check_packet_sockets,
    check_promiscuous,
    check_traffic_capture,
    packet_socket_holders,
    parse_proc_net_packet,
    promiscuous_interfaces,
)
from tests.scan_behaviour_support import PLANTED, ordinary_processes

# Opens a packet socket (every protocol, every interface), says so, and waits.
CAPTURE = (
    f"# {PLANTED}\n"
    "import socket, sys, time\n"
    "s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))\n"
    "print('ready', flush=True)\n"
    "time.sleep(600)\n"
)


def _packet_sockets_allowed() -> bool:
    try:
        socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3)).close()
    except (PermissionError, AttributeError, OSError):
        return False
    return True


needs_packet_sockets = pytest.mark.skipif(
    not _packet_sockets_allowed(), reason="opening a packet socket needs root (CAP_NET_RAW)"
)


def _start(command: list[str]) -> subprocess.Popen:
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


def _holders_of(pid: int):
    sockets = parse_proc_net_packet(Path("/proc/net/packet").read_text())
    return packet_socket_holders([s.inode for s in sockets], [pid])


@needs_packet_sockets
def test_a_program_holding_a_packet_socket_is_reported():
    process = _start([sys.executable, "-c", CAPTURE])
    try:
        holders = _holders_of(process.pid)
        assert list(holders.by_pid) == [process.pid]
        findings = check_packet_sockets(holders.by_pid, read_process)
    finally:
        process.kill()
        process.wait()
    (finding,) = findings
    assert finding.kind == "traffic-capture"
    assert finding.process.pid == process.pid
    assert "every website visited" in finding.advice


@needs_packet_sockets
@pytest.mark.skipif(os.geteuid() != 0, reason="the trusted script must be owned by root")
def test_an_installed_network_tool_holding_a_packet_socket_is_not_reported(tmp_path):
    sbin = tmp_path / "usr" / "sbin"
    sbin.mkdir(parents=True)
    script = sbin / "dhclient"
    script.write_text(CAPTURE)
    script.chmod(0o755)
    process = _start([sys.executable, str(script)])
    try:
        holders = _holders_of(process.pid)
        assert holders.by_pid
        trusted = check_packet_sockets(
            holders.by_pid, read_process, system_dirs=(str(tmp_path / "usr") + "/",)
        )
        untrusted = check_packet_sockets(holders.by_pid, read_process)  # not a system folder
    finally:
        process.kill()
        process.wait()
    assert trusted == []
    assert len(untrusted) == 1


def test_proc_net_packet_rows_are_read():
    text = (
        "sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n"
        "ffff8f0c4a2b1000 3      3    0003   0     1 0      0      81234\n"
        "ffff8f0c4a2b2000 3      2    88cc   2     1 0      107    81240\n"
        "short line\n"
    )
    sockets = parse_proc_net_packet(text)
    assert [(s.inode, s.uid, s.interface) for s in sockets] == [(81234, 0, 0), (81240, 107, 2)]


@given(st.text(max_size=400))
def test_any_proc_net_packet_text_is_read_without_error(text):
    parse_proc_net_packet(text)


def _interface(sysfs: Path, name: str, flags: str, bridge_port: bool = False) -> None:
    folder = sysfs / name
    folder.mkdir(parents=True)
    (folder / "flags").write_text(flags + "\n")
    if bridge_port:
        (folder / "brport").mkdir()


def test_a_promiscuous_interface_is_reported_but_not_a_bridge_port(tmp_path):
    _interface(tmp_path, "eth0", "0x1103")  # UP, BROADCAST, PROMISC, MULTICAST
    _interface(tmp_path, "veth1a2b", "0x1103", bridge_port=True)
    _interface(tmp_path, "wlan0", "0x1003")
    _interface(tmp_path, "odd", "not hex")
    assert promiscuous_interfaces(str(tmp_path)) == ["eth0"]
    (finding,) = check_promiscuous(["eth0"])
    assert finding.matched.value == "eth0"
    assert finding.confidence == "low"


def test_this_machine_shows_no_traffic_capture():
    """A plain Debian container: anything reported here would be a false positive."""
    context = ScanContext(
        tuple(ordinary_processes()), "linux", Path.home(), IndicatorSet((), ()), None, None
    )
    outcome = check_traffic_capture(context)
    assert outcome.findings == ()


def test_the_check_runs_only_on_linux(tmp_path):
    context = ScanContext((), "darwin", tmp_path, IndicatorSet((), ()), None, None)
    assert check_traffic_capture(context) == check_traffic_capture(context)._replace(findings=())


@needs_packet_sockets
def test_the_whole_check_reports_a_real_capture_and_counts_the_sockets():
    process = _start([sys.executable, "-c", CAPTURE])
    try:
        info = read_process(process.pid)
        context = ScanContext((info,), "linux", Path.home(), IndicatorSet((), ()), None, None)
        outcome = check_traffic_capture(context)
    finally:
        process.kill()
        process.wait()
    assert [f.process.pid for f in outcome.findings if f.process] == [process.pid]
    assert outcome.examined["packet_sockets"] >= 1
