"""Known stalkerware and dual-use apps, recognised by package name.

Every indicator with Android package names takes part: Echap's ioc.yaml (bundled), Echap's
watchware list or any other file imported with `devicecheck indicators import`, STIX 2
`app:id` indicators, and the bundled list of dual-use Android apps (`dual_use.py`).
Signing certificates cannot be compared: over USB debugging Android shows only a short hash
code of each certificate (see `findings.LIMITS`).
"""

from __future__ import annotations

from devicecheck.core.indicators.model import AppIndicator, IndicatorSet
from devicecheck.core.phone.advice import dual_use_advice, stalkerware_advice
from devicecheck.core.phone.findings import PhoneFinding
from devicecheck.core.phone.readings import PhoneReadings, installer_words
from devicecheck.core.scan.findings import Match, severity_for, source_of

_DUAL_USE_WHAT = {
    "remote-access": "It lets someone see and control this phone from elsewhere; it is also "
    "used every day for IT support.",
    "parental-control": "It is sold to let parents watch a child's phone (location, apps, "
    "messages); it can also be used to watch an adult.",
    "employee-monitoring": "It is sold to let employers watch work phones; on a personal "
    "phone it can be used to watch you.",
}


def package_lookup(indicators: IndicatorSet) -> dict[str, list[AppIndicator]]:
    """Package name -> the products that list it (each source's entry kept)."""
    lookup: dict[str, list[AppIndicator]] = {}
    for app in indicators.apps:
        for package in app.packages:
            found = lookup.setdefault(package.strip(), [])
            if app not in found:
                found.append(app)
    return lookup


def known_app_findings(
    readings: PhoneReadings,
    indicators: IndicatorSet,
    access_map: dict[str, tuple[str, ...]],
    region: str | None,
) -> list[PhoneFinding]:
    """One finding per (installed package, product) the indicator lists name."""
    lookup = package_lookup(indicators)
    findings = []
    for package in readings.installed_packages():
        for app in lookup.get(package, ()):
            access = access_map.get(package, ())
            findings.append(_finding(readings, indicators, app, package, access, region))
    return findings


def _finding(
    readings: PhoneReadings,
    indicators: IndicatorSet,
    app: AppIndicator,
    package: str,
    access: tuple[str, ...],
    region: str | None,
) -> PhoneFinding:
    record = readings.record(package)
    installer = readings.installer_of(package)
    if app.dual_use:
        what = app.notes or _DUAL_USE_WHAT.get(app.category, "")
        advice = dual_use_advice(what, region)
    else:
        advice = stalkerware_advice(region)
    detail = {"from": installer_words(installer)}
    if package in readings.disabled:
        detail["disabled"] = "the app is installed but switched off (disabled)"
    if record is not None and record.signature_hash:
        detail["signature_hash"] = record.signature_hash
    if app.references:
        detail["references"] = list(app.references)
    return PhoneFinding(
        kind="package",
        app=app.name,
        app_id=app.id,
        category=app.category,
        severity=severity_for(app.category),
        confidence="high",
        matched=Match(indicator=package, field="packages", value=package),
        advice=advice,
        source=source_of(indicators, app),
        package=package,
        installer=installer,
        first_installed=(record.first_installed or None) if record else None,
        version=(record.version_name or None) if record else None,
        access=access,
        detail=detail,
    )
