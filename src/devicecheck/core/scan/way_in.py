"""Someone else's way in: what lets another person reach this computer or act inside its programs.

Four signs, each observed and then judged:
- a remote-desktop or VNC server listening for connections (and who runs it);
- SSH keys in `authorized_keys` (each lets whoever holds its private half log in, no password);
- libraries forced into programs: `/etc/ld.so.preload` (every program) and `LD_PRELOAD` in a
  running program's environment, from outside the system folders;
- another account that can log in and appeared recently (or has administrator rights, UID 0).
"""

import os
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.clock import utc_iso
from devicecheck.core.scan import procfs
from devicecheck.core.scan.accounts import (
    Account,
    parse_passwd,
    parse_shadow_dates,
    read_text,
    when_appeared,
)
from devicecheck.core.scan.authorized_keys import AuthorizedKey, parse_authorized_keys
from devicecheck.core.scan.autostart import AutostartEntry
from devicecheck.core.scan.connections import ObservedConnection
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
from devicecheck.core.scan.trusted import SYSTEM_PROGRAM_DIRS, is_system_file

# Ports remote-desktop servers listen on: IANA's service registry (rfb 5900, RFC 6143; display
# :N listens on 5900+N; ms-wbt-server 3389; net-assist 3283, Apple Remote Desktop), TeamViewer's
# "Which ports are used by TeamViewer?" (5938), RustDesk's "direct IP access" (21118).
REMOTE_DESKTOP_PORTS: Mapping[int, str] = {
    **{port: f"VNC screen sharing (display :{port - 5900})" for port in range(5900, 5911)},
    3389: "Remote Desktop (RDP)",
    3283: "Apple Remote Desktop",
    5938: "TeamViewer",
    21118: "RustDesk direct access",
}
AUTHORIZED_KEYS_FILES = (".ssh/authorized_keys", ".ssh/authorized_keys2")  # sshd_config(5)
RECENT_DAYS = 30


# --- remote-desktop listeners -----------------------------------------------------------------


def already_reported(findings: Iterable[Finding]) -> tuple[set[str], set[int]]:
    """The listening addresses and the programs the indicator stages already reported as
    remote access (so one program is not reported twice)."""
    addresses = {str(f.detail.get("local")) for f in findings if f.detail.get("local")}
    pids = {
        f.process.pid for f in findings if f.process is not None and f.category == "remote-access"
    }
    return addresses, pids


def check_remote_desktop_listeners(
    connections: Iterable[ObservedConnection],
    process_of,
    region: str | None = None,
    reported: Iterable[Finding] = (),
) -> list[Finding]:
    """A finding for each socket listening on a remote-desktop port, naming who runs it
    (unless the indicator stages already reported that address or program)."""
    addresses, pids = already_reported(reported)
    findings = []
    for connection in connections:
        if connection.status != "LISTEN" or connection.protocol != "tcp":
            continue
        service = REMOTE_DESKTOP_PORTS.get(connection.local_port)
        address = f"{connection.local_ip}:{connection.local_port}"
        if service is None or address in addresses or connection.pid in pids:
            continue
        process = process_of(connection.pid) if connection.pid else None
        local_only = connection.local_ip.startswith("127.") or connection.local_ip == "::1"
        who = (
            f"the program “{process.name}” (run by {process.username or 'an unknown user'})"
            if process is not None
            else "a program this scan could not name"
        )
        reach = (
            "It accepts connections only from this computer itself (someone can still reach it "
            "through another connection, such as SSH)."
            if local_only
            else "It accepts connections from other computers."
        )
        what = (
            f"{who} is waiting for {service} connections on port {connection.local_port}. While it runs, "
            f"someone who has its password can see this screen and use this computer from "
            f"elsewhere. {reach} If you did not set this up, someone else may have."
        )
        findings.append(
            make_behaviour_finding(
                kind="access",
                app=process.name if process is not None else service,
                category="remote-access",
                severity="medium",
                confidence="low" if local_only else "medium",
                matched=Match(f"{service} port", "ports", address),
                process=process,
                advice=advice_for_behaviour(what[0].upper() + what[1:], region, secret=False),
                detail={"service": service, "local": address},
            )
        )
    return findings


# --- authorized_keys -----------------------------------------------------------------------------


def check_authorized_keys(
    keys: Iterable[AuthorizedKey], location: str, account: str, region: str | None = None
) -> list[Finding]:
    findings = []
    for key in keys:
        label = key.comment or "a key with no name"
        what = (
            f"The file {location} lets whoever holds the private half of the key “{label}” "
            f"({key.key_type}, fingerprint {key.fingerprint}) log in to this computer as "
            f"{account} without a password, from anywhere this computer can be reached. If you "
            "did not put this key there yourself, someone else may have, to get back in."
        )
        findings.append(
            make_behaviour_finding(
                kind="access",
                app=f"SSH key “{label}”",
                category="remote-access",
                severity="medium",
                confidence="medium",
                matched=Match("an SSH key that allows a login", "authorized_keys", key.fingerprint),
                advice=advice_for_behaviour(what, region, secret=False),
                detail={
                    "location": f"{location}:{key.line}",
                    "key_type": key.key_type,
                    "comment": key.comment,
                    "fingerprint": key.fingerprint,
                    "options": list(key.options),
                    "account": account,
                },
            )
        )
    return findings


def authorized_key_files(
    accounts: Sequence[Account], home: Path, user: str, root: Path = Path("/")
) -> list[tuple[Path, str]]:
    """(file, account) for the scanning user's own keys and every login account's keys."""
    places = [(home / name, user) for name in AUTHORIZED_KEYS_FILES]
    seen = {str(home)}
    for account in accounts:
        if not account.can_log_in or not account.home or account.home in seen:
            continue
        seen.add(account.home)
        folder = root / account.home.lstrip("/")
        places += [(folder / name, account.name) for name in AUTHORIZED_KEYS_FILES]
    return places


# --- preloaded libraries -------------------------------------------------------------------------


def preload_libraries(value: str) -> list[str]:
    """The libraries named by LD_PRELOAD or /etc/ld.so.preload (spaces or colons between them:
    ld.so(8)); comment lines of the file are skipped."""
    names = []
    for line in value.splitlines() or [value]:
        line = line.split("#", 1)[0]
        names += [name for name in line.replace(":", " ").split() if name]
    return names


class Preload(NamedTuple):
    library: str
    pids: tuple[int, ...]


def untrusted_preloads(
    environments: Iterable[tuple[int, Mapping[str, str]]],
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
    proc: str = procfs.PROC,
) -> list[Preload]:
    """Libraries forced into processes by LD_PRELOAD that are not installed system files."""
    found: dict[str, list[int]] = {}
    for pid, environment in environments:
        for library in preload_libraries(environment.get("LD_PRELOAD", "")):
            if not is_system_file(library, system_dirs, f"{proc}/{pid}/root"):
                found.setdefault(library, []).append(pid)
    return [Preload(library, tuple(pids)) for library, pids in found.items()]


KTHREADD_PID = 2  # Linux: the kernel's thread starter; every kernel thread is its child


def is_kernel_thread(process: ProcessInfo) -> bool:
    """A Linux kernel thread: kthreadd or its child, with no command line (which anyone may
    read) and no program file. It has no environment to read. A user program cannot be
    kthreadd's child, and in a container, where PID 2 may be anything, it has a command line."""
    related = process.pid == KTHREADD_PID or process.ppid == KTHREADD_PID
    return related and not process.cmdline and not process.exe


def read_environments(pids: Iterable[int], proc: str = procfs.PROC):
    """(pid, {"LD_PRELOAD": value}) for each process started with LD_PRELOAD set, and how many
    processes' environments could not be read."""
    environments = []
    denied = 0
    for pid in pids:
        try:
            value = procfs.environ_value(pid, "LD_PRELOAD", proc)
        except PermissionError:
            denied += 1
            continue
        except OSError:
            continue
        environments.append((pid, {"LD_PRELOAD": value} if value is not None else {}))
    return environments, denied


def check_preloads(preloads: Iterable[Preload], process_of, region: str | None) -> list[Finding]:
    findings = []
    for preload in preloads:
        process = process_of(preload.pids[0])
        count = len(preload.pids)
        what = (
            f"The library {preload.library} is forced into {count} running "
            f"program{'s' if count != 1 else ''} through LD_PRELOAD. A library loaded this way "
            "runs inside the program and can see everything it does: what you type into it, "
            "what it shows and sends. A few tools do this for honest reasons; if you did not "
            "set it up, someone may be watching through it."
        )
        findings.append(
            make_behaviour_finding(
                kind="hidden",
                app=process.name if process is not None else preload.library,
                category="spyware",
                severity="high",
                confidence="medium",
                matched=Match("a library forced into programs", "ld_preload", preload.library),
                process=process,
                advice=advice_for_behaviour(what, region),
                detail={"library": preload.library, "pids": list(preload.pids)},
            )
        )
    return findings


def check_ld_so_preload(
    libraries: Sequence[str], location: str, region: str | None
) -> list[Finding]:
    if not libraries:
        return []
    what = (
        f"The file {location} forces {', '.join(libraries)} into every program this computer "
        "starts. A library loaded this way runs inside every program and can see and change "
        "what they do; it is a known way to hide software and to watch everything. It is "
        "almost never needed on a personal computer."
    )
    matched = Match("a library forced into every program", "ld_so_preload", libraries[0])
    return [_preload_finding(libraries, matched, what, location, region)]


def check_startup_preloads(
    entries: Iterable[AutostartEntry],
    region: str | None,
    system_dirs: Sequence[str] = SYSTEM_PROGRAM_DIRS,
) -> list[Finding]:
    """Shell start-up files that set LD_PRELOAD (`core.scan.autostart` keeps those lines as
    entries named LD_PRELOAD) to a library outside the system folders."""
    findings = []
    for entry in entries:
        if entry.name != "LD_PRELOAD":
            continue
        libraries = [
            library
            for library in preload_libraries(entry.command)
            if not is_system_file(library, system_dirs)
        ]
        if not libraries:
            continue
        what = (
            f"The start-up file {entry.location} forces {', '.join(libraries)} into every "
            "program started from there. A library loaded this way runs inside each program "
            "and can see what you type into it; it is a known way to watch everything and to "
            "hide software. If you did not add this line, someone else may have."
        )
        matched = Match("a start-up file setting LD_PRELOAD", "ld_preload", libraries[0])
        findings.append(_preload_finding(libraries, matched, what, entry.location, region))
    return findings


def _preload_finding(
    libraries: Sequence[str], matched: Match, what: str, location: str, region: str | None
) -> Finding:
    """A library forced into programs (ld.so.preload or LD_PRELOAD), named after the first."""
    return make_behaviour_finding(
        kind="hidden",
        app=libraries[0].rpartition("/")[2] or libraries[0],
        category="spyware",
        severity="high",
        confidence="medium",
        matched=matched,
        advice=advice_for_behaviour(what, region),
        detail={"location": location, "libraries": list(libraries)},
    )


# --- accounts ------------------------------------------------------------------------------------


def check_accounts(
    accounts: Iterable[Account],
    shadow_days: dict[str, int],
    current_user: str,
    root: Path,
    region: str | None,
    *,
    now: float | None = None,
) -> list[Finding]:
    """Other accounts that can log in and appeared in the last RECENT_DAYS, and any other
    account with the administrator's user number (0)."""
    now = time.time() if now is None else now
    findings = []
    for account in accounts:
        if account.name in (current_user, "root") or not account.can_log_in:
            continue
        appeared = when_appeared(account, shadow_days, root)
        recent = appeared is not None and now - appeared.timestamp <= RECENT_DAYS * 86400
        if account.uid != 0 and not recent:
            continue
        findings.append(_account_finding(account, appeared, region))
    return findings


def _account_finding(account: Account, appeared, region: str | None) -> Finding:
    when = f"{appeared.how} {utc_iso(appeared.timestamp)[:10]}" if appeared else "date unknown"
    if account.uid == 0:
        what = (
            f"The account “{account.name}” has the administrator's user number (0): whoever logs "
            f"in with it can do anything on this computer ({when}). Apart from “root”, no "
            "account normally has it."
        )
    else:
        what = (
            f"The account “{account.name}” can log in to this computer and appeared recently "
            f"({when}). If you did not make it, someone else may use it to get in."
        )
    return make_behaviour_finding(
        kind="access",
        app=f"account “{account.name}”",
        category="remote-access",
        severity="high" if account.uid == 0 else "medium",
        confidence="medium",
        matched=Match("an account that can log in", "accounts", account.name),
        advice=advice_for_behaviour(what, region, secret=False),
        detail={"account": account.name, "uid": account.uid, "shell": account.shell, "when": when},
    )


# --- the check -------------------------------------------------------------------------------------


class WayInRoots(NamedTuple):
    system: Path = Path("/")
    proc: str = procfs.PROC


def check_way_in(context: ScanContext, roots: WayInRoots | None = None) -> CheckOutcome:
    """Remote-desktop servers (every system); SSH keys (Linux and macOS); preloaded libraries
    and new accounts (Linux)."""
    roots = roots or WayInRoots()
    by_pid = {process.pid: process for process in context.processes}
    findings = check_remote_desktop_listeners(
        context.connections, by_pid.get, context.region, context.findings
    )
    examined = {"listening_ports": sum(c.status == "LISTEN" for c in context.connections)}
    not_examined: list[NotExamined] = []
    if context.platform == "win32":
        return CheckOutcome(tuple(findings), examined)
    linux = context.platform.startswith("linux")
    accounts = _accounts(roots.system, not_examined) if linux else []
    findings += _authorized_keys(context, roots, accounts, examined, not_examined)
    if linux:
        findings += _linux_way_in(context, roots, accounts, by_pid, examined, not_examined)
    return CheckOutcome(tuple(findings), examined, tuple(not_examined))


def _authorized_keys(context, roots, accounts, examined, not_examined) -> list[Finding]:
    findings: list[Finding] = []
    keys = denied = 0
    places = authorized_key_files(accounts, context.home, _current_user(), roots.system)
    for path, account in places:
        try:
            parsed = _read_keys(path, not_examined)
        except PermissionError:
            denied += 1
            continue
        if parsed is None:
            continue
        keys += len(parsed.keys)
        findings += check_authorized_keys(parsed.keys, str(path), account, context.region)
    examined["authorized_keys"] = keys
    if denied:
        not_examined.append(
            NotExamined(
                "SSH keys of other accounts (authorized_keys)", access_denied_reason(), denied
            )
        )
    return findings


def _accounts(system: Path, not_examined: list[NotExamined]) -> list[Account]:
    try:
        return parse_passwd(read_text(system / "etc/passwd"))
    except OSError as error:
        not_examined.append(NotExamined("user accounts (/etc/passwd)", _why(error)))
        return []


def _why(error: OSError) -> str:
    if isinstance(error, PermissionError):
        return access_denied_reason()
    return f"could not be read ({error.strerror or error})"


def _read_keys(path: Path, not_examined: list[NotExamined]):
    try:
        text = read_text(path, 1024 * 1024)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except PermissionError:
        raise
    except OSError as error:
        not_examined.append(NotExamined(str(path), _why(error)))
        return None
    parsed = parse_authorized_keys(text)
    if parsed.unreadable_lines:
        not_examined.append(
            NotExamined(
                f"{path}: lines that are not keys",
                "not understood (sshd ignores them too)",
                parsed.unreadable_lines,
            )
        )
    return parsed


def _linux_way_in(context, roots, accounts, by_pid, examined, not_examined) -> list[Finding]:
    findings: list[Finding] = []
    preload_file = roots.system / "etc/ld.so.preload"
    try:
        libraries = preload_libraries(read_text(preload_file, 64 * 1024))
    except FileNotFoundError:
        libraries = []
    except OSError as error:
        libraries = []
        not_examined.append(NotExamined(str(preload_file), _why(error)))
    findings += check_ld_so_preload(libraries, str(preload_file), context.region)
    findings += check_startup_preloads(context.autostart_entries, context.region)

    user_programs = [pid for pid, process in by_pid.items() if not is_kernel_thread(process)]
    environments, denied = read_environments(user_programs, roots.proc)
    if denied:
        not_examined.append(
            NotExamined(
                "environment of some processes (LD_PRELOAD)", access_denied_reason(), denied
            )
        )
    preloads = untrusted_preloads(environments, proc=roots.proc)
    findings += check_preloads(preloads, by_pid.get, context.region)
    examined["process_environments"] = len(environments)

    try:
        shadow = parse_shadow_dates(read_text(roots.system / "etc/shadow"))
    except OSError:
        shadow = {}  # readable by root only: the home folders give the dates instead
    findings += check_accounts(accounts, shadow, _current_user(), roots.system, context.region)
    examined["accounts"] = len(accounts)
    return findings


def _current_user() -> str:
    import pwd

    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return ""
