"""The phone check: read the phone once per command (batched), then run each check module.

`list_phones` answers `devicecheck phone list`; `scan_phone` does `devicecheck phone scan`:
choose the phone, send the fixed list of read-only commands in `READS` (eleven round trips
however many apps the phone has), parse, match, and return a `PhoneScanResult`. If the phone
goes away part-way, `PhoneCheckInterrupted` carries the result of what was read so far
(`complete=False`), judged only on what was read. `save_phone_scan` writes it to the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from devicecheck.core.clock import utc_now
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.phone import parsers
from devicecheck.core.phone.access import access_findings, all_access
from devicecheck.core.phone.adb import (
    NO_PHONE_HELP,
    AdbError,
    AdbRunner,
    NoPhone,
    PhoneDisconnected,
    PhoneUnauthorized,
    SeveralPhones,
    several_phones_message,
    unauthorized_message,
)
from devicecheck.core.phone.disguise import disguise_findings
from devicecheck.core.phone.findings import (
    TARGET,
    PhoneDetails,
    PhoneFinding,
    PhoneScanResult,
    sorted_findings,
)
from devicecheck.core.phone.packages import known_app_findings
from devicecheck.core.phone.readings import PhoneReadings
from devicecheck.core.phone.settings import setting_findings
from devicecheck.core.scan.findings import NotExamined

if TYPE_CHECKING:
    from devicecheck.core.evidence.entries import Entry
    from devicecheck.core.evidence.log import EvidenceLog
    from devicecheck.core.sessions import Session, SessionStore


class PhoneObserver(Protocol):
    """Progress for a user interface: called before each read."""

    def step_started(self, what: str, number: int, total: int) -> None: ...


class Read(NamedTuple):
    """One command, what it tells us in plain words, and how its output is kept."""

    what: str
    command: tuple[str, ...]
    keep: Callable[[str], dict[str, Any]]
    allow_failure: bool = False


def _keep_packages(text: str) -> dict[str, Any]:
    records = parsers.parse_dumpsys_package(text)
    return {
        "packages": MappingProxyType({record.name: record for record in records}),
        "launcher": parsers.parse_launcher_packages(text),
    }


READS: tuple[Read, ...] = (
    Read(
        "the phone's details",
        ("shell", "getprop"),
        lambda t: {"props": MappingProxyType(parsers.parse_getprop(t))},
    ),
    Read(
        "the list of apps",
        ("shell", "pm", "list", "packages", "-f", "-i", "-U"),
        lambda t: {"listed": parsers.parse_package_list(t)},
    ),
    Read(
        "the switched-off apps",
        ("shell", "pm", "list", "packages", "-d"),
        lambda t: {"disabled": parsers.parse_package_names(t)},
    ),
    Read(
        "each app's details and permissions", ("shell", "dumpsys", "package", "-f"), _keep_packages
    ),
    Read(
        "the phone's secure settings",
        ("shell", "settings", "list", "secure"),
        lambda t: {"secure": MappingProxyType(parsers.parse_settings(t))},
    ),
    Read(
        "the phone's global settings",
        ("shell", "settings", "list", "global"),
        lambda t: {"global_settings": MappingProxyType(parsers.parse_settings(t))},
    ),
    Read(
        "the accessibility services",
        ("shell", "dumpsys", "accessibility"),
        lambda t: {"accessibility": parsers.parse_accessibility(t)},
    ),
    Read(
        "the device administrators and owners",
        ("shell", "dumpsys", "device_policy"),
        lambda t: {"policy": parsers.parse_device_policy(t)},
    ),
    Read(
        "the apps' special access (app ops)",
        ("shell", "dumpsys", "appops"),
        lambda t: {"appops": MappingProxyType(parsers.parse_appops(t))},
    ),
    Read(
        "the default text-message and phone apps",
        ("shell", "dumpsys", "role"),
        lambda t: {"roles": MappingProxyType(parsers.parse_roles(t))},
    ),
    Read(
        "signs of root",
        ("shell", "which", "su"),
        lambda t: {"su_path": parsers.parse_which(t)},
        allow_failure=True,
    ),
)
_MISSING_SERVICE = "Can't find service"


class PhoneCheckInterrupted(PhoneDisconnected):
    """The phone went away part-way; `result` is the check of what was read before."""

    def __init__(self, message: str, result: PhoneScanResult) -> None:
        super().__init__(message)
        self.result = result


def list_phones(runner: AdbRunner) -> tuple[parsers.AdbDevice, ...]:
    return parsers.parse_devices(runner.run("devices", "-l"))


def choose_phone(devices: tuple[parsers.AdbDevice, ...], serial: str | None) -> parsers.AdbDevice:
    """The one phone to check, or the error that says why there is none."""
    if serial is not None:
        matching = [device for device in devices if device.serial == serial]
        if not matching:
            raise NoPhone(
                "no phone with that serial is connected (see `devicecheck phone list`); "
                + NO_PHONE_HELP.split(": ", 1)[1]
            )
        chosen = matching[0]
    else:
        if not devices:
            raise NoPhone(NO_PHONE_HELP)
        if len(devices) > 1:
            raise SeveralPhones(several_phones_message(len(devices)))
        chosen = devices[0]
    if chosen.state == "unauthorized":
        raise PhoneUnauthorized(unauthorized_message())
    if chosen.state == "no-permissions":
        raise AdbError(
            "this computer may not open the phone's USB connection (no permissions): on Linux "
            "add a udev rule for Android phones (Debian/Ubuntu: `sudo apt install "
            "android-sdk-platform-tools-common`), then unplug and replug the phone"
        )
    if chosen.state != "device":
        raise NoPhone(
            f"the phone is connected but not ready (adb says {chosen.state!r}): unlock it, "
            "unplug and replug the cable, and check that USB debugging is on"
        )
    return chosen


def scan_phone(
    runner: AdbRunner,
    indicators: IndicatorSet,
    *,
    serial: str | None = None,
    show_serial: bool = False,
    region: str | None = None,
    observer: PhoneObserver | None = None,
    today: float | None = None,
) -> PhoneScanResult:
    """Check one phone. Reads only; changes nothing on the phone; sends nothing anywhere."""
    started = utc_now()
    phone = choose_phone(list_phones(runner), serial)
    reader = runner.for_phone(phone.serial)
    kept: dict[str, Any] = {}
    missing: list[NotExamined] = []
    for number, read in enumerate(READS, start=1):
        if observer is not None:
            observer.step_started(read.what, number, len(READS))
        try:
            output = reader.run(*read.command, allow_failure=read.allow_failure)
        except PhoneDisconnected as error:
            lost = [r.what for r in READS[number - 1 :]]
            missing += [NotExamined(what, "the phone stopped answering") for what in lost]
            result = _result(
                started, phone, kept, missing, indicators, runner, show_serial, region, today
            )
            result = result._replace(complete=False, interrupted=_interrupted(READS, number))
            raise PhoneCheckInterrupted(
                f"{error.message}. {result.interrupted} Connect it again and run the check "
                "again for a full result.",
                result,
            ) from None
        except AdbError as error:
            missing.append(NotExamined(read.what, error.message))
            continue
        if _MISSING_SERVICE in output[:200]:
            missing.append(NotExamined(read.what, "this version of Android does not offer it"))
            continue
        kept.update(read.keep(output))
    return _result(started, phone, kept, missing, indicators, runner, show_serial, region, today)


def _interrupted(reads: tuple[Read, ...], number: int) -> str:
    done = [read.what for read in reads[: number - 1]]
    read_part = f"Read before it stopped: {', '.join(done)}." if done else "Nothing was read."
    return f"The check stopped at {reads[number - 1].what}. {read_part}"


def _result(
    started: str,
    phone: parsers.AdbDevice,
    kept: dict[str, Any],
    missing: list[NotExamined],
    indicators: IndicatorSet,
    runner: AdbRunner,
    show_serial: bool,
    region: str | None,
    today: float | None,
) -> PhoneScanResult:
    read_names = {read.what for read in READS} - {item.what for item in missing}
    readings = PhoneReadings(**kept, missing=frozenset(item.what for item in missing))
    findings = check_readings(
        readings,
        indicators,
        region,
        launcher_known="each app's details and permissions" in read_names,
        today=today,
    )
    return PhoneScanResult(
        started_at=started,
        finished_at=utc_now(),
        device=phone_details(phone, readings.props, show_serial),
        findings=findings,
        examined=_examined(readings, indicators, len(runner.calls)),
        not_examined=tuple(missing),
        indicators=indicator_summary(indicators),
        adb_calls=tuple(" ".join(call) for call in runner.calls),
    )


def check_readings(
    readings: PhoneReadings,
    indicators: IndicatorSet,
    region: str | None,
    *,
    launcher_known: bool = True,
    today: float | None = None,
) -> tuple[PhoneFinding, ...]:
    """Every check over what was read: known apps, disguise, access, settings."""
    access_map = all_access(readings)
    known = known_app_findings(readings, indicators, access_map, region)
    reported = {finding.package for finding in known}
    disguised = disguise_findings(
        readings, access_map, region, reported, launcher_known=launcher_known
    )
    reported |= {finding.package for finding in disguised}
    access = access_findings(readings, access_map, region, reported)
    settings = setting_findings(readings, region, today)
    return sorted_findings([*known, *disguised, *access, *settings])


def phone_details(
    phone: parsers.AdbDevice, props: MappingProxyType | dict, show_serial: bool
) -> PhoneDetails:
    serial = phone.serial if show_serial else hash_serial(phone.serial)
    return PhoneDetails(
        serial=serial,
        serial_hashed=not show_serial,
        model=props.get("ro.product.model", "") or phone.model,
        manufacturer=props.get("ro.product.manufacturer", ""),
        android_version=props.get("ro.build.version.release", ""),
        sdk=props.get("ro.build.version.sdk", ""),
        security_patch=props.get("ro.build.version.security_patch", ""),
        build_fingerprint=props.get("ro.build.fingerprint", ""),
    )


def hash_serial(serial: str) -> str:
    return "sha256:" + hashlib.sha256(serial.encode("utf-8", errors="replace")).hexdigest()


def _examined(readings: PhoneReadings, indicators: IndicatorSet, calls: int) -> dict[str, int]:
    installed = readings.installed_packages()
    system = sum(1 for package in installed if readings.is_system(package))
    from_store = sum(1 for package in installed if readings.from_store(package))
    return {
        "packages": len(installed),
        "system_packages": system,
        "packages_from_stores": from_store,
        "packages_from_elsewhere": len(installed) - system - from_store,
        "indicator_apps": sum(1 for app in indicators.apps if app.packages),
        "indicator_packages": sum(len(app.packages) for app in indicators.apps),
        "adb_calls": calls,
    }


def indicator_summary(indicators: IndicatorSet) -> tuple[dict[str, Any], ...]:
    """Each source with Android package names, its licence and how many it gave."""
    summary = []
    for source in indicators.sources:
        apps = [app for app in indicators.apps if app.source == source.id and app.packages]
        if not apps:
            continue
        summary.append(
            {
                "id": source.id,
                "name": source.name,
                "version": source.version,
                "kind": source.kind,
                "licence": source.licence,
                "attribution": source.attribution,
                "apps": len(apps),
                "packages": sum(len(app.packages) for app in apps),
            }
        )
    return tuple(summary)


def phone_indicators(data_dir: Any = None, extra_files: Any = ()) -> IndicatorSet:
    """The indicators a phone check uses: every loaded set, plus the dual-use Android list."""
    from devicecheck.core.indicators.store import load_indicators
    from devicecheck.core.phone.dual_use import load_dual_use

    return load_indicators(data_dir, extra_files=extra_files).merged_with(load_dual_use())


def save_phone_scan(
    result: PhoneScanResult,
    log: EvidenceLog,
    *,
    session: Session | None = None,
    store: SessionStore | None = None,
    author: str = "self",
) -> Entry:
    """One "scan" entry (`target: android-phone`, without the findings, with `finding_count`),
    then one "finding" entry per finding (`origin: phone-scan`, `scan_entry`). With a session,
    its `findings` and `scans` grow and, given a store, it is saved. Returns the scan entry."""
    session_id = session.id if session is not None else None
    summary = result.summary()
    scan_entry = log.append("scan", summary, session=session_id, author=author)
    saved = []
    for finding in result.findings:
        data = {"origin": "phone-scan", "scan_entry": scan_entry.id, **finding.to_dict()}
        saved.append((log.append("finding", data, session=session_id, author=author), data))
    if session is not None:
        for entry, data in saved:
            session.findings.append({**data, "evidence_entry": entry.id})
        session.scans.append(
            {
                "target": TARGET,
                "started_at": summary["started_at"],
                "finished_at": summary["finished_at"],
                "complete": summary["complete"],
                "device": summary["device"],
                "examined": summary["examined"],
                "not_examined": summary["not_examined"],
                "finding_count": summary["finding_count"],
                "indicators": [
                    {"id": source["id"], "version": source["version"]}
                    for source in summary["indicators"]
                ],
                "evidence_entry": scan_entry.id,
            }
        )
        if store is not None:
            store.save(session)
    return scan_entry
