"""Where browsers keep their profiles, for the user running the scan (Linux, macOS, Windows).

Chromium-based browsers (Chrome, Chromium, Edge, Brave) keep one "user data" folder with a
sub-folder per profile (`Default`, `Profile 1`, ...), each holding `History`, `Preferences` and
`Extensions/`. Firefox lists its profiles in `profiles.ini` (`Path=` relative to the folder
holding the file when `IsRelative=1`, absolute otherwise); folders that hold a
`places.sqlite`, `extensions.json` or `prefs.js` beside it, or under `Profiles/`, are included
too, so a profile removed from
`profiles.ini` is still read. Shared by the browser-history and browser-extension checks.
"""

import os
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.scan.procfs import read_regular

# (browser, user-data folder relative to the home folder), per platform.
CHROMIUM_FOLDERS: dict[str, tuple[tuple[str, str], ...]] = {
    "linux": (
        ("Chrome", ".config/google-chrome"),
        ("Chrome Beta", ".config/google-chrome-beta"),
        ("Chrome Dev", ".config/google-chrome-unstable"),
        ("Chromium", ".config/chromium"),
        ("Chromium (snap)", "snap/chromium/common/chromium"),
        ("Edge", ".config/microsoft-edge"),
        ("Edge Beta", ".config/microsoft-edge-beta"),
        ("Edge Dev", ".config/microsoft-edge-dev"),
        ("Brave", ".config/BraveSoftware/Brave-Browser"),
        ("Chrome (Flatpak)", ".var/app/com.google.Chrome/config/google-chrome"),
        ("Chromium (Flatpak)", ".var/app/org.chromium.Chromium/config/chromium"),
        ("Edge (Flatpak)", ".var/app/com.microsoft.Edge/config/microsoft-edge"),
        ("Brave (Flatpak)", ".var/app/com.brave.Browser/config/BraveSoftware/Brave-Browser"),
    ),
    "darwin": (
        ("Chrome", "Library/Application Support/Google/Chrome"),
        ("Chrome Beta", "Library/Application Support/Google/Chrome Beta"),
        ("Chromium", "Library/Application Support/Chromium"),
        ("Edge", "Library/Application Support/Microsoft Edge"),
        ("Brave", "Library/Application Support/BraveSoftware/Brave-Browser"),
    ),
    "win32": (
        ("Chrome", "AppData/Local/Google/Chrome/User Data"),
        ("Chrome Beta", "AppData/Local/Google/Chrome Beta/User Data"),
        ("Chromium", "AppData/Local/Chromium/User Data"),
        ("Edge", "AppData/Local/Microsoft/Edge/User Data"),
        ("Brave", "AppData/Local/BraveSoftware/Brave-Browser/User Data"),
    ),
}
FIREFOX_FOLDERS: dict[str, tuple[tuple[str, str], ...]] = {
    "linux": (
        ("Firefox", ".mozilla/firefox"),
        ("Firefox (snap)", "snap/firefox/common/.mozilla/firefox"),
        ("Firefox (Flatpak)", ".var/app/org.mozilla.firefox/.mozilla/firefox"),
    ),
    "darwin": (("Firefox", "Library/Application Support/Firefox"),),
    "win32": (("Firefox", "AppData/Roaming/Mozilla/Firefox"),),
}
# A Chromium profile folder holds at least one of these.
_CHROMIUM_PROFILE_MARKERS = ("History", "Preferences", "Secure Preferences", "Extensions")
_FIREFOX_PROFILE_MARKERS = ("places.sqlite", "extensions.json", "prefs.js")
# Folders in a Chromium user-data folder that are not profiles, however they look.
_NOT_PROFILES = frozenset({"System Profile", "Crashpad", "ShaderCache", "GrShaderCache"})
MAX_PROFILES_PER_BROWSER = 200  # a planted folder of a million sub-folders stops here
MAX_PROFILES_INI_BYTES = 1024 * 1024  # a real one is a few hundred bytes


class BrowserProfile(NamedTuple):
    """One profile of one browser: its label, the profile's name and its folder."""

    browser: str  # "Chrome", "Firefox (snap)", ...
    name: str  # "Default", "Profile 1", "abcd1234.default-release"
    folder: Path
    engine: str  # "chromium" | "firefox"

    @property
    def label(self) -> str:
        return f"{self.browser}, profile {self.name}"


def platform_key(platform: str) -> str:
    if platform.startswith("win"):
        return "win32"
    if platform == "darwin":
        return "darwin"
    return "linux"


def find_profiles(home: Path, platform: str) -> list[BrowserProfile]:
    """Every Chromium-family and Firefox profile in `home` for this platform."""
    key = platform_key(platform)
    found: list[BrowserProfile] = []
    for browser, relative in CHROMIUM_FOLDERS[key]:
        found += chromium_profiles(browser, home / relative)
    for browser, relative in FIREFOX_FOLDERS[key]:
        found += firefox_profiles(browser, home / relative)
    return found


def chromium_profiles(browser: str, user_data: Path) -> list[BrowserProfile]:
    profiles = []
    for folder in _subfolders(user_data):
        if folder.name in _NOT_PROFILES:
            continue
        if any(os.path.lexists(folder / marker) for marker in _CHROMIUM_PROFILE_MARKERS):
            profiles.append(BrowserProfile(browser, folder.name, folder, "chromium"))
    return profiles


def firefox_profiles(browser: str, root: Path) -> list[BrowserProfile]:
    """Profiles `profiles.ini` names, then any other folder holding a `places.sqlite`."""
    folders: list[Path] = []
    try:
        # A FIFO planted as profiles.ini would block a plain read for ever.
        text = read_regular(root / "profiles.ini", MAX_PROFILES_INI_BYTES).decode(
            "utf-8", "replace"
        )
    except OSError:
        text = ""
    for path, relative in parse_profiles_ini(text):
        folders.append(root / path if relative else Path(path))
    for parent in (root, root / "Profiles"):
        folders += [
            f
            for f in _subfolders(parent)
            if any(os.path.lexists(f / marker) for marker in _FIREFOX_PROFILE_MARKERS)
        ]
    unique = list(dict.fromkeys(os.path.normpath(f) for f in folders))
    return [
        BrowserProfile(browser, Path(folder).name, Path(folder), "firefox")
        for folder in unique[:MAX_PROFILES_PER_BROWSER]
        if os.path.isdir(folder)
    ]


def parse_profiles_ini(text: str) -> list[tuple[str, bool]]:
    """(path, is_relative) of every profile Firefox's `profiles.ini` names.

    `[ProfileN]` sections give `Path=` and `IsRelative=` (1 unless it says 0); `[Install...]`
    sections give the profile each installation uses as `Default=` (always relative). A small
    reader of its own rather than configparser, which refuses repeated keys and sections that
    a hand-edited file may well have.
    """
    found: list[tuple[str, bool]] = []
    section = ""
    values: dict[str, str] = {}

    def close() -> None:
        lowered = section.lower()
        if lowered.startswith("profile") and values.get("path"):
            found.append((values["path"], values.get("isrelative", "1").strip() != "0"))
        elif lowered.startswith("install") and values.get("default"):
            found.append((values["default"], True))

    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            close()
            section, values = line[1:-1].strip(), {}
        elif "=" in line and not line.startswith((";", "#")):
            key, _, value = line.partition("=")
            values[key.strip().lower()] = value.strip()
    close()
    return [(path, relative) for path, relative in dict.fromkeys(found) if "\0" not in path]


def _subfolders(folder: Path) -> list[Path]:
    try:
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if e.is_dir(follow_symlinks=False))
    except OSError:
        return []
    return [folder / name for name in names[:MAX_PROFILES_PER_BROWSER]]
