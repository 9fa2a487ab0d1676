"""Live network connections against indicator addresses, and listeners on remote-access ports.

A connection to an address a source names is a finding; so is a listening socket on a port a
remote-access tool uses, but a port alone is weak evidence and the finding says so. Ports that
countless ordinary programs use (web, mail, DNS) are never reported on their own.
"""

import ipaddress
from collections.abc import Callable, Iterable
from typing import NamedTuple

from devicecheck.core.scan.findings import (
    Finding,
    Match,
    NotExamined,
    ProcessInfo,
    access_denied_reason,
    make_finding,
)
from devicecheck.core.scan.matching import Matcher, basename
from devicecheck.core.system_reading import CONNECTIONS_DENIED, Rows, read_connection_rows

# Listening on one of these says nothing about remote-access software: web, mail, DNS, SSH,
# Windows file sharing and RPC, SNMP, and macOS AirPlay are open on countless ordinary machines.
GENERIC_PORTS = frozenset(
    {20, 21, 22, 25, 53, 80, 110, 135, 137, 138, 139, 143, 161, 443, 445, 465, 587, 993, 995}
    | {5000, 7000, 8000, 8080, 8443}
)


class ObservedConnection(NamedTuple):  # not a dataclass: making one costs a millisecond at import
    protocol: str  # tcp | udp
    local_ip: str
    local_port: int
    remote_ip: str | None
    remote_port: int | None
    status: str  # psutil's, e.g. ESTABLISHED, LISTEN, NONE
    pid: int | None

    def detail(self) -> dict[str, object]:
        remote = f"{self.remote_ip}:{self.remote_port}" if self.remote_ip else None
        return {
            "protocol": self.protocol,
            "local": f"{self.local_ip}:{self.local_port}",
            "remote": remote,
            "status": self.status,
        }


def normalise_ip(text: str) -> str | None:
    """The canonical spelling of an address (IPv4-mapped IPv6 as IPv4); None if not one."""
    try:
        address = ipaddress.ip_address(text.strip().split("%", 1)[0])
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return str(mapped or address)


class AddressBook:
    """The indicator addresses and networks (CIDR), looked up by canonical spelling."""

    def __init__(self, ips: dict[str, tuple[int, ...]]) -> None:
        self.addresses: dict[str, list[tuple[str, int]]] = {}
        self.networks: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, str, int]] = []
        for written, apps in ips.items():
            canonical = normalise_ip(written)
            for app in apps:
                if canonical is not None:
                    self.addresses.setdefault(canonical, []).append((written, app))
                elif "/" in written:
                    try:
                        network = ipaddress.ip_network(written.strip(), strict=False)
                    except ValueError:
                        continue
                    self.networks.append((network, written, app))

    def lookup(self, address: str) -> list[tuple[str, int]]:
        canonical = normalise_ip(address)
        if canonical is None:
            return []
        found = list(self.addresses.get(canonical, ()))
        if self.networks:
            parsed = ipaddress.ip_address(canonical)
            found.extend(
                (written, app) for network, written, app in self.networks if parsed in network
            )
        return found


def connections_from_rows(rows: Rows) -> tuple[list[ObservedConnection], list[NotExamined]]:
    """The connections a reading saw (with their owning processes where they could be read),
    and what could not be read about them."""
    return _observed(rows.connections, rows.connections_unread)


def observe_connections() -> tuple[list[ObservedConnection], list[NotExamined]]:
    """Every internet connection and listener, read here, with its owning process where it can be."""
    return _observed(*read_connection_rows())


def _observed(
    rows: list[tuple], unread: str | None
) -> tuple[list[ObservedConnection], list[NotExamined]]:
    if unread == CONNECTIONS_DENIED:
        reason = "needs admin (this system lets only an administrator list them)"
        return [], [NotExamined("network connections", reason)]
    if unread is not None:
        return [], [NotExamined("network connections", f"could not be read ({unread})")]
    observed = [ObservedConnection._make(row) for row in rows]
    ownerless = sum(1 for c in observed if c.pid is None and c.status in ("ESTABLISHED", "LISTEN"))
    problems = []
    if ownerless:
        problems.append(
            NotExamined(
                "which program owns some network connections",
                access_denied_reason(),
                ownerless,
            )
        )
    return observed, problems


ProcessLookup = Callable[[int], ProcessInfo | None]


def check_connections(
    matcher: Matcher,
    connections: Iterable[ObservedConnection],
    process_for: ProcessLookup,
    hasher: Callable[[str | None], str | None],
) -> list[Finding]:
    addresses = AddressBook(matcher.index.ips)
    ports = matcher.index.ports
    findings: list[Finding] = []
    seen: set[tuple] = set()
    for connection in connections:
        candidates: list[tuple[str, int, Match]] = []
        if connection.remote_ip:
            for written, app in addresses.lookup(connection.remote_ip):
                match = Match(written, "ips", connection.remote_ip)
                candidates.append(("connection", app, match))
        if connection.status == "LISTEN" and connection.local_port not in GENERIC_PORTS:
            for app in ports.get(connection.local_port, ()):
                match = Match(str(connection.local_port), "ports", str(connection.local_port))
                candidates.append(("listener", app, match))
        for kind, app, match in candidates:
            key = (kind, app, match.value, connection.pid)
            if key in seen:
                continue
            seen.add(key)
            findings.append(_finding(matcher, kind, app, match, connection, process_for, hasher))
    return findings


def _finding(
    matcher: Matcher,
    kind: str,
    app: int,
    match: Match,
    connection: ObservedConnection,
    process_for: ProcessLookup,
    hasher: Callable[[str | None], str | None],
) -> Finding:
    process = process_for(connection.pid) if connection.pid else None
    owner_matches = _owner_matches(matcher, app, process)
    if process is not None:
        process = process._replace(exe_sha256=hasher(process.exe))
    if kind == "connection":
        confidence = "high" if owner_matches else "medium"
    else:
        confidence = "medium" if owner_matches else "low"
    return make_finding(
        matcher.indicators,
        matcher.indicators.apps[app],
        kind=kind,
        matches=[match, *owner_matches],
        confidence=confidence,
        process=process,
        detail=connection.detail(),
    )


def _owner_matches(matcher: Matcher, app: int, process: ProcessInfo | None) -> list[Match]:
    """Matches of the owning process against the same app: they make the finding stronger."""
    if process is None:
        return []
    found = [
        *matcher.names(process.name, basename(process.exe or "")),
        *matcher.path(process.exe),
    ]
    return [item.match for item in found if item.app == app]
