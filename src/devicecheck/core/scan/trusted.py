"""When a program may be trusted by where it lives: the allow rules the behaviour checks share.

A name alone is never enough (anyone can call a keylogger `Xorg`). A known program is trusted
only when its file is in a system program folder, owned by root and writable by no one else:
putting a file there needs the administrator's password, as installing a package does. For a
script (`python3 /usr/bin/input-remapper-service`), the script file must pass the same test.
"""

import os
import re
import stat
from collections.abc import Sequence

from devicecheck.core.scan.findings import ProcessInfo, ScanContext
from devicecheck.core.scan.matching import basename

# Folders where only the package manager (root) puts programs: the FHS (refspecs.linuxfoundation
# .org/FHS_3.0) /usr, /bin, /sbin, /lib, /usr/local; NixOS's /nix/store and /run/current-system;
# Guix's /gnu/store; snapd's /snap (read-only squashfs images).
SYSTEM_PROGRAM_DIRS: tuple[str, ...] = (
    "/usr/",
    "/bin/",
    "/sbin/",
    "/lib/",
    "/lib64/",
    "/opt/",
    "/nix/store/",
    "/run/current-system/",
    "/gnu/store/",
    "/snap/",
)

# Interpreters: the program file is the interpreter, the program is the script it runs.
_INTERPRETER = re.compile(
    r"^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|bash|sh|dash|zsh|ksh|php[0-9.]*|"
    r"lua[0-9.]*|java|gjs|tclsh[0-9.]*)$"
)


def is_interpreter(program: str) -> bool:
    return bool(_INTERPRETER.match(basename(program)))


def script_of(cmdline: Sequence[str]) -> str | None:
    """The script an interpreter's command line runs (`python3 -u /usr/bin/tool` gives the
    path), or None when it runs code given on the command line or reads standard input."""
    for argument in cmdline[1:]:
        if argument in ("-c", "-e", "-m", "--eval", "-"):
            return None
        if argument.startswith("-"):
            continue
        return argument
    return None


def is_system_file(
    path: str | None, system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS, root: str = ""
) -> bool:
    """True when `path` is in a system program folder, owned by root and writable only by root.

    `root` is the file system the path belongs to: a process's `/proc/PID/root`, so that a
    program in a container is looked up in the container (where that cannot be read, the path is
    looked up here).
    """
    if not path or not path.startswith(tuple(system_dirs)) or "/../" in path:
        return False
    try:
        status = os.stat(root + path) if root else os.stat(path)
    except OSError:  # not readable there, or the process has ended: look it up here
        return is_system_file(path, system_dirs) if root else False
    writable_by_others = status.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    return stat.S_ISREG(status.st_mode) and status.st_uid == 0 and not writable_by_others


def program_of(process: ProcessInfo) -> str | None:
    """The file that decides what a process does: its program file, or an interpreter's script."""
    if process.exe and is_interpreter(process.exe):
        return script_of(process.cmdline)
    return process.exe


def trusted_as(
    process: ProcessInfo,
    names: Sequence[str] | frozenset[str] | dict[str, str],
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
) -> str | None:
    """The known name this process is, when its program (or script) file has that name and is a
    system file; otherwise None."""
    program = program_of(process)
    if not program:
        return None
    name = basename(program)
    if name in names and is_system_file(program, system_dirs):
        return name
    return None


def unreported_processes(context: ScanContext) -> dict[int, ProcessInfo]:
    """The running processes by pid, less those the indicator stages already reported: one
    running program is one finding, and a program a list names keeps that finding."""
    reported = {finding.process.pid for finding in context.findings if finding.process}
    return {p.pid: p for p in context.processes if p.pid not in reported}
