"""The adb output parsers: each format of each Android version, and fuzzing (only our errors)."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.phone import parsers
from devicecheck.errors import DeviceCheckError
from tests.phone_support import ADB_DATA, PHONES


def _recording(phone: str, name: str) -> str:
    return (ADB_DATA / phone / name).read_text(encoding="utf-8")


def test_devices_long_form_states_and_models():
    text = (
        "* daemon not running; starting now at tcp:5037\n* daemon started successfully\n"
        "List of devices attached\n"
        "35111FDJH000AB         device usb:1-1 product:shiba model:Pixel_8 device:shiba "
        "transport_id:3\n"
        "R58M12ABCDE            unauthorized usb:1-2 transport_id:5\n"
        "0123456789ABCDEF       no permissions (missing udev rules? user is in the plugdev "
        "group); see [http://developer.android.com/tools/device.html] usb:1-3\n"
        "192.168.1.20:5555      offline product:a50 model:SM_A505FN device:a50\n\n"
    )
    devices = parsers.parse_devices(text)
    assert [(d.serial, d.state) for d in devices] == [
        ("35111FDJH000AB", "device"),
        ("R58M12ABCDE", "unauthorized"),
        ("0123456789ABCDEF", "no-permissions"),
        ("192.168.1.20:5555", "offline"),
    ]
    assert devices[0].model == "Pixel 8" and devices[0].transport == "usb"
    assert devices[3].transport == "tcp"


def test_getprop_including_a_value_over_several_lines():
    props = parsers.parse_getprop(
        "[ro.build.version.release]: [14]\n[persist.note]: [first line\nsecond]\n"
        "[ro.empty]: []\nnot a property line\n"
    )
    assert props == {
        "ro.build.version.release": "14",
        "persist.note": "first line second",
        "ro.empty": "",
    }


def test_pm_list_paths_that_contain_equals_signs():
    listed = parsers.parse_package_list(
        "package:/data/app/~~V5jud4ex5-s8L3x2B4lvUA==/com.wifi0-q-C29yRZYy55N91XTD2EoA==/"
        "base.apk=com.wifi0  installer=com.android.packageinstaller uid:10155\n"
        "package:/system/app/Settings/Settings.apk=com.android.settings  installer=null uid:1000\n"
        "package:com.bare\n"
    )
    assert [(p.name, p.installer, p.uid) for p in listed] == [
        ("com.wifi0", "com.android.packageinstaller", 10155),
        ("com.android.settings", None, 1000),
        ("com.bare", None, None),
    ]
    assert listed[0].path.endswith("==/base.apk")


@pytest.mark.parametrize(
    ("phone", "count"),
    [("android14-clean", 16), ("android12-echap", 17), ("android9-samsung", 13)],
)
def test_dumpsys_package_of_each_android_version(phone: str, count: int):
    records = parsers.parse_dumpsys_package(_recording(phone, "shell_dumpsys_package_-f.txt"))
    names = [record.name for record in records]
    assert len(records) == count
    assert "com.google.android.gms.hiddenupdate" not in names  # "Hidden system packages:"
    by_name = {record.name: record for record in records}
    whatsapp = by_name["com.whatsapp"]
    assert whatsapp.installer == "com.android.vending" and not whatsapp.system
    assert whatsapp.first_installed == "2024-03-02 18:22:10"
    assert whatsapp.version_name == "2.24.21.82" and whatsapp.version_code == "242182004"
    assert "android.permission.CAMERA" in whatsapp.granted
    assert "android.permission.INTERNET" in whatsapp.granted
    assert whatsapp.user_id is not None and whatsapp.users == (0,)
    assert whatsapp.signature_hash
    assert by_name["com.android.settings"].system


def test_dumpsys_package_reads_only_granted_permissions():
    text = (
        "Packages:\n"
        "  Package [com.x] (abc):\n"
        "    userId=10155\n"
        "    requested permissions:\n"
        "      android.permission.READ_SMS: restricted=true\n"
        "      android.permission.CAMERA\n"
        "    User 0: ceDataInode=1 installed=true hidden=false\n"
        "      runtime permissions:\n"
        "        android.permission.READ_SMS: granted=false, flags=[ USER_FIXED]\n"
        "        android.permission.CAMERA: granted=true, flags=[ USER_SET]\n"
        "    User 10: ceDataInode=2 installed=false hidden=false\n"
    )
    (record,) = parsers.parse_dumpsys_package(text)
    assert record.requested == ("android.permission.READ_SMS", "android.permission.CAMERA")
    assert record.granted == frozenset({"android.permission.CAMERA"})
    assert record.users == (0,)
    assert record.installer is None


def test_launcher_icons_come_from_the_activity_resolver_table():
    launcher = parsers.parse_launcher_packages(
        _recording("android14-sideloaded", "shell_dumpsys_package_-f.txt")
    )
    assert "net.fitsync.tracker" in launcher and "com.whatsapp" in launcher
    assert "com.android.systemservice.update" not in launcher
    assert "com.android.systemui" not in launcher


def test_accessibility_in_both_formats():
    new = parsers.parse_accessibility(
        _recording("android14-sideloaded", "shell_dumpsys_accessibility.txt")
    )
    assert new == ("net.fitsync.tracker/net.fitsync.tracker.sync.SyncAccessibilityService",)
    assert (
        parsers.parse_accessibility(
            _recording("android14-clean", "shell_dumpsys_accessibility.txt")
        )
        == ()
    )
    old = parsers.parse_accessibility(
        "User state[attributes:{id=0}\n  enabled services: {\n    0 : com.a/.Svc\n"
        "    1 : com.b/com.b.Other\n  }\n  binding services: {\n  }]\n"
    )
    assert old == ("com.a/.Svc", "com.b/com.b.Other")
    assert (
        parsers.parse_accessibility(
            _recording("android9-samsung", "shell_dumpsys_accessibility.txt")
        )
        == ()
    )


def test_device_policy_admins_and_owners():
    policy = parsers.parse_device_policy(
        "Current Device Policy Manager state:\n"
        "  Device Owner: \n"
        "    admin=ComponentInfo{com.corp.mdm/com.corp.mdm.Admin}\n"
        "    name=\n"
        "    package=com.corp.mdm\n"
        "  Profile Owner (User 10): \n"
        "    admin=ComponentInfo{com.work/com.work.Admin}\n"
        "    package=com.work\n"
        "  Enabled Device Admins (User 0, provisioningState: 3):\n"
        "    com.x/.admin.AdminReceiver:\n"
        "      uid=10201\n"
        "      policies:\n"
        "        wipe-data\n"
        "    com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver:\n"
        "      uid=10150\n"
        "\n"
        "    mPasswordOwner=-1\n"
        "  Not admins:\n"
        "    com.not.admin/.Thing:\n"
    )
    assert policy.admins == (
        "com.x/.admin.AdminReceiver",
        "com.google.android.gms/com.google.android.gms.mdm.receivers.MdmDeviceAdminReceiver",
    )
    assert policy.device_owner == "com.corp.mdm"
    assert policy.profile_owners == ((10, "com.work"),)


def test_appops_package_and_uid_modes():
    ops = parsers.parse_appops(
        "  Uid u0a110:\n"
        "    state=cch\n"
        "      COARSE_LOCATION: mode=ignore\n"
        "    Package org.fdroid.fdroid:\n"
        "      SYSTEM_ALERT_WINDOW (default):\n"
        "      REQUEST_INSTALL_PACKAGES (allow):\n"
        "          Access: [top-s] 2022-02-02 23:20:13.096 (-14h43m52s765ms)\n"
        "  Uid u0a111:\n"
        "    Package com.y:\n"
        "      GET_USAGE_STATS (allow / switch COARSE_LOCATION=allow):\n"
    )
    assert ops["org.fdroid.fdroid"] == {
        "SYSTEM_ALERT_WINDOW": "default",
        "REQUEST_INSTALL_PACKAGES": "allow",
        "COARSE_LOCATION": "ignore",
    }
    assert ops["com.y"] == {"GET_USAGE_STATS": "allow"}


def test_roles_both_shapes():
    roles = parsers.parse_roles(_recording("android14-clean", "shell_dumpsys_role.txt"))
    assert roles["android.app.role.SMS"] == ("com.google.android.apps.messaging",)
    assert roles["android.app.role.CALL_SCREENING"] == ()
    compact = parsers.parse_roles(
        "RoleState{mName=android.app.role.SMS, mHolders=[com.a, com.b]}\n"
    )
    assert compact == {"android.app.role.SMS": ("com.a", "com.b")}
    assert parsers.parse_roles("Can't find service: role\n") == {}


def test_settings_values_may_be_empty_or_hold_equals():
    assert parsers.parse_settings("a=1\nb=\nc=x=y\nnot a setting\n=z\n") == {
        "a": "1",
        "b": "",
        "c": "x=y",
    }
    assert parsers.components_in("com.a/.S:com.b/com.b.T:null") == ("com.a/.S", "com.b/com.b.T")


def test_which_finds_a_path_or_nothing():
    assert parsers.parse_which("/system/xbin/su\n") == "/system/xbin/su"
    assert parsers.parse_which("") is None


PARSERS = (
    parsers.parse_devices,
    parsers.parse_getprop,
    parsers.parse_package_list,
    parsers.parse_package_names,
    parsers.parse_dumpsys_package,
    parsers.parse_launcher_packages,
    parsers.parse_settings,
    parsers.parse_accessibility,
    parsers.parse_device_policy,
    parsers.parse_appops,
    parsers.parse_roles,
    parsers.parse_which,
    parsers.components_in,
)
# Text made of the pieces adb output is made of, so the fuzzer reaches deep into each parser.
_PIECES = st.sampled_from(
    [
        "\n",
        " ",
        "  ",
        "    ",
        "      ",
        ":",
        "=",
        "[",
        "]",
        "{",
        "}",
        "/",
        ",",
        "(",
        ")",
        "package:",
        "Package [",
        "Packages:",
        "User 0: ",
        "installed=true",
        "granted=true",
        "runtime permissions:",
        "requested permissions:",
        "install permissions:",
        "Activity Resolver Table:",
        'Category: "android.intent.category.LAUNCHER"',
        "Enabled services:{",
        "enabled services: {",
        "Enabled Device Admins (User 0",
        "Device Owner:",
        "Profile Owner (User 1",
        "admin=ComponentInfo{",
        "package=",
        "Uid u0a1:",
        "Package com.x:",
        "GET_USAGE_STATS (allow):",
        "mode=allow",
        "name=android.app.role.SMS",
        "holders=",
        "RoleState{mName=",
        "installer=",
        "uid:",
        "firstInstallTime=",
        "signatures:[",
        "com.a/.B",
        "device",
        "unauthorized",
        "no",
        "permissions",
        "[ro.x]: [",
        "\x00",
        "é",
        "\r",
        "abc",
        "0",
        "10155",
    ]
)
FUZZ_TEXT = st.one_of(st.text(), st.lists(_PIECES, max_size=60).map("".join))


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.__name__)
@given(text=FUZZ_TEXT)
def test_every_parser_takes_any_text(parser, text: str):
    with contextlib.suppress(DeviceCheckError):  # the project's own errors only
        parser(text)


@pytest.mark.parametrize("phone", PHONES)
def test_every_recording_parses_without_loss_of_packages(phone: str):
    listed = parsers.parse_package_list(_recording(phone, "shell_pm_list_packages_-f_-i_-U.txt"))
    dumped = parsers.parse_dumpsys_package(_recording(phone, "shell_dumpsys_package_-f.txt"))
    assert {p.name for p in listed} == {r.name for r in dumped}
