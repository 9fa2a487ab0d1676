"""Phone check: parsing and matching the recordings of a phone with 400 apps, and adb calls.

Builds a 400-app phone from the Android 14 recordings in tests/data/adb (the `com.whatsapp`
package block and its lines copied under new names, eight of them Echap package names),
then times parsing every recording and running every check against the loaded indicators
(goal: under 0.3 s), against a baseline in the same run: splitting the same text into lines,
the least any parser must do. Finally runs the real scan through the stand-in adb to count
the round trips a scan makes (each costs 20-100 ms on a real phone).

    .venv/bin/python bench/phone.py [--apps 400] [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PHONE = REPO / "tests" / "data" / "adb" / "android14-sideloaded"
PACKAGES_FILE = "shell_dumpsys_package_-f.txt"
LIST_FILE = "shell_pm_list_packages_-f_-i_-U.txt"


def build_phone(apps: int, echap_packages: list[str]) -> dict[str, str]:
    """The recordings of a phone with `apps` more apps than the Android 14 recording."""
    recordings = {path.name: path.read_text(encoding="utf-8") for path in PHONE.glob("*.txt")}
    dump = recordings[PACKAGES_FILE]
    block = re.search(r"^  Package \[com\.whatsapp\].*?(?=^  Package \[)", dump, re.M | re.S)
    assert block is not None
    names = [f"com.example.app{number:03d}" for number in range(apps)]
    for number, package in enumerate(echap_packages):
        names[number * (apps // max(len(echap_packages), 1))] = package
    blocks, launchers, listed = [], [], []
    for number, name in enumerate(names):
        text = block.group(0).replace("com.whatsapp", name)
        if name in echap_packages:
            text = text.replace(
                "installerPackageName=com.android.vending", "installerPackageName=null"
            )
        blocks.append(text)
        launchers.append(
            f"        {0x700000 + number:x} {name}/.Main filter {0x800000 + number:x}\n"
            '          Action: "android.intent.action.MAIN"\n'
            '          Category: "android.intent.category.LAUNCHER"\n'
        )
        installer = "null" if name in echap_packages else "com.android.vending"
        listed.append(
            f"package:/data/app/~~aGVsbG8{number}==/{name}-d29ybGQ{number}==/base.apk={name}  "
            f"installer={installer} uid:{11000 + number}\n"
        )
    dump = dump.replace("Packages:\n", "Packages:\n" + "".join(blocks), 1)
    dump = dump.replace(
        "      android.intent.action.MAIN:\n",
        "      android.intent.action.MAIN:\n" + "".join(launchers),
        1,
    )
    recordings[PACKAGES_FILE] = dump
    recordings[LIST_FILE] += "".join(listed)
    return recordings


def parse_and_check(recordings: dict[str, str], indicators) -> int:
    from types import MappingProxyType

    from devicecheck.core.phone import parsers
    from devicecheck.core.phone.engine import check_readings
    from devicecheck.core.phone.readings import PhoneReadings

    dump = recordings[PACKAGES_FILE]
    readings = PhoneReadings(
        props=MappingProxyType(parsers.parse_getprop(recordings["shell_getprop.txt"])),
        listed=parsers.parse_package_list(recordings[LIST_FILE]),
        disabled=parsers.parse_package_names(recordings["shell_pm_list_packages_-d.txt"]),
        packages=MappingProxyType({r.name: r for r in parsers.parse_dumpsys_package(dump)}),
        launcher=parsers.parse_launcher_packages(dump),
        secure=MappingProxyType(
            parsers.parse_settings(recordings["shell_settings_list_secure.txt"])
        ),
        global_settings=MappingProxyType(
            parsers.parse_settings(recordings["shell_settings_list_global.txt"])
        ),
        accessibility=parsers.parse_accessibility(recordings["shell_dumpsys_accessibility.txt"]),
        policy=parsers.parse_device_policy(recordings["shell_dumpsys_device_policy.txt"]),
        appops=MappingProxyType(parsers.parse_appops(recordings["shell_dumpsys_appops.txt"])),
        roles=MappingProxyType(parsers.parse_roles(recordings["shell_dumpsys_role.txt"])),
    )
    return len(check_readings(readings, indicators, None))


def split_lines(recordings: dict[str, str]) -> int:
    return sum(len(text.splitlines()) for text in recordings.values())


def timed(function, repeats: int) -> tuple[float, object]:
    times, answer = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        answer = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), answer


def count_adb_calls(recordings: dict[str, str]) -> tuple[int, int]:
    from devicecheck.core.phone.adb import AdbRunner
    from devicecheck.core.phone.engine import phone_indicators, scan_phone
    from tests.phone_support import StandInAdb

    with tempfile.TemporaryDirectory() as folder:
        phone = Path(folder) / "phone"
        phone.mkdir()
        for name, text in recordings.items():
            (phone / name).write_text(text, encoding="utf-8")
        adb = StandInAdb(Path(folder) / "adb")
        os.environ.update({**adb.env(), "FAKE_ADB_PHONE": str(phone)})
        runner = AdbRunner(str(adb.program))
        result = scan_phone(runner, phone_indicators())
        return len(runner.calls), result.examined["packages"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--apps", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=15)
    options = parser.parse_args()
    from devicecheck.core.phone.engine import phone_indicators

    indicators = phone_indicators()
    echap = [app.packages[0] for app in indicators.apps if app.source == "echap" and app.packages][
        :8
    ]
    recordings = build_phone(options.apps, echap)
    size = sum(len(text) for text in recordings.values())
    baseline, lines = timed(lambda: split_lines(recordings), options.repeats)
    checked, findings = timed(lambda: parse_and_check(recordings, indicators), options.repeats)
    calls, packages = count_adb_calls(recordings)
    print(f"phone: {packages} packages, {size / 1e6:.2f} MB of recorded output, {lines} lines")
    print(f"  baseline (split into lines):  {baseline * 1000:7.1f} ms")
    print(
        f"  parse + every check:          {checked * 1000:7.1f} ms  ({checked / baseline:.1f}x the baseline; goal < 300 ms)"
    )
    print(f"  findings: {findings}")
    print(f"  adb calls per scan: {calls} (the same for any number of apps)")


if __name__ == "__main__":
    main()
