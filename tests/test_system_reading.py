"""Reading processes and connections in a child process (core.system_reading), against real
processes, a real listener and real kills: the child's rows are what reading here gives, the
parent's sockets stay the parent's, and a child that dies or lies costs the scan nothing."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.core.system_reading import PROCESS_FIELDS, Reading, read_rows, start_reading
from tests.conftest import devicecheck_command
from tests.indicator_sets import indicator_set

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="forks on Linux")

SLEEP = shutil.which("sleep") or "/bin/sleep"


@pytest.fixture
def planted(tmp_path: Path) -> Iterator[subprocess.Popen]:
    """A real running program under a name no other process has."""
    program = tmp_path / "reading-probe-7q"
    shutil.copy2(SLEEP, program)
    process = subprocess.Popen([str(program), "60"])
    yield process
    process.kill()
    process.wait(timeout=10)


def run_alone(script: str) -> dict:
    """`script` in a fresh single-threaded Python; what it prints as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def by_pid(rows: list) -> dict[int, tuple]:
    return {row[0]: row for row in rows}


def test_a_single_threaded_process_reads_in_a_child_and_sees_what_reading_here_sees(planted):
    seen = run_alone(
        """
        import json, os
        from devicecheck.core.system_reading import start_reading
        reading = start_reading()
        rows = reading.rows()
        print(json.dumps({
            "in_child": reading.in_child, "child": reading.child_pid,
            "failed": reading.child_failed, "me": os.getpid(),
            "processes": rows.processes, "denied": rows.denied,
        }))
        """
    )
    assert seen["in_child"] and not seen["failed"]
    processes = by_pid(seen["processes"])
    assert seen["child"] not in processes  # the scan's own helper is not something running here
    assert seen["me"] in processes  # the scan itself is
    row = processes[planted.pid]
    fields = dict(zip(PROCESS_FIELDS, row, strict=True))
    assert fields["name"] == "reading-probe-7q"
    assert fields["cmdline"][1:] == ["60"]
    assert fields["exe"].endswith("/reading-probe-7q")
    assert fields["ppid"] == os.getpid()
    assert isinstance(fields["create_time"], float)
    assert planted.pid in by_pid(read_rows().processes)


def test_the_parents_connections_are_listed_as_the_parents_not_the_childs():
    seen = run_alone(
        """
        import json, os, socket
        from devicecheck.core.system_reading import start_reading
        listener = socket.socket()
        listener.bind(("127.0.0.9", 0))
        listener.listen()
        port = listener.getsockname()[1]
        reading = start_reading()
        rows = reading.rows()
        mine = [row for row in rows.connections if row[2] == port]
        print(json.dumps({"in_child": reading.in_child, "me": os.getpid(), "mine": mine}))
        """
    )
    assert seen["in_child"]
    assert [(row[1], row[5], row[6]) for row in seen["mine"]] == [
        ("127.0.0.9", "LISTEN", seen["me"])
    ]


def test_a_child_killed_with_kill_9_costs_nothing(planted):
    seen = run_alone(
        """
        import json, os, signal
        from devicecheck.core.system_reading import start_reading
        reading = start_reading()
        os.kill(reading.child_pid, signal.SIGKILL)
        rows = reading.rows()
        print(json.dumps({"in_child": reading.in_child, "failed": reading.child_failed,
                          "pids": [row[0] for row in rows.processes]}))
        """
    )
    assert seen["in_child"] and seen["failed"]
    assert planted.pid in seen["pids"]


@pytest.mark.parametrize(
    "sent, status",
    [
        (b"\xe3\x00\x00\x00", 0),  # a marshalled tuple cut short
        (b"not marshal at all", 0),
        (b"", 0),  # nothing sent, a clean exit
        (__import__("marshal").dumps(("one", "two")), 0),  # not the shape of Rows
        (__import__("marshal").dumps(([], 0, [], None)), 3),  # the right shape, a failed exit
        (__import__("marshal").dumps(([(1, 2)], 0, [], None)), 0),  # a process row cut short
        (__import__("marshal").dumps(([], "0", [], None)), 0),
        (__import__("marshal").dumps(([], 0, [("tcp",)], None)), 0),
        (__import__("marshal").dumps(([], 0, [], 5)), 0),
    ],
)
def test_a_child_that_sends_something_unusable_is_read_here_instead(planted, sent, status):
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # a real child that writes what it writes and exits
        try:
            os.write(write_end, sent)
        finally:
            os._exit(status)
    os.close(write_end)
    reading = Reading(child, read_end)

    rows = reading.rows()

    assert reading.child_failed
    assert planted.pid in by_pid(rows.processes)
    with pytest.raises(ChildProcessError):  # reaped: no zombie is left behind
        os.waitpid(child, os.WNOHANG)


def test_a_process_with_other_threads_reads_here(planted):
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        reading = start_reading()
        rows = reading.rows()
    finally:
        stop.set()
        other.join()
    assert not reading.in_child and not reading.child_failed
    assert planted.pid in by_pid(rows.processes)


def test_an_abandoned_reading_leaves_no_child_behind():
    seen = run_alone(
        """
        import json, os
        from devicecheck.core.system_reading import start_reading
        reading = start_reading()
        child = reading.child_pid
        reading.abandon()
        try:
            os.waitpid(child, os.WNOHANG)
            reaped = False
        except ChildProcessError:
            reaped = True
        print(json.dumps({"in_child": reading.in_child, "reaped": reaped}))
        """
    )
    assert seen == {"in_child": True, "reaped": True}


def test_the_child_holds_nothing_of_the_parents_open(tmp_path):
    """The child closes what it inherited: a stopped child holds only its pipe, and /dev/null
    as its standard input, output and error."""
    seen = run_alone(
        f"""
        import json, os, signal
        from devicecheck.core import system_reading
        marker = open({str(tmp_path / "held-by-parent")!r}, "w")
        original = system_reading.read_rows
        def stop_then_read(skip_pid=None):
            os.kill(os.getpid(), signal.SIGSTOP)
            return original(skip_pid)
        system_reading.read_rows = stop_then_read
        reading = system_reading.start_reading()
        child = reading.child_pid
        os.waitpid(child, os.WUNTRACED)  # stopped, after closing what it inherited
        folder = f"/proc/{{child}}/fd"
        held = sorted(os.readlink(f"{{folder}}/{{fd}}") for fd in os.listdir(folder))
        os.kill(child, signal.SIGCONT)
        reading.rows()
        print(json.dumps({{"held": held}}))
        """
    )
    pipes = [target for target in seen["held"] if target.startswith("pipe:")]
    others = [target for target in seen["held"] if not target.startswith("pipe:")]
    assert len(pipes) == 1, seen["held"]
    assert others == ["/dev/null"] * 3, seen["held"]  # standard input, output and error


def test_a_scan_with_threads_running_still_finds_the_program(planted, tmp_path):
    """The walkthrough scans on a worker thread: the same scan, read here."""
    from devicecheck.core.indicators.model import AppIndicator
    from devicecheck.core.scan import AutostartRoots, run_scan

    indicators = indicator_set(
        AppIndicator(
            "test:probe", "Probe", "stalkerware", "test", process_names=("reading-probe-7q",)
        )
    )
    roots = AutostartRoots(home=tmp_path, system=tmp_path)
    results = []
    worker = threading.Thread(
        target=lambda: results.append(run_scan(indicators, autostart_roots=roots))
    )
    worker.start()
    worker.join(timeout=60)
    (result,) = results
    assert [f.process.pid for f in result.findings if f.app == "Probe"] == [planted.pid]


def test_ctrl_c_in_the_child_leaves_no_traceback_and_loses_nothing(planted, tmp_path):
    """Ctrl+C at a terminal reaches the child too: it leaves without a traceback, and the
    processes are read here."""
    reading_now = tmp_path / "child-is-reading"
    script = textwrap.dedent(
        f"""
        import os, signal, time
        from devicecheck.core import system_reading
        original = system_reading.read_rows
        def slow(skip_pid=None):
            if skip_pid is not None:  # in the child
                open({str(reading_now)!r}, "w").close()
                time.sleep(5)
            return original(skip_pid)
        system_reading.read_rows = slow
        reading = system_reading.start_reading()
        while not os.path.exists({str(reading_now)!r}):
            time.sleep(0.01)
        os.kill(reading.child_pid, signal.SIGINT)
        rows = reading.rows()
        print(reading.child_failed, {planted.pid} in [row[0] for row in rows.processes])
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True"]
    assert "Traceback" not in result.stderr


def test_where_children_are_reaped_by_the_system_the_rows_still_come(planted):
    """Started with SIGCHLD ignored (some supervisors do), the child is reaped by the kernel:
    there is no exit status to wait for, and the scan must not fail for it."""
    seen = run_alone(
        """
        import json, signal
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)
        from devicecheck.core.system_reading import start_reading
        reading = start_reading()
        rows = reading.rows()
        print(json.dumps({"in_child": reading.in_child, "failed": reading.child_failed,
                          "pids": [row[0] for row in rows.processes]}))
        """
    )
    assert seen["in_child"] and not seen["failed"]
    assert planted.pid in seen["pids"]


def test_an_abandoned_reading_stops_a_slow_child_at_once(tmp_path):
    seen = run_alone(
        """
        import json, time
        from devicecheck.core import system_reading
        def never_done(skip_pid=None):
            time.sleep(30)
        system_reading.read_rows = never_done
        reading = system_reading.start_reading()
        started = time.monotonic()
        reading.abandon()
        print(json.dumps({"in_child": reading.in_child, "seconds": time.monotonic() - started}))
        """
    )
    assert seen["in_child"]
    assert seen["seconds"] < 10  # stopped, not waited 30 seconds for


def test_the_real_scan_started_with_sigchld_ignored_finds_the_planted_program(planted, tmp_path):
    curated = tmp_path / "probe.yaml"
    curated.write_text(
        "source: {id: probe-list, name: Probe list, licence: CC0}\napps:\n"
        "  - id: probe\n    name: Probe\n    category: stalkerware\n"
        "    process_names: [reading-probe-7q]\n",
        encoding="utf-8",
    )
    environment = {**os.environ, "DEVICECHECK_HOME": str(tmp_path / "data")}
    environment.pop("DEVICECHECK_DEBUG", None)
    result = subprocess.run(
        [*devicecheck_command(), "scan", "--json", "--indicators", str(curated)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
        preexec_fn=lambda: signal.signal(signal.SIGCHLD, signal.SIG_IGN),
    )
    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    found = [f for f in document["findings"] if f["app"] == "Probe"]
    assert [f["process"]["pid"] for f in found] == [planted.pid]
    assert document["examined"]["processes"] > 1


def test_with_no_file_left_to_open_the_reading_is_done_here(planted):
    """At the limit of open files there is no pipe for a child: the reading is done here."""
    seen = run_alone(
        """
        import json, os, resource
        from devicecheck.core.system_reading import start_reading
        import psutil  # what reading here needs, loaded before the limit
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
        resource.setrlimit(resource.RLIMIT_NOFILE, (highest + 1, hard))
        reading = start_reading()
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        rows = reading.rows()
        print(json.dumps({"in_child": reading.in_child,
                          "pids": [row[0] for row in rows.processes]}))
        """
    )
    assert not seen["in_child"]
    assert planted.pid in seen["pids"]


PIDS_CGROUP = Path("/sys/fs/cgroup/pids")


def test_a_computer_at_its_limit_of_processes_still_scans(planted, tmp_path):
    """A real limit on processes (a pids cgroup allowing only the scan itself): no child can be
    started, and the real scan still finds the planted program instead of failing."""
    group = PIDS_CGROUP / f"devicecheck-test-{os.getpid()}"
    try:
        group.mkdir()
        (group / "pids.max").write_text("1")
    except OSError as error:
        pytest.skip(f"no pids cgroup to limit processes with here ({error})")
    curated = tmp_path / "probe.yaml"
    curated.write_text(
        "source: {id: probe-list, name: Probe list, licence: CC0}\napps:\n"
        "  - id: probe\n    name: Probe\n    category: stalkerware\n"
        "    process_names: [reading-probe-7q]\n",
        encoding="utf-8",
    )
    environment = {**os.environ, "DEVICECHECK_HOME": str(tmp_path / "data")}
    environment.pop("DEVICECHECK_DEBUG", None)
    try:
        result = subprocess.run(
            [*devicecheck_command(), "scan", "--json", "--indicators", str(curated)],
            capture_output=True,
            text=True,
            env=environment,
            timeout=120,
            check=False,
            preexec_fn=lambda: (group / "cgroup.procs").write_text(str(os.getpid())),
        )
        limited = "max 0" not in (group / "pids.events").read_text()
    finally:
        group.rmdir()
    assert limited, "the limit was never reached: this test did not test anything"
    assert result.returncode == 1, result.stderr
    found = [f for f in json.loads(result.stdout)["findings"] if f["app"] == "Probe"]
    assert [f["process"]["pid"] for f in found] == [planted.pid]
