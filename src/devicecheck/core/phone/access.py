"""Dangerous access held by apps that did not come from an app store.

Accessibility services, notification access, device administrators, usage access, the
default text-message and phone apps, drawing over other apps, and location-in-the-background,
text messages, microphone and camera held together: the powers phone spyware relies on.
Apps from an app store and the phone's own system apps are not reported here (a known
product from a store is reported by `packages.py`).
"""

from __future__ import annotations

from collections.abc import Collection

from devicecheck.core.phone.advice import access_advice
from devicecheck.core.phone.findings import PhoneFinding
from devicecheck.core.phone.parsers import components_in, package_of
from devicecheck.core.phone.readings import PhoneReadings, installer_words
from devicecheck.core.scan.findings import Match

# Each kind of access, in plain words (what it lets the app do).
ACCESS_WORDS: dict[str, str] = {
    "accessibility": "read everything on the screen and what you type, and press buttons for "
    "you (an accessibility service)",
    "notification-listener": "read every notification, including message previews and codes "
    "sent by text (notification access)",
    "device-admin": "lock or wipe the phone, and resist being uninstalled (device administrator)",
    "usage-access": "see which apps you use, when and for how long (usage access)",
    "default-sms": "receive and send every text message (it is the default SMS app)",
    "default-dialer": "handle every phone call (it is the default phone app)",
    "overlay": "draw over other apps, which can hide what it does or show fake screens "
    "(display over other apps)",
    "install-apps": "install other apps (install unknown apps)",
    "background-location": "know where the phone is at any time, even when the app is closed",
    "sms": "read text messages",
    "microphone": "record sound through the microphone",
    "camera": "take photos and videos",
}
# Each kind of access as a short label, for lists.
ACCESS_LABELS: dict[str, str] = {
    "accessibility": "accessibility service",
    "notification-listener": "notification access",
    "device-admin": "device administrator",
    "usage-access": "usage access",
    "default-sms": "default SMS app",
    "default-dialer": "default phone app",
    "overlay": "display over other apps",
    "install-apps": "install unknown apps",
    "background-location": "location in the background",
    "sms": "text messages",
    "microphone": "microphone",
    "camera": "camera",
}
# Access that alone is reason to look at an app that did not come from a store.
STRONG_ACCESS = ("accessibility", "notification-listener", "device-admin")
ALONE_ACCESS = (*STRONG_ACCESS, "usage-access", "default-sms", "default-dialer", "overlay")
# Permissions that matter when held together (two or more of these groups).
PERMISSION_GROUPS: dict[str, tuple[str, ...]] = {
    "background-location": ("android.permission.ACCESS_BACKGROUND_LOCATION",),
    "sms": ("android.permission.READ_SMS", "android.permission.RECEIVE_SMS"),
    "microphone": ("android.permission.RECORD_AUDIO",),
    "camera": ("android.permission.CAMERA",),
}
_FOREGROUND_LOCATION = (
    "android.permission.ACCESS_FINE_LOCATION",
    "android.permission.ACCESS_COARSE_LOCATION",
)
_ROLES = {"android.app.role.SMS": "default-sms", "android.app.role.DIALER": "default-dialer"}
_SETTING_ROLES = {
    "sms_default_application": "default-sms",
    "dialer_default_application": "default-dialer",
}
_APPOPS = {
    "GET_USAGE_STATS": "usage-access",
    "SYSTEM_ALERT_WINDOW": "overlay",
    "REQUEST_INSTALL_PACKAGES": "install-apps",
}


def all_access(readings: PhoneReadings) -> dict[str, tuple[str, ...]]:
    """Package -> every kind of access in ACCESS_WORDS it holds, in that order (read once)."""
    special = _special_access(readings)
    result = {}
    for package in {*readings.installed_packages(), *special}:
        held = special.get(package, set()) | _permission_groups(readings, package)
        if held:
            result[package] = tuple(key for key in ACCESS_WORDS if key in held)
    return result


def _special_access(readings: PhoneReadings) -> dict[str, set[str]]:
    holders: dict[str, set[str]] = {}

    def add(package: str, key: str) -> None:
        holders.setdefault(package, set()).add(key)

    accessibility = readings.accessibility + components_in(
        readings.secure.get("enabled_accessibility_services", "")
    )
    for component in accessibility:
        add(package_of(component), "accessibility")
    for component in components_in(readings.secure.get("enabled_notification_listeners", "")):
        add(package_of(component), "notification-listener")
    for component in readings.policy.admins:
        add(package_of(component), "device-admin")
    for role, key in _ROLES.items():
        for package in readings.roles.get(role, ()):
            add(package, key)
    if not readings.roles:  # Android 9 keeps the default apps in settings, not in roles
        for setting, key in _SETTING_ROLES.items():
            value = readings.secure.get(setting, "")
            if value and value != "null":
                add(value.split("/", 1)[0], key)
    for package, ops in readings.appops.items():
        for op, key in _APPOPS.items():
            if ops.get(op) == "allow":
                add(package, key)
    return holders


def _permission_groups(readings: PhoneReadings, package: str) -> set[str]:
    record = readings.record(package)
    if record is None:
        return set()
    granted = record.granted
    groups = {
        group
        for group, permissions in PERMISSION_GROUPS.items()
        if any(permission in granted for permission in permissions)
    }
    # Before Android 10 any location permission also worked in the background.
    sdk = readings.props.get("ro.build.version.sdk", "")
    if sdk.isdigit() and int(sdk) < 29 and any(p in granted for p in _FOREGROUND_LOCATION):
        groups.add("background-location")
    return groups


def worrying_access(held: Collection[str]) -> tuple[str, ...]:
    """The part of `held` that makes an app from outside a store worth looking at."""
    alone = tuple(key for key in ALONE_ACCESS if key in held)
    together = tuple(key for key in PERMISSION_GROUPS if key in held)
    if alone or len(together) >= 2:
        return tuple(key for key in ACCESS_WORDS if key in held)
    return ()


def describe_access(held: Collection[str]) -> str:
    words = [ACCESS_WORDS[key] for key in ACCESS_WORDS if key in held]
    if not words:
        return ""
    if len(words) == 1:
        return f"It can {words[0]}."
    return "It can " + "; ".join(words[:-1]) + "; and " + words[-1] + "."


def access_findings(
    readings: PhoneReadings,
    access_map: dict[str, tuple[str, ...]],
    region: str | None,
    skip: Collection[str] = (),
) -> list[PhoneFinding]:
    """One finding per app from outside a store (not a system app) holding worrying access."""
    findings = []
    for package in readings.installed_packages():
        if package in skip or readings.is_system(package) or readings.from_store(package):
            continue
        access = worrying_access(access_map.get(package, ()))
        if access:
            findings.append(_finding(readings, package, access, region))
    return findings


def _finding(
    readings: PhoneReadings, package: str, access: tuple[str, ...], region: str | None
) -> PhoneFinding:
    record = readings.record(package)
    installer = readings.installer_of(package)
    strong = any(key in STRONG_ACCESS for key in access) or len(access) >= 3
    return PhoneFinding(
        kind="access",
        app=package,
        category="dangerous-access",
        severity="high" if strong else "medium",
        confidence="medium",
        matched=Match(
            indicator="app not from an app store", field="access", value=", ".join(access)
        ),
        advice=access_advice(
            f"This app did not come from an app store: {installer_words(installer)}. "
            + describe_access(access),
            region,
        ),
        source={"id": "phone-access", "name": "devicecheck phone access check"},
        package=package,
        installer=installer,
        first_installed=(record.first_installed or None) if record else None,
        version=(record.version_name or None) if record else None,
        access=access,
        detail={"from": installer_words(installer)},
    )


def access_labels(held: Collection[str]) -> str:
    return ", ".join(ACCESS_LABELS.get(key, key) for key in held)
