"""Hidden programs on Linux: running programs that make themselves hard to see.

Three signs, each a habit of software that does not want to be found:
- its program file was deleted after it started (nothing left on disk to find or inspect);
- it calls itself like a part of the kernel (`[kworker/0:1]`), which people learn to ignore in
  a process list, although it is an ordinary program with a file of its own;
- it calls itself like a system program (`systemd-journal`, `sshd`) but its file is somewhere
  else, or it runs from a temporary folder under a name other than its file's.

observe (`observe_hidden`: program paths, /proc/PID/exe links where a path is gone) -> judge (`check_hidden_programs`).
What is allowed, and why: a program replaced by an update (its path exists again), a program
running from memory as container runtimes do (listed as not examined, not as a finding),
interpreters and multi-call programs (judged by the file they run, `core.scan.trusted`), and
AppImages (which run from `/tmp/.mount_*` under their own name).
"""

import os
from collections.abc import Iterable, Sequence
from typing import NamedTuple

from devicecheck.core.scan import procfs
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Finding,
    Match,
    NotExamined,
    ProcessInfo,
    ScanContext,
    access_denied_reason,
    advice_for_behaviour,
    make_behaviour_finding,
)
from devicecheck.core.scan.matching import basename
from devicecheck.core.scan.trusted import SYSTEM_PROGRAM_DIRS, is_system_file, unreported_processes

COMM_LENGTH = 15  # the kernel keeps 15 bytes of a process's own name (TASK_COMM_LEN - 1)

# Names the kernel gives its own threads (Documentation/core-api/workqueue.rst for kworker;
# the rest as `ps` shows them on any Linux: ksoftirqd, migration, rcu_*, kswapd, jbd2 ...):
# prefixes, and whole names.
KERNEL_THREAD_PREFIXES = (
    "kworker/",
    "ksoftirqd/",
    "migration/",
    "rcu_",
    "kswapd",
    "watchdog/",
    "jbd2/",
    "kcompactd",
    "irq/",
    "cpuhp/",
    "idle_inject/",
    "scsi_eh_",
    "kdamond",
    "pool_workqueue",
    "napi/",
    "xfsaild/",
    "ext4-rsv",
)
KERNEL_THREAD_NAMES = frozenset(
    {
        "kthreadd",
        "kworker",
        "kthread",
        "watchdogd",
        "kblockd",
        "kauditd",
        "khungtaskd",
        "khugepaged",
        "ksmd",
        "oom_reaper",
        "kdevtmpfs",
        "kintegrityd",
        "kthrotld",
        "writeback",
        "kstrp",
        "ecryptfs-kthread",
        "cryptd",
    }
)


def is_kernel_thread_name(name: str) -> bool:
    return name in KERNEL_THREAD_NAMES or name.startswith(KERNEL_THREAD_PREFIXES)


# System programs people expect to see running, by the name the kernel keeps (15 bytes). Each is
# a program of a Debian package (packages.debian.org: systemd, openssh-server, cron, dbus,
# rsyslog, network-manager, policykit-1, accountsservice, udisks2, upower, avahi-daemon, cups,
# bluez, modemmanager, gdm3, sddm, lightdm, xserver-xorg-core, pipewire, wireplumber, pulseaudio,
# gnome-shell, kwin-wayland, gvfs, dconf-service, xdg-desktop-portal, snapd, packagekit,
# thermald, irqbalance, chrony, ntp, containerd, docker.io, util-linux (agetty, login)).
SYSTEM_PROGRAM_NAMES = frozenset(
    name[:COMM_LENGTH]
    for name in (
        "systemd",
        "systemd-journald",
        "systemd-udevd",
        "systemd-logind",
        "systemd-resolved",
        "systemd-networkd",
        "systemd-timesyncd",
        "init",
        "sshd",
        "cron",
        "crond",
        "atd",
        "dbus-daemon",
        "dbus-broker",
        "rsyslogd",
        "NetworkManager",
        "wpa_supplicant",
        "polkitd",
        "accounts-daemon",
        "udisksd",
        "upowerd",
        "avahi-daemon",
        "cupsd",
        "bluetoothd",
        "ModemManager",
        "gdm",
        "gdm3",
        "sddm",
        "lightdm",
        "Xorg",
        "pipewire",
        "wireplumber",
        "pulseaudio",
        "gnome-shell",
        "kwin_wayland",
        "gvfsd",
        "dconf-service",
        "xdg-desktop-portal",
        "snapd",
        "packagekitd",
        "thermald",
        "irqbalance",
        "chronyd",
        "ntpd",
        "containerd",
        "dockerd",
        "agetty",
        "login",
    )
)
TEMPORARY_DIRS: tuple[str, ...] = ("/tmp/", "/var/tmp/", "/dev/shm/")
# The AppImage runtime mounts each running AppImage at /tmp/.mount_<name><random>
# (docs.appimage.org/user-guide/troubleshooting/fuse.html).
APPIMAGE_MOUNT = "/tmp/.mount_"
MEMFD_PREFIX = "/memfd:"


class ExeLink(NamedTuple):
    pid: int
    link: str  # /proc/PID/exe as the kernel gives it, " (deleted)" included


class Observed(NamedTuple):
    links: tuple[ExeLink, ...]
    denied: int


def observe_hidden(processes: Iterable[ProcessInfo], proc: str = procfs.PROC) -> Observed:
    """The program link of every process whose program file the scan could name.

    psutil gives the path without the kernel's " (deleted)" mark, so the link itself is read
    only where that path no longer exists (a deleted file, a program run from memory, or one
    in another container); existing paths are looked up once each (500 copies of one program
    cost one look-up).
    """
    links = []
    denied = 0
    exists: dict[str, bool] = {}
    for process in processes:
        if not process.exe:  # a kernel thread, or denied (counted by the processes stage)
            continue
        if process.exe not in exists:
            exists[process.exe] = os.path.exists(process.exe)
        if exists[process.exe]:
            links.append(ExeLink(process.pid, process.exe))
            continue
        try:
            links.append(ExeLink(process.pid, procfs.exe_link(process.pid, proc)))
        except PermissionError:
            denied += 1
        except OSError:  # ended
            continue
    return Observed(tuple(links), denied)


class Sign(NamedTuple):
    what: str  # deleted | kernel-name | system-name | temporary-name
    value: str
    words: str


def deleted_file(link: ExeLink, proc: str = procfs.PROC) -> Sign | None:
    if not link.link.endswith(procfs.DELETED_SUFFIX) or link.link.startswith(MEMFD_PREFIX):
        return None
    path = link.link[: -len(procfs.DELETED_SUFFIX)]
    if os.path.exists(f"{proc}/{link.pid}/root{path}") or os.path.exists(path):
        return None  # replaced by an update while it ran: the new file is there
    return Sign(
        "deleted",
        link.link,
        f"The program file of “{{name}}” ({path}) was deleted after the program started, so "
        "it keeps running with nothing left on disk to find. Programs are sometimes removed "
        "while running (an uninstall); software that hides itself does this on purpose.",
    )


def kernel_name(process: ProcessInfo) -> Sign | None:
    first = process.cmdline[0] if process.cmdline else ""
    for name in (process.name[:COMM_LENGTH], first.strip().strip("[]")):
        if name and is_kernel_thread_name(name):
            return Sign(
                "kernel-name",
                name,
                f"The program “{name}” calls itself like a part of the Linux kernel, but it is "
                "an ordinary program with a file of its own ({exe}). Real kernel parts have no "
                "program file; software that hides itself takes such names because people learn "
                "to ignore them.",
            )
    return None


def disguised_name(
    process: ProcessInfo,
    path: str,
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
    root: str = "",
) -> Sign | None:
    name = process.name[:COMM_LENGTH]
    if name in SYSTEM_PROGRAM_NAMES and not is_system_file(path, system_dirs, root):
        return Sign(
            "system-name",
            name,
            f"The program “{name}” has the name of a system program, but its file is {path}, "
            "not the installed system program. Software that hides itself takes such names.",
        )
    if path.startswith(TEMPORARY_DIRS) and not path.startswith(APPIMAGE_MOUNT):
        file_name = basename(path)[:COMM_LENGTH]
        if name and name != file_name:
            return Sign(
                "temporary-name",
                name,
                f"The program “{name}” runs from a temporary folder ({path}) under a name that "
                "is not its file's name. Software that hides itself does this.",
            )
    return None


def check_hidden_programs(
    links: Iterable[ExeLink],
    process_of,
    region: str | None = None,
    *,
    proc: str = procfs.PROC,
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
) -> tuple[list[Finding], int]:
    """Findings for processes showing a sign above, and how many run from memory."""
    findings = []
    in_memory = 0
    for link in links:
        if link.link.startswith(MEMFD_PREFIX):
            in_memory += 1
            continue
        process = process_of(link.pid)
        if process is None:
            continue
        path = link.link.removesuffix(procfs.DELETED_SUFFIX)
        sign = (
            deleted_file(link, proc)
            or kernel_name(process)
            or disguised_name(process, path, system_dirs, f"{proc}/{link.pid}/root")
        )
        if sign is not None:
            findings.append(_finding(process, sign, region))
    return findings, in_memory


def _finding(process: ProcessInfo, sign: Sign, region: str | None) -> Finding:
    what = sign.words.replace("{name}", process.name).replace("{exe}", process.exe or "?")
    deleted = sign.what == "deleted"
    return make_behaviour_finding(
        kind="hidden",
        app=process.name or f"process {process.pid}",
        category="spyware",
        severity="medium" if deleted else "high",
        confidence="medium",
        matched=Match(_SIGN_LABELS[sign.what], "behaviour", sign.value),
        process=process,
        advice=advice_for_behaviour(
            what + " If you do not know this program, it may be watching this computer.", region
        ),
        detail={"sign": sign.what},
    )


_SIGN_LABELS = {
    "deleted": "a running program whose file was deleted",
    "kernel-name": "a program named like a part of the kernel",
    "system-name": "a program named like a system program it is not",
    "temporary-name": "a program in a temporary folder under another name",
}


def check_hidden(context: ScanContext) -> CheckOutcome:
    """Linux only: running programs that hide their file or their name."""
    if not context.platform.startswith("linux"):
        return CheckOutcome()
    by_pid = unreported_processes(context)
    observed = observe_hidden(context.processes)
    findings, in_memory = check_hidden_programs(observed.links, by_pid.get, context.region)
    not_examined = []
    if observed.denied:
        not_examined.append(
            NotExamined(
                "program files of some processes (hidden programs check)",
                access_denied_reason(),
                observed.denied,
            )
        )
    if in_memory:
        not_examined.append(
            NotExamined(
                "programs running from memory, with no program file",
                "container runtimes and sandboxes run programs this way; there is no file to "
                "check, so they are not reported",
                in_memory,
            )
        )
    return CheckOutcome(
        findings=tuple(findings),
        examined={"program_files_checked": len(observed.links)},
        not_examined=tuple(not_examined),
    )
