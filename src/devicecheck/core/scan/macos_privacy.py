"""macOS: apps allowed to watch the screen and the keyboard, and installed configuration profiles.

macOS asks the person before an app may use Accessibility (control the computer, read what is on
screen), Input Monitoring (read every key pressed) or Screen Recording; the answers are kept in
the TCC databases, one for the whole Mac and one per user. Monitoring software needs these
permissions, so an app holding them that the person does not recognise is worth a look. A
configuration profile can route the Mac's traffic through someone else's server, trust their
certificate (to read encrypted traffic) and manage the Mac from elsewhere.

The databases are read from a private copy (with their -wal and -shm files), opened read-only
(`mode=ro`): the real ones are never opened or locked. Reading them needs Full Disk Access for
the terminal; where a place cannot be read, it is listed as not examined with the reason.

The `access` table, as macOS 11 and later create it (Free Geek's fg-install-os script,
github.com/freegeek-pdx/macOS-Testing-and-Deployment-Scripts, writes it per macOS version):
service, client, client_type (0 bundle id, 1 path), auth_value (0 denied, 1 unknown, 2 allowed,
3 limited), auth_reason, auth_version, csreq, policy_id, indirect_object_identifier_type,
indirect_object_identifier, indirect_object_code_identity, flags, last_modified; macOS 12 added
pid, pid_version, boot_uuid, last_reminded (the columns artemis reads: github.com/puffyCid/
artemis-api, types/macos/sqlite/tcc.ts). macOS 10.15 and before had `allowed` (0 or 1) in place
of auth_value.
"""

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from devicecheck.core.clock import utc_iso
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Finding,
    Match,
    NotExamined,
    ScanContext,
    advice_for_behaviour,
    make_behaviour_finding,
)
from devicecheck.core.scan.procfs import read_regular
from devicecheck.errors import InvalidDataError

SERVICES: Mapping[str, str] = {
    "kTCCServiceAccessibility": "Accessibility (control this Mac and read what is on screen)",
    "kTCCServiceListenEvent": "Input Monitoring (read every key pressed)",
    "kTCCServiceScreenCapture": "Screen Recording (see everything on screen)",
}
TCC_RELATIVE = "Library/Application Support/com.apple.TCC/TCC.db"
PROFILE_STORE = "var/db/ConfigurationProfiles/Store"
AUTH_ALLOWED = 2
MAX_DATABASE_BYTES = 64 * 1024 * 1024
MAX_PROFILE_FILE_BYTES = 8 * 1024 * 1024
_FULL_DISK_ACCESS = (
    "macOS protects it: give the terminal Full Disk Access (System Settings, Privacy & "
    "Security) to read it"
)


class Grant(NamedTuple):
    service: str
    client: str  # a bundle id (com.example.app) or a program's path
    is_path: bool
    modified: str | None  # when the answer was last changed (ISO 8601, UTC)
    database: str


def grant_from_row(row: Sequence[Any], database: str) -> Grant | None:
    """One `access` row, as (service, client, client_type, auth_value, last_modified), to a
    Grant when it allows one of SERVICES; None for anything else (denied, other service, odd
    values: a row is outside input)."""
    if len(row) != 5:
        return None
    service, client, client_type, auth_value, modified = row
    if service not in SERVICES or not isinstance(client, str) or not client.strip():
        return None
    if type(auth_value) is not int or auth_value != AUTH_ALLOWED:
        return None
    when = None
    if type(modified) is int and 0 < modified < 2**33:
        when = utc_iso(modified)
    return Grant(service, client.strip()[:1024], client_type == 1, when, database)


def _private_copy(database: Path, folder: Path) -> Path:
    """The database and its -wal and -shm beside it, copied into `folder` (read, never opened
    by SQLite in place)."""
    target = folder / "TCC.db"
    for suffix in ("", "-wal", "-shm"):
        source = Path(f"{database}{suffix}")
        try:
            data = read_regular(source, MAX_DATABASE_BYTES + 1)
        except FileNotFoundError:
            if suffix:
                continue
            raise
        if len(data) > MAX_DATABASE_BYTES:
            raise InvalidDataError(f"{database} is too large to be a TCC database")
        Path(f"{target}{suffix}").write_bytes(data)
    return target


def read_grants(database: Path) -> list[Grant]:
    """The grants of SERVICES in one TCC database. OSError when it cannot be read (on macOS
    without Full Disk Access); InvalidDataError when it is not a TCC database."""
    import sqlite3  # only on macOS, only when there is a database
    import tempfile  # here, not at the top: it imports shutil, which no scan elsewhere needs

    with tempfile.TemporaryDirectory(prefix="devicecheck-tcc-") as folder:
        os.chmod(folder, 0o700)
        copy = _private_copy(database, Path(folder))
        try:
            connection = sqlite3.connect(copy.as_uri() + "?mode=ro", uri=True)
        except sqlite3.Error as error:
            raise InvalidDataError(f"{database}: not readable as SQLite ({error})") from None
        try:
            return _grants(connection, str(database))
        except sqlite3.Error as error:
            raise InvalidDataError(f"{database}: not a TCC database ({error})") from None
        finally:
            connection.close()


def _grants(connection, database: str) -> list[Grant]:
    columns = {row[1] for row in connection.execute("PRAGMA table_info(access)")}
    if not {"service", "client"} <= columns:
        raise InvalidDataError(f"{database}: has no access table")
    # macOS 10.15 and before: `allowed` 1 is what auth_value 2 means now.
    allowed = "auth_value" if "auth_value" in columns else "CASE allowed WHEN 1 THEN 2 ELSE 0 END"
    modified = "last_modified" if "last_modified" in columns else "NULL"
    client_type = "client_type" if "client_type" in columns else "0"
    placeholders = ",".join("?" for _ in SERVICES)
    rows = connection.execute(
        f"SELECT service, client, {client_type}, {allowed}, {modified} FROM access "
        f"WHERE service IN ({placeholders})",
        tuple(SERVICES),
    )
    grants = [grant_from_row(tuple(row), database) for row in rows]
    return [grant for grant in grants if grant is not None]


def is_apple(grant: Grant) -> bool:
    """Apple's own programs (bundle ids com.apple.*, files under /System or /usr/libexec)."""
    if grant.is_path:
        return grant.client.startswith(("/System/", "/usr/libexec/", "/usr/sbin/", "/usr/bin/"))
    return grant.client.startswith("com.apple.")


def check_grants(grants: Iterable[Grant], region: str | None) -> list[Finding]:
    findings = []
    for grant in grants:
        if is_apple(grant):
            continue
        permission = SERVICES[grant.service]
        since = f" (allowed or changed {grant.modified[:10]})" if grant.modified else ""
        what = (
            f"“{grant.client}” is allowed {permission}{since}. Monitoring software needs this "
            "permission to watch you; many honest apps ask for it too (password managers, "
            "video calls, window tools). If you do not recognise this app, or did not allow it "
            "yourself, someone else may have."
        )
        findings.append(
            make_behaviour_finding(
                kind="access",
                app=grant.client,
                category="spyware",
                severity="medium",
                confidence="low",
                matched=Match("a macOS privacy permission", grant.service, grant.client),
                advice=advice_for_behaviour(what, region),
                detail={
                    "permission": permission,
                    "database": grant.database,
                    "since": grant.modified,
                },
            )
        )
    return findings


# --- configuration profiles ----------------------------------------------------------------------


class Profile(NamedTuple):
    identifier: str
    name: str
    organisation: str
    location: str


def profiles_in(document: Any, location: str, depth: int = 0) -> list[Profile]:
    """Every dictionary in a profile store document that names a profile (ProfileIdentifier),
    however deep it is kept."""
    found: list[Profile] = []
    if depth > 12:
        return found
    if isinstance(document, dict):
        identifier = document.get("ProfileIdentifier")
        if isinstance(identifier, str) and identifier:
            name = document.get("ProfileDisplayName")
            organisation = document.get("ProfileOrganization")
            found.append(
                Profile(
                    identifier[:512],
                    name[:512] if isinstance(name, str) else "",
                    organisation[:512] if isinstance(organisation, str) else "",
                    location,
                )
            )
        children: Iterable[Any] = document.values()
    elif isinstance(document, list):
        children = document
    else:
        return found
    for child in children:
        found += profiles_in(child, location, depth + 1)
    return found


def read_profiles(store: Path) -> list[Profile]:
    """The profiles named in the plist files of the profile store. OSError when the folder
    cannot be read (it is root's)."""
    import plistlib

    profiles: list[Profile] = []
    for path in sorted(store.iterdir()):
        if not path.is_file() or path.stat().st_size > MAX_PROFILE_FILE_BYTES:
            continue
        try:
            document = plistlib.loads(path.read_bytes())
        except Exception:  # plistlib raises many types on files it does not understand
            continue
        profiles += profiles_in(document, str(path))
    return list(dict.fromkeys(profiles))


def check_profiles(profiles: Iterable[Profile], region: str | None) -> list[Finding]:
    findings = []
    for profile in profiles:
        label = profile.name or profile.identifier
        by = f" from “{profile.organisation}”" if profile.organisation else ""
        what = (
            f"The configuration profile “{label}”{by} is installed. A profile can send this "
            "Mac's internet traffic through someone else's server, make the Mac trust their "
            "certificate (so they can read encrypted traffic) and manage the Mac from elsewhere. "
            "On a work or school Mac this is normal; on your own Mac, if you did not install it, "
            "someone else may have."
        )
        findings.append(
            make_behaviour_finding(
                kind="access",
                app=label,
                category="employee-monitoring",
                severity="medium",
                confidence="low",
                matched=Match("an installed configuration profile", "profiles", profile.identifier),
                advice=advice_for_behaviour(what, region),
                detail={
                    "identifier": profile.identifier,
                    "organisation": profile.organisation,
                    "location": profile.location,
                },
            )
        )
    return findings


# --- the check -------------------------------------------------------------------------------------


def _why(error: Exception) -> str:
    if isinstance(error, PermissionError):
        return _FULL_DISK_ACCESS
    if isinstance(error, InvalidDataError):
        return f"not understood ({error.message.rsplit(': ', 1)[-1]})"
    return f"could not be read ({getattr(error, 'strerror', None) or error})"


def check_macos_privacy(context: ScanContext, system: Path = Path("/")) -> CheckOutcome:
    """macOS only: TCC grants (system and user databases) and configuration profiles."""
    if context.platform != "darwin":
        return CheckOutcome()
    grants: list[Grant] = []
    not_examined: list[NotExamined] = []
    read = 0
    for database in (system / TCC_RELATIVE, context.home / TCC_RELATIVE):
        try:
            grants += read_grants(database)
            read += 1
        except FileNotFoundError:
            continue
        except (OSError, InvalidDataError) as error:
            not_examined.append(NotExamined(f"privacy permissions ({database})", _why(error)))
    store = system / PROFILE_STORE
    profiles: list[Profile] = []
    try:
        profiles = read_profiles(store)
    except FileNotFoundError:
        pass
    except OSError as error:
        reason = (
            "only an administrator can read it"
            if isinstance(error, PermissionError)
            else _why(error)
        )
        not_examined.append(NotExamined(f"configuration profiles ({store})", reason))
    findings = check_grants(grants, context.region) + check_profiles(profiles, context.region)
    return CheckOutcome(
        tuple(findings),
        {"privacy_databases": read, "privacy_grants": len(grants), "profiles": len(profiles)},
        tuple(not_examined),
    )
