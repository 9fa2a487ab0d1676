"""The Linux /proc readers give what psutil gives, on real processes and sockets (Linux only).

The scan reads /proc itself because psutil costs several times more per process (and its
import alone more than reading the connections); these tests hold the readers to psutil's
answers: the whole process table, long names, arguments with spaces, a deleted executable, a
zombie, (when run as root) an unprivileged user's view, and every connection and listener.
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core.scan import processes as processes_module
from devicecheck.core.scan.connections import (
    _address,
    ip_text,
    observe_connections,
    procfs_connections,
    psutil_connections,
)
from devicecheck.core.scan.findings import ProcessInfo
from devicecheck.core.scan.processes import (
    observe_processes,
    procfs_processes,
    psutil_processes,
    read_process,
)

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not os.path.isdir("/proc/self"),
    reason="the /proc reader is for Linux",
)
SLEEP = shutil.which("sleep") or "/bin/sleep"
UNPRIVILEGED = 65534  # nobody


@pytest.fixture
def started(tmp_path: Path) -> Iterator[list[subprocess.Popen]]:
    running: list[subprocess.Popen] = []
    yield running
    for process in running:
        process.kill()
        process.wait(timeout=10)


def start(running: list, folder: Path, name: str, *arguments: str) -> subprocess.Popen:
    program = folder / name
    shutil.copy2(SLEEP, program)
    process = subprocess.Popen([str(program), *(arguments or ("60",))])
    running.append(process)
    return process


def wait_for_state(pid: int, state: str) -> None:
    for _ in range(500):
        stat = Path(f"/proc/{pid}/stat").read_bytes()
        if stat[stat.rfind(b")") + 2 :].split()[0] == state.encode():
            return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} never reached state {state}")


def mismatches() -> list[str]:
    """Processes whose /proc record differs from psutil's in both of two readings (so a
    process that changed its name or exited between readings is not a mismatch)."""
    first, first_denied = procfs_processes()
    reference, reference_denied = psutil_processes()
    second, second_denied = procfs_processes()
    ours = [{p.pid: p for p in first}, {p.pid: p for p in second}]
    found = []
    for process in reference:
        if _is_zombie(process.pid):  # psutil calls a zombie's path denied; see below
            continue
        candidates = [by_pid[process.pid] for by_pid in ours if process.pid in by_pid]
        if len(candidates) == 2 and process not in candidates:
            found.append(f"{process} != {candidates[0]}")
    expected = reference_denied - _zombies()  # psutil counts a zombie's path as denied
    if expected not in (first_denied, second_denied):
        found.append(f"denied: ours {first_denied}/{second_denied}, psutil {reference_denied}")
    return found


def _zombies() -> int:
    return sum(1 for pid in os.listdir("/proc") if pid.isdigit() and _is_zombie(int(pid)))


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rfind(b")") + 2 :].split()[0] == b"Z"


def test_every_process_reads_as_psutil_reads_it(started, tmp_path):
    start(started, tmp_path, "an-agent-with-a-very-long-name")  # > 15 characters
    # A shell waiting on a builtin: arguments with a space and an empty one, and no child.
    waiting = ["/bin/sh", "-c", "read line", "two words", ""]
    started.append(subprocess.Popen(waiting, stdin=subprocess.PIPE))
    assert mismatches() == []
    [shell] = [p for p in procfs_processes()[0] if p.pid == started[-1].pid]
    assert shell.cmdline == tuple(waiting)


def test_the_table_is_the_same_set_of_processes(started, tmp_path):
    start(started, tmp_path, "counted")
    ours = {p.pid for p in procfs_processes()[0]}
    theirs = {p.pid for p in psutil_processes()[0]}
    assert os.getpid() in ours
    assert started[0].pid in ours & theirs
    assert len(ours ^ theirs) <= 2  # at most processes started or ended between the two reads


def test_a_long_name_is_completed_from_the_command_line(started, tmp_path):
    process = start(started, tmp_path, "an-agent-with-a-very-long-name")
    [found] = [p for p in procfs_processes()[0] if p.pid == process.pid]
    assert found.name == "an-agent-with-a-very-long-name"
    assert found.exe == str(tmp_path / "an-agent-with-a-very-long-name")
    assert found.cmdline == (str(tmp_path / "an-agent-with-a-very-long-name"), "60")
    assert found.ppid == os.getpid()
    assert found.started_at is not None and "T" in found.started_at


def test_a_deleted_executable_keeps_its_path(started, tmp_path):
    process = start(started, tmp_path, "vanishing-agent")
    (tmp_path / "vanishing-agent").unlink()
    [ours] = [p for p in procfs_processes()[0] if p.pid == process.pid]
    [theirs] = [p for p in psutil_processes()[0] if p.pid == process.pid]
    assert ours.exe == str(tmp_path / "vanishing-agent") == theirs.exe
    assert ours == theirs


def test_a_zombie_is_listed_without_program_and_not_counted_as_denied(started, tmp_path):
    process = start(started, tmp_path, "short-lived", "0")
    wait_for_state(process.pid, "Z")  # ended, and not reaped: Popen has not been waited on
    processes, denied = procfs_processes()
    [zombie] = [p for p in processes if p.pid == process.pid]
    assert zombie == ProcessInfo(
        pid=process.pid,
        name="short-lived",
        exe=None,
        cmdline=(),
        username=zombie.username,
        started_at=zombie.started_at,
        ppid=os.getpid(),
    )
    assert denied == procfs_processes()[1]  # the zombie is not what makes any count
    assert observe_processes()[0]  # and the scan's entry point uses this reader without error


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_an_unprivileged_user_sees_what_psutil_sees(started, tmp_path):
    # Root reads everything; an ordinary user is denied other users' program paths. A forked
    # child drops to `nobody` and compares there, reporting back through a pipe.
    import psutil  # imported before the fork: the child may not read the venv as nobody

    start(started, tmp_path, "root-owned-agent")
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        try:
            os.setgid(UNPRIVILEGED)
            os.setuid(UNPRIVILEGED)
            psutil.process_iter.cache_clear()  # it remembers root's readings of program paths
            _, denied = procfs_processes()
            connections_agree = collections.Counter(psutil_connections()) in (
                collections.Counter(procfs_connections()),
                collections.Counter(procfs_connections()),
            )
            report = {"mismatches": mismatches(), "denied": denied, "same": connections_agree}
        except BaseException as error:
            report = {"error": repr(error)}
        os.write(writing, json.dumps(report).encode())
        os._exit(0)
    os.close(writing)
    with os.fdopen(reading, "rb") as pipe:
        report = json.loads(pipe.read())
    os.waitpid(child, 0)
    assert "error" not in report, report
    assert report["mismatches"] == []
    assert report["denied"] > 0  # root's processes' paths are not readable to nobody
    assert report["same"]  # and their sockets' owners neither, to both readers


def test_one_process_read_on_its_own(started, tmp_path):
    process = start(started, tmp_path, "late-starter", "60", "61")
    found = read_process(process.pid)
    assert found is not None
    assert (found.name, found.exe, found.cmdline) == (
        "late-starter",
        str(tmp_path / "late-starter"),
        (str(tmp_path / "late-starter"), "60", "61"),
    )
    process.kill()
    process.wait(timeout=10)  # reaped: the pid is free
    assert read_process(process.pid) is None


# --- connections -------------------------------------------------------------------------------


@pytest.fixture
def sockets() -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for item in opened:
        item.close()


def listen(opened: list, family: int, address: str) -> socket.socket:
    server = socket.socket(family, socket.SOCK_STREAM)
    server.bind((address, 0))
    server.listen()
    opened.append(server)
    return server


def connect(opened: list, server: socket.socket) -> socket.socket:
    client = socket.socket(server.family, socket.SOCK_STREAM)
    client.connect(server.getsockname()[:2])
    opened.append(client)
    opened.append(server.accept()[0])
    return client


def test_every_connection_reads_as_psutil_reads_it(sockets):
    server = listen(sockets, socket.AF_INET, "127.0.0.31")
    client = connect(sockets, server)
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.32", 0))
    sockets.append(udp)
    if socket.has_ipv6 and os.path.exists("/proc/net/tcp6"):
        connect(sockets, listen(sockets, socket.AF_INET6, "::1"))

    first = collections.Counter(procfs_connections())
    reference = collections.Counter(psutil_connections())
    second = collections.Counter(procfs_connections())

    assert reference in (first, second), (reference - first, first - reference)
    ours = list(first)
    port = server.getsockname()[1]
    [listener] = [c for c in ours if c.local_port == port and c.status == "LISTEN"]
    assert listener == ("tcp", "127.0.0.31", port, None, None, "LISTEN", os.getpid())
    outgoing = [c for c in ours if c.local_port == client.getsockname()[1]]
    assert [(c.remote_ip, c.remote_port, c.status) for c in outgoing] == [
        ("127.0.0.31", port, "ESTABLISHED")
    ]
    [bound] = [c for c in ours if c.local_port == udp.getsockname()[1] and c.protocol == "udp"]
    assert (bound.local_ip, bound.status, bound.pid) == ("127.0.0.32", "NONE", os.getpid())


def test_the_scan_lists_connections_without_psutil(sockets):
    server = listen(sockets, socket.AF_INET, "127.0.0.33")
    connections, problems = observe_connections()
    assert any(c.local_port == server.getsockname()[1] for c in connections)
    assert all(p.what != "network connections" for p in problems)


@pytest.mark.parametrize(
    ("text", "family", "expected"),
    [
        ("0100007F:0016", 4, ("127.0.0.1", 22)),
        ("00000000:0000", 4, None),  # nothing bound
        ("0000000000000000FFFF00000100007F:9E49", 6, ("::ffff:127.0.0.1", 40521)),
        ("00000000000000000000000001000000:0050", 6, ("::1", 80)),
        ("0100007F:0016", 6, None),  # an IPv4 address in an IPv6 table
    ],
)
def test_addresses_are_decoded_as_psutil_decodes_them(text, family, expected):
    if sys.byteorder != "little":
        pytest.skip("the examples are written for a little-endian computer")
    assert _address(text, family) == expected


@settings(max_examples=300, deadline=None)
@given(
    st.text(max_size=60) | st.from_regex(r"[0-9A-F]{8}:[0-9A-F]{1,6}", fullmatch=True),
    st.sampled_from([4, 6]),
)
def test_a_garbled_address_is_skipped_not_a_crash(text, family):
    result = _address(text, family)
    assert result is None or (isinstance(result[0], str) and 0 < result[1] < 65536)


def _words(count: int) -> st.SearchStrategy[bytes]:
    # Mostly zeros and ffff, so that runs of zeros and embedded IPv4 addresses come up often.
    word = st.sampled_from([b"\x00\x00", b"\xff\xff", b"\x00\x01"]) | st.binary(
        min_size=2, max_size=2
    )
    return st.lists(word, min_size=count, max_size=count).map(b"".join)


@settings(max_examples=500, deadline=None)
@given(_words(8) | st.binary(min_size=16, max_size=16))
def test_ipv6_addresses_are_written_as_inet_ntop_writes_them(packed):
    assert ip_text(packed) == socket.inet_ntop(socket.AF_INET6, packed)


@settings(max_examples=200, deadline=None)
@given(st.binary(min_size=4, max_size=4))
def test_ipv4_addresses_are_written_as_inet_ntop_writes_them(packed):
    assert ip_text(packed) == socket.inet_ntop(socket.AF_INET, packed)


@settings(max_examples=200, deadline=None)
@given(
    st.binary(max_size=120)
    | st.builds(
        lambda name, rest: b"7 (" + name + b") " + rest,
        st.binary(max_size=20),
        st.binary(max_size=80),
    ),
    st.binary(max_size=60),
    st.binary(max_size=60) | st.just(b"Name:\tx\nUid:\t0\t0\t0\t0\n"),
)
def test_garbled_proc_files_never_crash_the_reader(stat, cmdline, status):
    # /proc is the kernel's, but the reader must survive anything: a fake /proc of one process.
    with tempfile.TemporaryDirectory() as fake:
        folder = Path(fake, "7")
        folder.mkdir()
        (folder / "stat").write_bytes(stat)
        (folder / "cmdline").write_bytes(cmdline)
        (folder / "status").write_bytes(status)
        Path(fake, "stat").write_bytes(b"btime 1700000000\n")
        original = processes_module.PROC
        processes_module.PROC = fake
        try:
            found, _ = procfs_processes()
        finally:
            processes_module.PROC = original
    [process] = found
    assert process.pid == 7
    assert isinstance(process.name, str) and isinstance(process.cmdline, tuple)
