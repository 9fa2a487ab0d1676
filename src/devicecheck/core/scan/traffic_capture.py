"""Traffic capture on Linux: a program reading everything this computer sends and receives.

Two signs: a process holding a packet socket (listed in /proc/net/packet; it sees whole network
packets, not only its own connections), and a network interface in promiscuous mode (it takes in
traffic meant for other devices on the network too). Network set-up programs use packet
sockets for honest reasons (DHCP, Wi-Fi log-in) and are allowed when they are the installed
program (`core.scan.trusted`); a capture tool (tcpdump, Wireshark's dumpcap) is reported,
since it captures traffic whoever runs it.

observe (`packet_socket_holders`, `promiscuous_interfaces`) -> judge (`check_*`).
"""

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
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
from devicecheck.core.scan.trusted import SYSTEM_PROGRAM_DIRS, trusted_as, unreported_processes

PROC_NET_PACKET = "/proc/net/packet"
SYSFS_NET = "/sys/class/net"
IFF_PROMISC = 0x100  # include/uapi/linux/if.h

# Network set-up programs that open packet sockets, with the page that says why.
KNOWN_PACKET_USERS: Mapping[str, str] = {
    "NetworkManager": "https://networkmanager.dev/docs/api/latest/NetworkManager.conf.html "
    "(internal DHCP client, nettools n-dhcp4: packet sockets)",
    "dhclient": "https://manpages.debian.org/dhclient.8 (ISC DHCP: Linux packet filter)",
    "dhcpcd": "https://manpages.debian.org/dhcpcd.8",
    "udhcpc": "https://busybox.net/downloads/BusyBox.html#udhcpc",
    "wpa_supplicant": "https://w1.fi/wpa_supplicant/devel/ (l2_packet: EAPOL frames)",
    "hostapd": "https://w1.fi/hostapd/",
    "iwd": "https://iwd.wiki.kernel.org/",
    "systemd-networkd": "https://www.freedesktop.org/software/systemd/man/latest/"
    "systemd.network.html (DHCPv4 client)",
    "connmand": "https://git.kernel.org/pub/scm/network/connman/connman.git",
    "dnsmasq": "https://thekelleys.org.uk/dnsmasq/doc.html (DHCP server)",
    "avahi-autoipd": "https://manpages.debian.org/avahi-autoipd.8 (ARP probes)",
    "lldpd": "https://lldpd.github.io/",
    "pppd": "https://manpages.debian.org/pppd.8",
    "pppoe": "https://manpages.debian.org/pppoe.8",
    "kea-dhcp4": "https://kea.readthedocs.io/ (raw sockets for DHCPv4)",
}


class PacketSocket(NamedTuple):
    inode: int
    uid: int
    interface: int  # 0: every interface


def parse_proc_net_packet(text: str) -> list[PacketSocket]:
    """Rows of /proc/net/packet: sk RefCnt Type Proto Iface R Rmem User Inode."""
    sockets = []
    for line in text.splitlines()[1:]:
        fields = line.split()
        if len(fields) < 9:
            continue
        try:
            sockets.append(PacketSocket(int(fields[8]), int(fields[7]), int(fields[4])))
        except ValueError:
            continue
    return sockets


class Holders(NamedTuple):
    by_pid: dict[int, tuple[int, ...]]  # pid -> packet-socket inodes it holds
    denied: int


def packet_socket_holders(
    inodes: Iterable[int], pids: Iterable[int], proc: str = procfs.PROC
) -> Holders:
    wanted = {f"socket:[{inode}]": inode for inode in inodes}
    found: dict[int, tuple[int, ...]] = {}
    denied = 0
    if not wanted:
        return Holders(found, 0)
    for pid in pids:
        try:
            held = tuple(wanted[t] for t in procfs.fd_targets(pid, proc) if t in wanted)
        except PermissionError:
            denied += 1
            continue
        except OSError:
            continue
        if held:
            found[pid] = held
    return Holders(found, denied)


def check_packet_sockets(
    holders: Mapping[int, tuple[int, ...]],
    process_of,
    region: str | None = None,
    *,
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
) -> list[Finding]:
    findings = []
    for pid, inodes in holders.items():
        process = process_of(pid)
        if process is None or trusted_as(process, KNOWN_PACKET_USERS, system_dirs):
            continue
        findings.append(_capture_finding(process, inodes, region))
    return findings


def _capture_finding(process: ProcessInfo, inodes: tuple[int, ...], region: str | None) -> Finding:
    what = (
        f"The program “{process.name}” ({process.exe or 'program file not readable'}) is "
        "capturing this computer's network traffic: it can see every website visited, and read "
        "whatever is sent without encryption. Network tools such as Wireshark or tcpdump do "
        "this when someone runs them on purpose; if you did not, someone may be watching "
        "your internet use."
    )
    return make_behaviour_finding(
        kind="traffic-capture",
        app=process.name or f"process {process.pid}",
        category="spyware",
        severity="high",
        confidence="medium",
        matched=Match(
            "a program capturing network traffic", "packet_socket", f"socket:[{inodes[0]}]"
        ),
        process=process,
        advice=advice_for_behaviour(what, region),
        detail={"packet_sockets": list(inodes)},
    )


def promiscuous_interfaces(sysfs: str = SYSFS_NET) -> list[str]:
    """Interfaces whose flags have IFF_PROMISC, less bridge ports (the bridge driver puts every
    port in promiscuous mode itself: net/bridge/br_if.c, br_manage_promisc)."""
    found = []
    root = Path(sysfs)
    try:
        interfaces = sorted(entry.name for entry in root.iterdir())
    except OSError:
        return []
    for name in interfaces:
        try:
            flags = int((root / name / "flags").read_text(encoding="ascii").strip(), 16)
        except (OSError, ValueError, UnicodeDecodeError):
            continue
        if flags & IFF_PROMISC and not (root / name / "brport").exists():
            found.append(name)
    return found


def check_promiscuous(interfaces: Iterable[str], region: str | None = None) -> list[Finding]:
    findings = []
    for name in interfaces:
        what = (
            f"The network interface {name} is in promiscuous mode: it takes in traffic meant for "
            "other devices on the same network too, which is what a program capturing network "
            "traffic asks for. Virtual machines and network tools do this for honest reasons; "
            "if you did not set it up, someone may be watching the network from this computer."
        )
        findings.append(
            make_behaviour_finding(
                kind="traffic-capture",
                app=f"network interface {name}",
                category="spyware",
                severity="medium",
                confidence="low",
                matched=Match("an interface in promiscuous mode", "interface_flags", name),
                advice=advice_for_behaviour(what, region),
                detail={"interface": name},
            )
        )
    return findings


def check_traffic_capture(context: ScanContext) -> CheckOutcome:
    """Linux only: packet sockets outside network set-up programs, and promiscuous interfaces."""
    if not context.platform.startswith("linux"):
        return CheckOutcome()
    not_examined: list[NotExamined] = []
    try:
        with open(PROC_NET_PACKET, encoding="ascii", errors="replace") as handle:
            sockets = parse_proc_net_packet(handle.read(1024 * 1024))
    except OSError as error:
        sockets = []
        not_examined.append(NotExamined(PROC_NET_PACKET, f"could not be read ({error.strerror})"))
    holders = packet_socket_holders(
        (s.inode for s in sockets), (process.pid for process in context.processes)
    )
    if holders.denied:
        not_examined.append(
            NotExamined(
                "open files of some processes (traffic capture check)",
                access_denied_reason(),
                holders.denied,
            )
        )
    named = {inode for inodes in holders.by_pid.values() for inode in inodes}
    unnamed = len({s.inode for s in sockets} - named)
    if unnamed:
        not_examined.append(
            NotExamined(
                "packet-capture sockets whose program could not be found",
                "held by a process this scan could not see or read (another container, or one "
                "that has ended)",
                unnamed,
            )
        )
    interfaces = promiscuous_interfaces()
    unreported = unreported_processes(context)
    findings = check_packet_sockets(holders.by_pid, unreported.get, context.region)
    findings += check_promiscuous(interfaces, context.region)
    return CheckOutcome(
        findings=tuple(findings),
        examined={"packet_sockets": len(sockets)},
        not_examined=tuple(not_examined),
    )
