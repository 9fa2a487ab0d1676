"""How the phone is set up: settings that make monitoring easier.

Play Protect and its scanning and uploads (the three spytrap-adb checks), installing unknown
apps, "stay awake" and wireless debugging, an old security patch, signs of root, and a device
owner or work profile. Developer options and USB debugging are on during every check (they
are how the check reads the phone), so they are not findings; the person is told to turn
them off afterwards.
"""

from __future__ import annotations

import time

from devicecheck.core.phone.advice import setting_advice
from devicecheck.core.phone.findings import PhoneFinding
from devicecheck.core.phone.readings import PACKAGE_INSTALLERS, STORE_INSTALLERS, PhoneReadings
from devicecheck.core.scan.findings import Match

PATCH_MAX_AGE_DAYS = 365
MAGISK_PACKAGES = frozenset(
    {"com.topjohnwu.magisk", "io.github.huskydg.magisk", "io.github.vvb2060.magisk"}
)
_SOURCE = {"id": "phone-settings", "name": "devicecheck phone settings check"}


def _setting(
    name: str,
    what: str,
    field: str,
    value: str,
    region: str | None,
    *,
    severity: str = "medium",
    confidence: str = "high",
    category: str = "phone-setting",
    package: str | None = None,
    detail: dict | None = None,
) -> PhoneFinding:
    return PhoneFinding(
        kind="setting",
        app=name,
        category=category,
        severity=severity,
        confidence=confidence,
        matched=Match(indicator=field, field="setting", value=value),
        advice=setting_advice(what, region, secret=severity == "high"),
        source=_SOURCE,
        package=package,
        detail=detail or {},
    )


def play_protect_findings(readings: PhoneReadings, region: str | None) -> list[PhoneFinding]:
    """Only a value the phone actually holds is judged: a missing key says nothing."""
    settings = readings.global_settings
    findings = []
    if settings.get("package_verifier_enable") == "0":
        findings.append(
            _setting(
                "Google Play Protect is turned off",
                "Play Protect checks apps for harmful behaviour; turning it off is a usual step "
                "before installing spyware.",
                "package_verifier_enable",
                "0",
                region,
                severity="high",
            )
        )
    consent = settings.get("package_verifier_user_consent")
    if consent is not None and consent not in ("1", "null", ""):
        findings.append(
            _setting(
                "Play Protect app scanning is turned off",
                "Play Protect no longer scans the apps on this phone for harmful behaviour.",
                "package_verifier_user_consent",
                consent,
                region,
                severity="high",
            )
        )
    if settings.get("upload_apk_enable") == "0":
        findings.append(
            _setting(
                "Sending unknown apps to Google for checking is turned off",
                "Play Protect no longer sends apps it does not know to Google to be checked, "
                "so a new spy app would not be looked at.",
                "upload_apk_enable",
                "0",
                region,
            )
        )
    return findings


def unknown_apps_findings(readings: PhoneReadings, region: str | None) -> list[PhoneFinding]:
    """Installing apps from outside a store: the old switch (Android 7 and earlier) or, since
    Android 8, apps allowed to install other apps (a web browser counts; app stores and the
    phone's own package installer do not)."""
    findings = []
    for settings in (readings.secure, readings.global_settings):
        if settings.get("install_non_market_apps") == "1":
            findings.append(
                _setting(
                    "Installing apps from unknown sources is allowed",
                    "Apps can be installed on this phone from files, not only from an app store.",
                    "install_non_market_apps",
                    "1",
                    region,
                )
            )
            break
    installed = set(readings.installed_packages())
    allowed = sorted(
        package
        for package, ops in readings.appops.items()
        if ops.get("REQUEST_INSTALL_PACKAGES") == "allow"
        and package not in STORE_INSTALLERS
        and package not in PACKAGE_INSTALLERS
        and package in installed
    )
    if allowed:
        findings.append(
            _setting(
                "Some apps may install other apps",
                'These apps are allowed to install apps from files ("Install unknown apps"): '
                f"{', '.join(allowed)}. That is how apps that are not in a store get onto a "
                "phone.",
                "REQUEST_INSTALL_PACKAGES",
                ", ".join(allowed),
                region,
                detail={"apps": allowed},
            )
        )
    return findings


def developer_findings(readings: PhoneReadings, region: str | None) -> list[PhoneFinding]:
    settings = readings.global_settings
    findings = []
    stay_on = settings.get("stay_on_while_plugged_in", "0")
    if stay_on not in ("0", "", "null"):
        findings.append(
            _setting(
                '"Stay awake" is on',
                "The screen never sleeps while the phone is charging (a developer option). "
                "It is sometimes set so that a phone can be used or watched from elsewhere "
                "while it charges.",
                "stay_on_while_plugged_in",
                stay_on,
                region,
            )
        )
    if settings.get("adb_wifi_enabled") == "1":
        findings.append(
            _setting(
                "Wireless debugging is on",
                "A computer on the same Wi-Fi network that was once allowed can read and "
                "control this phone without a cable.",
                "adb_wifi_enabled",
                "1",
                region,
                severity="high",
            )
        )
    return findings


def patch_findings(
    readings: PhoneReadings, region: str | None, today: float | None = None
) -> list[PhoneFinding]:
    patch = readings.props.get("ro.build.version.security_patch", "").strip()
    try:
        patched = time.mktime(time.strptime(patch, "%Y-%m-%d"))
    except (ValueError, OverflowError):
        return []
    now = time.time() if today is None else today
    age_days = int((now - patched) // 86400)
    if age_days <= PATCH_MAX_AGE_DAYS:
        return []
    return [
        _setting(
            "The security update is more than a year old",
            f"The phone's last security update is from {patch} ({age_days // 30} months ago). "
            "Known holes in older Android versions let spyware in without the owner's help. "
            "Check Settings > System > Software update (or Security update).",
            "ro.build.version.security_patch",
            patch,
            region,
            detail={"age_days": age_days},
        )
    ]


def root_findings(readings: PhoneReadings, region: str | None) -> list[PhoneFinding]:
    props = readings.props
    signs = []
    if readings.su_path:
        signs.append(f"the `su` program is present ({readings.su_path})")
    if props.get("ro.debuggable") == "1":
        signs.append("the system is built for debugging (ro.debuggable=1)")
    if "test-keys" in props.get("ro.build.tags", ""):
        signs.append("the system is signed with test keys, not the maker's")
    magisk = sorted(MAGISK_PACKAGES & set(readings.installed_packages()))
    if magisk:
        signs.append(f"Magisk, a rooting app, is installed ({', '.join(magisk)})")
    if not signs:
        return []
    return [
        _setting(
            "The phone shows signs of being rooted",
            "Signs: " + "; ".join(signs) + ". A rooted phone lets an app get past Android's "
            "protections, and some spyware needs it to read messages from other apps and to "
            "hide itself.",
            "root",
            "; ".join(signs),
            region,
            severity="high",
            confidence="medium",
            category="rooted",
            detail={"signs": signs},
        )
    ]


def management_findings(readings: PhoneReadings, region: str | None) -> list[PhoneFinding]:
    policy = readings.policy
    findings = []
    if policy.device_owner:
        findings.append(
            _setting(
                "The phone is managed by a device owner",
                f'The app {policy.device_owner} controls this phone as its "device owner": '
                "it can see and change almost everything on it. That is normal for a work "
                "phone from an employer, and not for a personal phone.",
                "device_owner",
                policy.device_owner,
                region,
                severity="high",
                category="device-management",
                package=policy.device_owner,
            )
        )
    for user, package in policy.profile_owners:
        findings.append(
            _setting(
                "The phone has a managed (work) profile",
                f"The app {package} manages profile {user} on this phone (a work profile or "
                "another managed space). Whoever runs it can see and control the apps and "
                "data in that profile.",
                "profile_owner",
                f"{user}:{package}",
                region,
                category="device-management",
                package=package,
                detail={"user": user},
            )
        )
    return findings


def setting_findings(
    readings: PhoneReadings, region: str | None, today: float | None = None
) -> list[PhoneFinding]:
    return [
        *play_protect_findings(readings, region),
        *unknown_apps_findings(readings, region),
        *developer_findings(readings, region),
        *patch_findings(readings, region, today),
        *root_findings(readings, region),
        *management_findings(readings, region),
    ]
