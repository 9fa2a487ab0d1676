"""This computer's running processes and network connections, read through psutil as plain rows,
and the reading of them in a child process while the rest of a scan gets ready.

psutil spends most of a scan's reading time parsing /proc while holding Python's lock. On Linux,
from a process with one thread, `start_reading` forks a child that reads on the other core while
this process imports the scan's checks, loads the indicators and reads the start-up entries; the
child sends its rows back through a pipe with `marshal` (only our own child writes to that pipe)
and exits. Fork copies only the calling thread, so a process with others (the walkthrough runs a
scan on a worker thread) reads here instead, as do Windows and macOS; so does a scan whose child
failed or was killed. The rows are the same either way.

This module sits outside `core.scan` and imports nothing of it, so that the command line can start
the child before importing the scan's modules: that import takes about as long as the reading.
"""

# No `from __future__ import annotations`: `Rows` is a named tuple (docs/architecture.md).
import contextlib
import marshal
import os
import signal
import sys
import time
from typing import NamedTuple

# What is read of each process, in the order of a process row.
PROCESS_FIELDS = ("pid", "name", "exe", "cmdline", "username", "create_time", "ppid")
CONNECTIONS_DENIED = "denied"  # `Rows.connections_unread` when only an administrator may list them
_UNREADABLE = object()  # psutil's stand-in for a field it was not allowed to read
_CONNECTION_FIELDS = 7  # protocol, local address and port, remote address and port, status, pid
_CHUNK = 65536


class Rows(NamedTuple):
    """What one reading saw. A process row is `PROCESS_FIELDS` in order (an unreadable field is
    None, its name "" and its command line empty); a connection row is protocol, local address,
    local port, remote address, remote port, status and the owning pid (None if not readable)."""

    processes: list[tuple]
    denied: int  # processes whose program path or command line could not be read
    connections: list[tuple]
    connections_unread: str | None  # None, CONNECTIONS_DENIED, or why they could not be read


def read_rows(skip_pid: int | None = None) -> Rows:
    """Every process (but `skip_pid`) and every internet connection, read here and now."""
    processes, denied = read_process_rows(skip_pid)
    connections, unread = read_connection_rows()
    return Rows(processes, denied, connections, unread)


def read_process_rows(skip_pid: int | None = None) -> tuple[list[tuple], int]:
    """Every running process (but `skip_pid`) in one pass, and how many had their path or
    command line denied. A process that ends while it is being read is left out."""
    import psutil

    rows: list[tuple] = []
    denied = 0
    for process in psutil.process_iter(PROCESS_FIELDS, ad_value=_UNREADABLE):
        try:
            info = process.info
        except psutil.Error:
            continue
        if info.get("pid") == skip_pid:
            continue
        if info.get("exe") is _UNREADABLE or info.get("cmdline") is _UNREADABLE:
            denied += 1
        rows.append(_process_row(info))
    return rows, denied


def read_process_row(pid: int) -> tuple | None:
    """One process's row (for one that started after the list was taken); None if it has gone."""
    import psutil

    try:
        info = psutil.Process(pid).as_dict(list(PROCESS_FIELDS), ad_value=_UNREADABLE)
    except psutil.Error:
        return None
    return _process_row(info)


def _process_row(info: dict) -> tuple:
    def readable(name: str) -> object:
        value = info.get(name)
        return None if value is _UNREADABLE else value

    return (
        int(info["pid"]),
        readable("name") or "",
        readable("exe") or None,
        tuple(str(part) for part in readable("cmdline") or ()),
        readable("username"),
        readable("create_time"),
        readable("ppid"),
    )


def read_connection_rows() -> tuple[list[tuple], str | None]:
    """Every internet connection and listener with an address, and None; or no rows and
    CONNECTIONS_DENIED (only an administrator may list them here) or why they could not be read."""
    import socket

    import psutil

    try:
        listed = psutil.net_connections(kind="inet")
    except psutil.AccessDenied:
        return [], CONNECTIONS_DENIED
    except OSError as error:
        return [], str(error)
    rows = [
        (
            "tcp" if connection.type == socket.SOCK_STREAM else "udp",
            connection.laddr.ip,
            connection.laddr.port,
            connection.raddr.ip if connection.raddr else None,
            connection.raddr.port if connection.raddr else None,
            connection.status,
            connection.pid,
        )
        for connection in listed
        if connection.laddr
    ]
    return rows, None


class Reading:
    """A reading under way: in a child process, or (with no child) done here when `rows()` is
    asked for, once. `started` is when it began (POSIX time); `child_failed` says, after
    `rows()`, that a child was started but its rows could not be used (so they were read here)."""

    def __init__(self, child: int | None = None, pipe: int | None = None) -> None:
        self.started = time.time()
        self.child_failed = False
        self._child = child
        self._pipe = pipe

    @property
    def in_child(self) -> bool:
        return self._child is not None

    @property
    def child_pid(self) -> int | None:
        return self._child

    def rows(self) -> Rows:
        """What was read. A child that failed, was killed or sent something unreadable is
        waited for and the reading is done here instead: a scan never loses its processes."""
        if self._child is None or self._pipe is None:
            return read_rows()
        data = _read_all(self._pipe)
        if self._reap():
            try:
                rows = Rows._make(marshal.loads(data))
            except (EOFError, ValueError, TypeError):
                rows = None
            if rows is not None and _well_formed(rows):
                return rows
        self.child_failed = True
        return read_rows()

    def abandon(self) -> None:
        """The scan will not finish: stop the child and reap it."""
        if self._child is not None and self._pipe is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._child, signal.SIGKILL)
            self._reap()

    def _reap(self) -> bool:
        """Close the pipe and wait for the child; whether it exited cleanly. Where children are
        reaped by the system (SIGCHLD ignored by whoever started us) there is no status to
        read, and what the child sent decides alone (a cut-short message does not unmarshal)."""
        os.close(self._pipe)
        self._pipe = None
        try:
            _, status = os.waitpid(self._child, 0)
        except ChildProcessError:
            return True
        return status == 0


def start_reading() -> Reading:
    """Begin reading processes and connections: in a child process where that is safe and
    possible (a computer at its limit of processes or open files reads here instead)."""
    if not _can_fork():
        return Reading()
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return Reading()
    try:
        child = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return Reading()
    if child == 0:
        _read_in_child(write_end)
    os.close(write_end)
    return Reading(child, read_end)


def _can_fork() -> bool:
    """Linux, and this process has one thread (fork copies only the calling thread, and a lock
    another thread held would never be released in the child)."""
    if not sys.platform.startswith("linux") or not hasattr(os, "fork"):
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _read_in_child(write_end: int) -> None:
    """The child: read, send the rows, and leave at once (never running the parent's code on)."""
    status = 1
    try:
        _keep_only(write_end)
        data = memoryview(marshal.dumps(tuple(read_rows(skip_pid=os.getpid()))))
        while data:
            data = data[os.write(write_end, data) :]
        status = 0
    finally:
        os._exit(status)


def _keep_only(descriptor: int) -> None:
    """Close everything the child inherited but `descriptor`: a socket of the parent's still
    open in the child could be listed as the child's, and the parent's output held open would
    keep whoever reads it waiting for the child. Standard input, output and error become
    /dev/null, so that nothing the child might print lands in a file it opened."""
    os.closerange(0, descriptor)
    os.closerange(descriptor + 1, max(os.sysconf("SC_OPEN_MAX"), descriptor + 2))
    for standard in (0, 1, 2):
        if standard != descriptor:
            null = os.open(os.devnull, os.O_RDWR)
            if null != standard:
                os.dup2(null, standard)
                os.close(null)


def _well_formed(rows: Rows) -> bool:
    """Rows of the shape `read_rows` makes (a child's message is checked, not trusted)."""
    return (
        type(rows.processes) is list
        and all(type(row) is tuple and len(row) == len(PROCESS_FIELDS) for row in rows.processes)
        and type(rows.denied) is int
        and type(rows.connections) is list
        and all(type(row) is tuple and len(row) == _CONNECTION_FIELDS for row in rows.connections)
        and (rows.connections_unread is None or type(rows.connections_unread) is str)
    )


def _read_all(pipe: int) -> bytes:
    chunks = []
    while chunk := os.read(pipe, _CHUNK):
        chunks.append(chunk)
    return b"".join(chunks)
