"""Everything a phone check read from the phone, parsed: what each check module is given."""

from __future__ import annotations

from types import MappingProxyType
from typing import NamedTuple

from devicecheck.core.phone.parsers import DevicePolicy, ListedPackage, PackageRecord

EMPTY: MappingProxyType = MappingProxyType({})

# Installers that are app stores. Anything else (no installer, a package installer, a web
# browser, a file manager, adb itself) means the app came from a file, not from a store.
STORE_INSTALLERS = frozenset(
    {
        "com.android.vending",  # Google Play
        "com.sec.android.app.samsungapps",  # Galaxy Store
        "com.huawei.appmarket",  # Huawei AppGallery
        "com.amazon.venezia",  # Amazon Appstore
        "com.xiaomi.market",  # Xiaomi GetApps
        "com.xiaomi.mipicks",
        "com.heytap.market",  # OPPO / realme App Market
        "com.oppo.market",
        "com.bbk.appstore",  # vivo App Store
        "com.google.android.feedback",  # Play on some older phones
    }
)
PACKAGE_INSTALLERS = frozenset(
    {
        "com.android.packageinstaller",
        "com.google.android.packageinstaller",
        "com.samsung.android.packageinstaller",
        "com.miui.packageinstaller",
    }
)
BROWSERS = frozenset(
    {
        "com.android.chrome",
        "org.mozilla.firefox",
        "com.sec.android.app.sbrowser",
        "com.opera.browser",
        "com.opera.mini.native",
        "com.microsoft.emmx",
        "com.brave.browser",
        "com.UCMobile.intl",
        "com.mi.globalbrowser",
        "com.huawei.browser",
    }
)

# Apps copied from an old phone or restored from a backup: where they first came from is not
# recorded, so they are judged like any app from outside a store, in their own words.
TRANSFER_INSTALLERS = frozenset(
    {"com.sec.android.easyMover", "com.google.android.apps.restore", "com.android.backupconfirm"}
)


class PhoneReadings(NamedTuple):
    """What was read, parsed. A field whose command could not be read is empty, and its name
    is in `missing`."""

    props: MappingProxyType = EMPTY  # getprop
    listed: tuple[ListedPackage, ...] = ()  # pm list packages -f -i -U
    disabled: frozenset[str] = frozenset()  # pm list packages -d
    packages: MappingProxyType = EMPTY  # name -> PackageRecord (dumpsys package -f)
    launcher: frozenset[str] = frozenset()  # packages with a launcher icon
    secure: MappingProxyType = EMPTY  # settings list secure
    global_settings: MappingProxyType = EMPTY  # settings list global
    accessibility: tuple[str, ...] = ()  # enabled services (dumpsys accessibility)
    policy: DevicePolicy = DevicePolicy()
    appops: MappingProxyType = EMPTY  # package -> {op: mode}
    roles: MappingProxyType = EMPTY  # role -> holders
    su_path: str | None = None
    missing: frozenset[str] = frozenset()  # what could not be read

    def record(self, name: str) -> PackageRecord | None:
        return self.packages.get(name)

    def installer_of(self, name: str) -> str | None:
        record = self.packages.get(name)
        if record is not None and record.installer is not None:
            return record.installer
        for item in self.listed:
            if item.name == name:
                return item.installer
        return None

    def is_system(self, name: str) -> bool:
        record = self.packages.get(name)
        if record is not None:
            return record.system
        for item in self.listed:
            if item.name == name:
                return item.path.startswith(("/system/", "/product/", "/vendor/", "/apex/"))
        return False

    def from_store(self, name: str) -> bool:
        return self.installer_of(name) in STORE_INSTALLERS

    def installed_packages(self) -> tuple[str, ...]:
        """Every package installed for any user: `pm list packages` shows the main user's,
        and `dumpsys package` adds those installed only in a work profile or another user."""
        names = [item.name for item in self.listed]
        names += [name for name, record in self.packages.items() if record.users or not names]
        return tuple(dict.fromkeys(names))


def installer_words(installer: str | None) -> str:
    """Where an app came from, in plain words."""
    if installer is None:
        return "no installer is recorded, so it was probably installed from a file or over USB"
    if installer in STORE_INSTALLERS:
        return f"installed from an app store ({installer})"
    if installer in PACKAGE_INSTALLERS:
        return f"installed from an app file ({installer}), not from an app store"
    if installer in BROWSERS:
        return f"installed from a file downloaded by a web browser ({installer})"
    if installer == "com.android.shell":
        return "installed from a computer over USB (adb)"
    if installer in TRANSFER_INSTALLERS:
        return f"copied from another phone or a backup ({installer}), not from an app store"
    return f"installed by another app ({installer}), not by an app store"
