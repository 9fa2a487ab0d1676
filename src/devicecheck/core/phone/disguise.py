"""Apps dressed up to look like part of the phone.

- A package name that imitates the phone's own components (`com.android.*`, `com.google.*`,
  `android.*`) on an app that is not a system app and did not come from an app store.
- An app with no icon in the launcher (so it does not show among the apps) that holds
  dangerous permissions or access, and is neither a system app nor from an app store.
"""

from __future__ import annotations

from collections.abc import Collection

from devicecheck.core.phone.access import describe_access
from devicecheck.core.phone.advice import access_advice
from devicecheck.core.phone.findings import PhoneFinding
from devicecheck.core.phone.readings import PhoneReadings, installer_words
from devicecheck.core.scan.findings import Match

SYSTEM_LOOKING_PREFIXES = ("com.android.", "com.google.", "android.")
DANGEROUS_PERMISSIONS = frozenset(
    {
        "android.permission.ACCESS_FINE_LOCATION",
        "android.permission.ACCESS_COARSE_LOCATION",
        "android.permission.ACCESS_BACKGROUND_LOCATION",
        "android.permission.READ_SMS",
        "android.permission.RECEIVE_SMS",
        "android.permission.RECORD_AUDIO",
        "android.permission.CAMERA",
        "android.permission.READ_CALL_LOG",
        "android.permission.READ_CONTACTS",
    }
)


def imitates_system_name(package: str) -> bool:
    return package.startswith(SYSTEM_LOOKING_PREFIXES)


def disguise_findings(
    readings: PhoneReadings,
    access_map: dict[str, tuple[str, ...]],
    region: str | None,
    skip: Collection[str] = (),
    *,
    launcher_known: bool = True,
) -> list[PhoneFinding]:
    """`launcher_known`: whether the launcher icons could be read (else no-icon is not judged)."""
    findings = []
    for package in readings.installed_packages():
        if package in skip or readings.is_system(package) or readings.from_store(package):
            continue
        reasons = []
        if imitates_system_name(package):
            reasons.append("its name imitates a part of Android")
        record = readings.record(package)
        dangerous = sorted(DANGEROUS_PERMISSIONS & record.granted) if record else []
        access = access_map.get(package, ())
        if launcher_known and package not in readings.launcher and (dangerous or access):
            reasons.append("it has no icon among the apps")
        if reasons:
            findings.append(_finding(readings, package, reasons, dangerous, access, region))
    return findings


def _finding(
    readings: PhoneReadings,
    package: str,
    reasons: list[str],
    dangerous: list[str],
    access: tuple[str, ...],
    region: str | None,
) -> PhoneFinding:
    record = readings.record(package)
    installer = readings.installer_of(package)
    what = (
        f"This app looks disguised: {' and '.join(reasons)}, yet it is not one of the phone's "
        f"own apps: {installer_words(installer)}. Spyware hides this way. "
        + describe_access(access)
    )
    field = "name" if imitates_system_name(package) else "launcher"
    return PhoneFinding(
        kind="package",
        app=package,
        category="disguised-app",
        severity="high",
        confidence="medium",
        matched=Match(indicator="; ".join(reasons), field=field, value=package),
        advice=access_advice(what.strip(), region),
        source={"id": "phone-disguise", "name": "devicecheck phone disguise check"},
        package=package,
        installer=installer,
        first_installed=(record.first_installed or None) if record else None,
        version=(record.version_name or None) if record else None,
        access=access,
        detail={"from": installer_words(installer), "dangerous_permissions": dangerous},
    )
