"""Parsers for what adb prints: one function per command's output, pure text in, records out.

Each parser is tolerant: a line it does not understand is skipped, never fatal, because the
formats drift between Android versions and makers. None raises anything on odd input (the
tests fuzz every one with hypothesis). Where each format comes from is cited in
`tests/data/adb/SOURCES.md`.
"""

from __future__ import annotations

import re
from typing import NamedTuple

# An Android package name. Every name taken from the phone must match it, so a hostile phone
# (or app) cannot put terminal control sequences into what is shown or saved.
PACKAGE_NAME = r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*"
_COMPONENT = re.compile(rf"({PACKAGE_NAME})/([A-Za-z0-9_.$]+)")


class AdbDevice(NamedTuple):
    """One line of `adb devices -l`."""

    serial: str
    state: str  # device | unauthorized | offline | no-permissions | recovery | ...
    model: str = ""
    product: str = ""
    transport: str = ""  # usb | tcp (from the serial's shape)


class ListedPackage(NamedTuple):
    """One line of `pm list packages -f -i -U`."""

    name: str
    path: str
    installer: str | None  # None: the phone records no installer ("null")
    uid: int | None


class PackageRecord(NamedTuple):
    """One `Package [name]` block of `dumpsys package`."""

    name: str
    user_id: int | None = None
    code_path: str = ""
    version_name: str = ""
    version_code: str = ""
    first_installed: str = ""
    last_updated: str = ""
    installer: str | None = None
    system: bool = False
    requested: tuple[str, ...] = ()
    granted: frozenset[str] = frozenset()
    users: tuple[int, ...] = ()
    signature_hash: str = ""  # Android's short hash code of the certificate, not a digest


class DevicePolicy(NamedTuple):
    admins: tuple[str, ...] = ()  # components: package/class
    device_owner: str | None = None  # package
    profile_owners: tuple[tuple[int, str], ...] = ()  # (user, package)


# --- adb devices -l ----------------------------------------------------------------------------


def parse_devices(text: str) -> tuple[AdbDevice, ...]:
    devices: list[AdbDevice] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("*", "List of devices", "adb server", "adb:")):
            continue
        tokens = line.split()
        if len(tokens) < 2:
            continue
        serial, rest = tokens[0], tokens[1:]
        if rest[0] == "no" and len(rest) > 1 and rest[1].startswith("permissions"):
            state = "no-permissions"
        else:
            state = rest[0]
        details = dict(
            token.split(":", 1) for token in rest if ":" in token and not token.startswith("(")
        )
        transport = "tcp" if re.fullmatch(r"[\w.\-\[\]:]+:\d+", serial) else "usb"
        devices.append(
            AdbDevice(
                serial=serial,
                state=state,
                model=printable(details.get("model", "").replace("_", " "), 80),
                product=printable(details.get("product", ""), 80),
                transport=transport,
            )
        )
    return tuple(devices)


# --- getprop ------------------------------------------------------------------------------------

_PROP = re.compile(r"^\[([^\]]*)\]: \[(.*)$")


def parse_getprop(text: str) -> dict[str, str]:
    """`[key]: [value]` lines; a value may run over several lines until its closing `]`."""
    props: dict[str, str] = {}
    key: str | None = None
    parts: list[str] = []
    for line in text.splitlines():
        if key is None:
            found = _PROP.match(line)
            if found is None:
                continue
            key, rest = found.group(1), found.group(2)
            parts = [rest]
        else:
            parts.append(line)
        if parts[-1].endswith("]"):
            parts[-1] = parts[-1][:-1]
            props[printable(key)] = printable("\n".join(parts).replace("\n", " "))
            key = None
    return props


# --- pm list packages ---------------------------------------------------------------------------

_LISTED = re.compile(rf"^package:(?:(?P<path>\S*)=)?(?P<name>{PACKAGE_NAME})(?P<rest>(?:\s.*)?)$")
_INSTALLER = re.compile(rf"\binstaller=({PACKAGE_NAME})(?:\s|$)")
_UID = re.compile(r"\buid:(\d+)")


def parse_package_list(text: str) -> tuple[ListedPackage, ...]:
    """`package:/data/app/.../base.apk=com.example  installer=com.android.vending uid:10123`.

    The path can itself hold `=` (Android 11+ folder names end in `==`): the name is what
    follows the last `=` before the first space.
    """
    packages: list[ListedPackage] = []
    for line in text.splitlines():
        found = _LISTED.match(line.strip())
        if found is None:
            continue
        rest = found.group("rest")
        installer = _INSTALLER.search(rest)
        uid = _UID.search(rest)
        installer_name = installer.group(1) if installer else None
        packages.append(
            ListedPackage(
                name=found.group("name"),
                path=printable(found.group("path") or ""),
                installer=None if installer_name in (None, "null") else installer_name,
                uid=_int(uid.group(1)) if uid else None,
            )
        )
    return tuple(packages)


def parse_package_names(text: str) -> frozenset[str]:
    """`pm list packages -d`: one `package:name` per line."""
    return frozenset(item.name for item in parse_package_list(text))


# --- dumpsys package ----------------------------------------------------------------------------

_PACKAGE_START = re.compile(rf"^  Package \[({PACKAGE_NAME})\] \([0-9a-fA-F]+\):")
_FIELD = re.compile(r"^ {4}(\w+)=(.*)$")
_USER = re.compile(r"^ {4}User (\d+): .*\binstalled=(true|false)")
_PERMISSION = re.compile(r"^\s+([A-Za-z0-9_.]+): granted=(true|false)")
_SIGNATURES = re.compile(
    r"signatures:\[([0-9a-fA-F, ]*)\]|PackageSignatures\{\w+ \[([0-9a-fA-F, ]*)\]"
)
_SYSTEM_PATHS = ("/system/", "/product/", "/vendor/", "/system_ext/", "/apex/", "/odm/", "/oem/")


def parse_dumpsys_package(text: str) -> tuple[PackageRecord, ...]:
    """The `Packages:` section of `dumpsys package` (all packages, or one)."""
    records: list[PackageRecord] = []
    current: dict | None = None
    in_packages = False
    list_name = ""
    for line in text.splitlines():
        if line and not line[0].isspace():  # a new top-level section
            if current is not None:
                records.append(_record(current))
                current = None
            in_packages = line.rstrip() == "Packages:"
            continue
        if not in_packages:
            continue
        start = _PACKAGE_START.match(line)
        if start is not None:
            if current is not None:
                records.append(_record(current))
            current = {"name": start.group(1), "requested": [], "granted": set(), "users": []}
            list_name = ""
            continue
        if current is not None:
            list_name = _package_line(current, line, list_name)
    if current is not None:
        records.append(_record(current))
    return tuple(records)


def _package_line(current: dict, line: str, list_name: str) -> str:
    """Take one line of a package block into `current`; returns the list being read, if any."""
    stripped = line.strip()
    if line.startswith("    ") and not line.startswith("     "):
        user = _USER.match(line)
        if user is not None:
            if user.group(2) == "true":
                current["users"].append(int(user.group(1)))
            return "user"
        if stripped.endswith(":") and "=" not in stripped:
            return stripped[:-1]
        field = _FIELD.match(line)
        if field is not None:
            _take_field(current, field.group(1), field.group(2))
        return ""
    if list_name == "requested permissions":
        name = stripped.split(":", 1)[0].strip()
        if name and " " not in name:
            current["requested"].append(name)
    elif list_name in ("install permissions", "user", "runtime permissions"):
        if stripped == "runtime permissions:":
            return "runtime permissions"
        if stripped.startswith("firstInstallTime=") and not current.get("firstInstallTime"):
            current["firstInstallTime"] = stripped.split("=", 1)[1]
        permission = _PERMISSION.match(line)
        if permission is not None and permission.group(2) == "true":
            current["granted"].add(permission.group(1))
    return list_name


def _take_field(current: dict, key: str, value: str) -> None:
    if key == "versionCode":
        current["versionCode"] = value.split()[0] if value.split() else ""
    elif key == "signatures":
        found = _SIGNATURES.search(value)
        if found is not None:
            current["signatures"] = (found.group(1) or found.group(2) or "").split(",")[0].strip()
    elif key not in current:
        current[key] = value.strip()


def _record(current: dict) -> PackageRecord:
    flags = current.get("flags", "") + " " + current.get("pkgFlags", "")
    code_path = current.get("codePath", "")
    installer = current.get("installerPackageName", "")
    if not re.fullmatch(PACKAGE_NAME, installer) or installer == "null":
        installer = None
    return PackageRecord(
        name=current["name"],
        user_id=_int(current.get("userId") or current.get("appId") or ""),
        code_path=printable(code_path),
        version_name=printable(current.get("versionName", "")),
        version_code=printable(current.get("versionCode", "")),
        first_installed=printable(current.get("firstInstallTime", "")),
        last_updated=printable(current.get("lastUpdateTime", "")),
        installer=installer,
        system=" SYSTEM " in f" {flags} " or code_path.startswith(_SYSTEM_PATHS),
        requested=tuple(dict.fromkeys(current["requested"])),
        granted=frozenset(current["granted"]),
        users=tuple(dict.fromkeys(current["users"])),
        signature_hash=printable(current.get("signatures", "")),
    )


_RESOLVER_ENTRY = re.compile(rf"^\s+[0-9a-fA-F]+ ({PACKAGE_NAME}/\S+)")
_LAUNCHER = 'Category: "android.intent.category.LAUNCHER"'


def parse_launcher_packages(text: str) -> frozenset[str]:
    """Packages with an activity in the launcher (an icon on the home screen or app drawer).

    Read from the `Activity Resolver Table:` of `dumpsys package -f`, where each activity is
    followed by its filter's `Action:` and `Category:` lines.
    """
    found: set[str] = set()
    in_table = False
    component = ""
    for line in text.splitlines():
        if line and not line[0].isspace():
            in_table = line.rstrip() == "Activity Resolver Table:"
            continue
        if not in_table:
            continue
        entry = _RESOLVER_ENTRY.match(line)
        if entry is not None:
            component = entry.group(1)
        elif _LAUNCHER in line and "/" in component:
            found.add(component.split("/", 1)[0])
    return frozenset(found)


# --- settings -----------------------------------------------------------------------------------


def parse_settings(text: str) -> dict[str, str]:
    """`settings list NAMESPACE`: `key=value` lines (a value may be empty or hold `=`)."""
    settings: dict[str, str] = {}
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        key = key.strip()
        if equals and key and " " not in key:
            settings[key] = value.strip()
    return settings


def components_in(value: str) -> tuple[str, ...]:
    """`pkg/cls:pkg/cls` (how Android stores enabled services) as components."""
    return tuple(f"{found.group(1)}/{found.group(2)}" for found in _COMPONENT.finditer(value or ""))


def package_of(component: str) -> str:
    return component.split("/", 1)[0]


# --- dumpsys accessibility ----------------------------------------------------------------------

_ENABLED_LINE = re.compile(r"enabled services:\s*\{(.*)$", re.IGNORECASE)


def parse_accessibility(text: str) -> tuple[str, ...]:
    """Enabled accessibility services, in both the one-line (`Enabled services:{{a/b}}`, Android
    10 and later) and the block (`enabled services: {` ... `}`, older) formats."""
    found: list[str] = []
    in_block = False
    for line in text.splitlines():
        if in_block:
            if line.strip().startswith("}"):
                in_block = False
                continue
            found.extend(components_in(line.split(":", 1)[-1]))
            continue
        match = _ENABLED_LINE.search(line)
        if match is None:
            continue
        rest = match.group(1).strip()
        if rest == "":
            in_block = True
        else:
            found.extend(components_in(rest))
    return tuple(dict.fromkeys(found))


# --- dumpsys device_policy ----------------------------------------------------------------------

_ADMINS = re.compile(r"^(\s*)Enabled Device Admins \(User (\d+)")
_OWNER = re.compile(r"^(\s*)(Device Owner|Profile Owner)(?: \(User (\d+)\))?:")
_OWNER_PACKAGE = re.compile(
    rf"^\s+(?:package=({PACKAGE_NAME})\s*$|admin=ComponentInfo\{{({PACKAGE_NAME})/)"
)


def parse_device_policy(text: str) -> DevicePolicy:
    admins: list[str] = []
    device_owner: str | None = None
    profile_owners: list[tuple[int, str]] = []
    block: tuple[str, int, str, int] | None = None  # (kind, indent, owner kind, user)
    for line in text.splitlines():
        indent = len(line) - len(line.lstrip())
        if block is not None and line.strip() and indent <= block[1]:
            block = None
        admins_start = _ADMINS.match(line)
        owner_start = _OWNER.match(line)
        if admins_start is not None:
            block = ("admins", indent, "", int(admins_start.group(2)))
        elif owner_start is not None:
            user = int(owner_start.group(3)) if owner_start.group(3) else 0
            block = ("owner", indent, owner_start.group(2), user)
        elif block is not None and block[0] == "admins":
            stripped = line.strip()
            if stripped.endswith(":") and indent == block[1] + 2:
                admins.extend(components_in(stripped[:-1]))
        elif block is not None and block[0] == "owner":
            owner = _OWNER_PACKAGE.match(line)
            if owner is not None:
                package = owner.group(1) or owner.group(2)
                if block[2] == "Device Owner":
                    device_owner = device_owner or package
                elif (block[3], package) not in profile_owners:
                    profile_owners.append((block[3], package))
    return DevicePolicy(tuple(dict.fromkeys(admins)), device_owner, tuple(profile_owners))


# --- dumpsys appops -----------------------------------------------------------------------------

_UID_START = re.compile(r"^\s+Uid (\S+):\s*$")
_OPS_PACKAGE = re.compile(rf"^\s+Package ({PACKAGE_NAME}):\s*$")
_PACKAGE_OP = re.compile(r"^\s+([A-Z][A-Z0-9_]+) \((\w+)[^)]*\):")
_UID_OP = re.compile(r"^\s+([A-Z][A-Z0-9_]+): mode=(\w+)")


def parse_appops(text: str) -> dict[str, dict[str, str]]:
    """Package -> {operation: mode} from `dumpsys appops`; a mode set for the whole uid applies
    to each package of that uid unless the package sets its own."""
    result: dict[str, dict[str, str]] = {}
    uid_modes: dict[str, str] = {}
    uid_packages: list[str] = []
    package: str | None = None

    def close_uid() -> None:
        for name in uid_packages:
            ops = result.setdefault(name, {})
            for op, mode in uid_modes.items():
                ops.setdefault(op, mode)

    for line in text.splitlines():
        if _UID_START.match(line):
            close_uid()
            uid_modes, uid_packages, package = {}, [], None
            continue
        started = _OPS_PACKAGE.match(line)
        if started is not None:
            package = started.group(1)
            uid_packages.append(package)
            result.setdefault(package, {})
            continue
        if package is None:
            uid_op = _UID_OP.match(line)
            if uid_op is not None:
                uid_modes[uid_op.group(1)] = uid_op.group(2)
            continue
        op = _PACKAGE_OP.match(line)
        if op is not None:
            result[package][op.group(1)] = op.group(2)
    close_uid()
    return result


# --- dumpsys role -------------------------------------------------------------------------------

_ROLE_NAME = re.compile(r"^\s*name=(android\.app\.role\.[A-Z_]+)\s*$")
_ROLE_HOLDERS = re.compile(r"^\s*holders=(.*)$")
_ROLE_STATE = re.compile(r"RoleState\{mName=([\w.]+), mHolders=\[([^\]]*)\]")


def parse_roles(text: str) -> dict[str, tuple[str, ...]]:
    """Role -> holders (user 0 first, then other users' holders added), from `dumpsys role`."""
    roles: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        for name, holders in _ROLE_STATE.findall(line):
            _add_holders(roles, name, holders)
        name = _ROLE_NAME.match(line)
        if name is not None:
            current = name.group(1)
            roles.setdefault(current, [])
            continue
        holders = _ROLE_HOLDERS.match(line)
        if holders is not None and current is not None:
            _add_holders(roles, current, holders.group(1))
        elif line.strip() == "}":
            current = None
    return {role: tuple(holders) for role, holders in roles.items()}


def _add_holders(roles: dict[str, list[str]], role: str, holders: str) -> None:
    found = roles.setdefault(role, [])
    for holder in re.split(r"[,\s]+", holders):
        if holder and holder not in found and re.fullmatch(r"[\w.]+", holder):
            found.append(holder)


# --- which su -----------------------------------------------------------------------------------


def parse_which(text: str) -> str | None:
    """The path `which` printed, or None when it found nothing."""
    for line in text.splitlines():
        line = line.strip()
        if re.fullmatch(r"/[A-Za-z0-9_./+-]{1,200}", line):
            return line
    return None


def printable(text: str, limit: int = 300) -> str:
    """`text` without control characters (escape sequences included), at most `limit` long."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None
