"""Browser extensions installed in every profile of the person running the scan.

Chromium-family browsers (Chrome, Chromium, Edge, Brave) keep each extension under
`Extensions/<id>/<version>/manifest.json`, and how it was installed in the profile's
`Preferences` or `Secure Preferences` (`extensions.settings.<id>`: `location`, `from_webstore`,
`install_time`, and for an unpacked extension its folder and manifest). Firefox lists its
add-ons in the profile's `extensions.json` (`location`, `signedState`, `foreignInstall`,
`userPermissions`).

Three kinds of finding:
- an extension in the bundled list of monitoring extensions (`data/browser-extensions.json`,
  each id as its vendor's installation guide gives it, with that page);
- an extension that an indicator list names: its name, or the site it says it comes from
  (`homepage_url`, its update address), is a product or domain of the curated list, Echap or
  LOLRMM (monitoring products that come as extensions: employee monitoring, parental control);
- an extension that can read everything, everywhere (every site: `<all_urls>` or `*://*/*`,
  together with an interface such as webRequest, tabs, history or cookies) and that was not
  installed from the browser's store: loaded by hand, put there by another program, pushed by
  a policy, or not signed by Mozilla. Such an extension sees every page, password field and
  message typed in the browser.

`list_extensions(home, platform)` is what the scan baseline records; it only reads.
"""

import json
import os
from pathlib import Path
from typing import Any, NamedTuple

from devicecheck.core.clock import utc_iso
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan.browser_history import (
    WEBKIT_EPOCH_OFFSET_US,
    DomainIndex,
    host_of,
    visit_iso,
)
from devicecheck.core.scan.browser_profiles import BrowserProfile, find_profiles
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Coverage,
    Finding,
    Match,
    NotExamined,
    ScanContext,
    advice_for_behaviour,
    make_behaviour_finding,
    make_listed_finding,
    severity_for,
    source_of,
)
from devicecheck.core.scan.procfs import read_regular
from devicecheck.errors import InvalidDataError

MAX_JSON_BYTES = 32 * 1024 * 1024
KNOWN_EXTENSIONS = Path(__file__).resolve().parents[2] / "data" / "browser-extensions.json"
_KNOWN_SOURCE = {"id": "browser-extensions", "name": "devicecheck list of monitoring extensions"}
MAX_EXTENSIONS_PER_PROFILE = 1000
# Chromium's ManifestLocation (extensions/common/mojom/manifest.mojom), in plain words.
CHROMIUM_LOCATIONS = {
    1: "installed from a store or a downloaded file",
    2: "installed by another program on this computer",
    3: "installed by another program through the Windows registry",
    4: "loaded by hand from a folder (unpacked)",
    5: "built into the browser",
    6: "installed by another program on this computer",
    7: "pushed by a policy (an administrator)",
    8: "loaded from the command line",
    9: "pushed by a policy (an administrator)",
    10: "built into the browser",
}
_BUILT_IN_CHROMIUM = frozenset({5, 10})
STORE_UPDATE_URLS = frozenset(
    {
        "https://clients2.google.com/service/update2/crx",  # Chrome Web Store
        "https://edge.microsoft.com/extensionwebstorebase/v1/crx",  # Edge Add-ons
    }
)
_BUILT_IN_FIREFOX = frozenset({"app-builtin", "app-system-defaults", "app-system-addons"})
_FIREFOX_SIGNED = frozenset({2, 3, 4})  # signed by addons.mozilla.org, system, privileged
EVERY_SITE = frozenset(
    {"<all_urls>", "*://*/*", "http://*/*", "https://*/*", "*://*/", "file:///*"}
)
# Interfaces that, with every site, let an extension watch what the person does.
WATCHING_APIS = frozenset(
    {
        "webRequest",
        "webRequestBlocking",
        "webNavigation",
        "tabs",
        "history",
        "cookies",
        "debugger",
        "proxy",
        "clipboardRead",
        "desktopCapture",
        "tabCapture",
        "declarativeNetRequestFeedback",
        "scripting",
    }
)


class InstalledExtension(NamedTuple):
    browser: str
    profile: str
    id: str
    name: str
    version: str
    from_store: bool
    how_installed: str  # plain words
    apis: tuple[str, ...]  # requested interfaces (tabs, cookies, ...)
    hosts: tuple[str, ...]  # sites it may read (`<all_urls>`, `*://*/*`, ...)
    enabled: bool | None
    homepage: str
    installed_at: str | None  # UTC ISO 8601

    @property
    def reads_everything(self) -> bool:
        """Every site, and an interface that watches browsing."""
        return bool(EVERY_SITE.intersection(self.hosts)) and bool(
            WATCHING_APIS.intersection(self.apis)
        )

    def to_dict(self) -> dict[str, Any]:
        return {**self._asdict(), "apis": list(self.apis), "hosts": list(self.hosts)}


# --- reading -----------------------------------------------------------------------------------


def read_json(path: Path) -> Any:
    """A JSON file of a browser profile; InvalidDataError if it cannot be read or parsed.
    A FIFO or device under the name is refused without blocking; the size is capped."""
    try:
        data = read_regular(path, MAX_JSON_BYTES + 1)
    except OSError as error:
        raise InvalidDataError(f"cannot read {path.name} ({error.strerror or error})") from None
    if len(data) > MAX_JSON_BYTES:
        raise InvalidDataError(f"{path.name} is larger than {MAX_JSON_BYTES >> 20} MB")
    try:
        return json.loads(data.decode("utf-8", "replace"))
    except (ValueError, RecursionError) as error:
        raise InvalidDataError(f"{path.name} is not valid JSON ({error})") from None


def _mapping(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def _texts(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(dict.fromkeys(item for item in value if isinstance(item, str)))


def split_permissions(values: tuple[str, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(interfaces, site patterns) of a manifest's permissions."""
    hosts = tuple(v for v in values if v == "<all_urls>" or "://" in v)
    apis = tuple(v for v in values if v not in hosts)
    return apis, hosts


def chromium_extensions(profile: BrowserProfile) -> list[InstalledExtension]:
    """The extensions of a Chromium profile; InvalidDataError if its preferences are damaged."""
    settings: dict[str, Any] = {}
    found_preferences = False
    for name in ("Preferences", "Secure Preferences"):
        path = profile.folder / name
        if os.path.lexists(path):
            found_preferences = True
            document = _mapping(read_json(path))
            settings.update(_mapping(_mapping(document.get("extensions")).get("settings")))
    if not found_preferences and not os.path.isdir(profile.folder / "Extensions"):
        return []
    ids = list(settings) + [
        entry.name
        for entry in _entries(profile.folder / "Extensions")
        if entry.is_dir(follow_symlinks=False) and entry.name not in settings
    ]
    found = []
    for extension_id in ids[:MAX_EXTENSIONS_PER_PROFILE]:
        setting = _mapping(settings.get(extension_id))
        location = setting.get("location")
        if location in _BUILT_IN_CHROMIUM:
            continue
        found.append(_chromium_extension(profile, extension_id, setting, location))
    return found


def _chromium_extension(
    profile: BrowserProfile, extension_id: str, setting: dict, location: Any
) -> InstalledExtension:
    folder = _chromium_folder(profile, extension_id, setting)
    manifest = _mapping(setting.get("manifest"))
    if not manifest and folder is not None:
        try:
            manifest = _mapping(read_json(folder / "manifest.json"))
        except InvalidDataError:
            manifest = {}
    permissions = _texts(manifest.get("permissions")) + _texts(manifest.get("host_permissions"))
    for script in manifest.get("content_scripts") or []:
        permissions += _texts(_mapping(script).get("matches"))
    apis, hosts = split_permissions(tuple(dict.fromkeys(permissions)))
    update_url = manifest.get("update_url") if isinstance(manifest.get("update_url"), str) else ""
    from_store = location == 1 and (
        setting.get("from_webstore") is True or update_url in STORE_UPDATE_URLS
    )
    if location == 1 and not from_store:
        how = "installed from a downloaded file, not from the store"
    elif isinstance(location, int) and location in CHROMIUM_LOCATIONS:
        how = "installed from the store" if from_store else CHROMIUM_LOCATIONS[location]
    else:
        how = "not recorded in the browser's settings (put in its folder from outside)"
    state = setting.get("state")
    reasons = setting.get("disable_reasons")
    enabled = (
        (state == 1) if isinstance(state, int) else (not reasons if reasons is not None else None)
    )
    return InstalledExtension(
        browser=profile.browser,
        profile=profile.name,
        id=extension_id,
        name=_localised_name(manifest, folder) or extension_id,
        version=str(manifest.get("version") or ""),
        from_store=from_store,
        how_installed=how,
        apis=apis,
        hosts=hosts,
        enabled=enabled,
        homepage=manifest.get("homepage_url")
        if isinstance(manifest.get("homepage_url"), str)
        else update_url,
        installed_at=_webkit_time(setting.get("install_time") or setting.get("first_install_time")),
    )


def _chromium_folder(profile: BrowserProfile, extension_id: str, setting: dict) -> Path | None:
    path = setting.get("path")
    if isinstance(path, str) and path and "\0" not in path:
        candidate = Path(path)
        return candidate if candidate.is_absolute() else profile.folder / "Extensions" / path
    versions = sorted(
        e.name for e in _entries(profile.folder / "Extensions" / extension_id) if e.is_dir()
    )
    return profile.folder / "Extensions" / extension_id / versions[-1] if versions else None


def _localised_name(manifest: dict, folder: Path | None) -> str:
    """The manifest's name; `__MSG_key__` looked up in the default locale's messages."""
    name = manifest.get("name") if isinstance(manifest.get("name"), str) else ""
    if not (name.startswith("__MSG_") and name.endswith("__")) or folder is None:
        return name.strip()
    locale = manifest.get("default_locale")
    if not isinstance(locale, str) or "/" in locale or "\\" in locale or ".." in locale:
        return name
    try:
        messages = _mapping(read_json(folder / "_locales" / locale / "messages.json"))
    except InvalidDataError:
        return name
    key = name[6:-2]
    entry = next((v for k, v in messages.items() if k.lower() == key.lower()), None)
    message = _mapping(entry).get("message")
    return message.strip() if isinstance(message, str) and message.strip() else name


def _webkit_time(value: Any) -> str | None:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    return visit_iso(value, WEBKIT_EPOCH_OFFSET_US) if isinstance(value, int) else None


def firefox_extensions(profile: BrowserProfile) -> list[InstalledExtension]:
    """The add-ons of a Firefox profile (extensions only; Mozilla's own left out)."""
    path = profile.folder / "extensions.json"
    if not os.path.lexists(path):
        return []
    addons = _mapping(read_json(path)).get("addons")
    found = []
    for addon in addons if isinstance(addons, list) else []:
        addon = _mapping(addon)
        if addon.get("type") != "extension" or addon.get("location") in _BUILT_IN_FIREFOX:
            continue
        if not isinstance(addon.get("id"), str):
            continue
        found.append(_firefox_extension(profile, addon))
        if len(found) >= MAX_EXTENSIONS_PER_PROFILE:
            break
    return found


def _firefox_extension(profile: BrowserProfile, addon: dict) -> InstalledExtension:
    permissions = _mapping(addon.get("userPermissions"))
    apis = _texts(permissions.get("permissions"))
    hosts = _texts(permissions.get("origins"))
    signed = addon.get("signedState") in _FIREFOX_SIGNED
    foreign = addon.get("foreignInstall") is True
    location = addon.get("location") if isinstance(addon.get("location"), str) else ""
    from_store = signed and not foreign and location == "app-profile"
    if foreign or (location and location != "app-profile"):
        how = f"installed by another program on this computer ({location or 'sideloaded'})"
    elif not signed:
        how = "not signed by Mozilla (not from addons.mozilla.org)"
    else:
        how = "installed from addons.mozilla.org"
    locale = _mapping(addon.get("defaultLocale"))
    name = locale.get("name") if isinstance(locale.get("name"), str) else addon["id"]
    homepage = locale.get("homepageURL") if isinstance(locale.get("homepageURL"), str) else ""
    installed = addon.get("installDate")
    return InstalledExtension(
        browser=profile.browser,
        profile=profile.name,
        id=addon["id"],
        name=name,
        version=str(addon.get("version") or ""),
        from_store=from_store,
        how_installed=how,
        apis=apis,
        hosts=hosts,
        enabled=(addon.get("active") is True) if "active" in addon else None,
        homepage=homepage
        or (addon.get("sourceURI") if isinstance(addon.get("sourceURI"), str) else ""),
        installed_at=_unix_ms(installed),
    )


def _unix_ms(value: Any) -> str | None:
    if type(value) is not int or not 0 < value < 32_503_680_000_000:
        return None
    return utc_iso(value // 1000)


def _entries(folder: Path) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda e: e.name)[:MAX_EXTENSIONS_PER_PROFILE]
    except OSError:
        return []


def list_extensions(
    home: Path, platform: str
) -> tuple[list[InstalledExtension], list[NotExamined], int]:
    """(every extension of every browser profile, places that could not be read, profiles
    read). For the scan baseline too: it records what was installed when."""
    extensions: list[InstalledExtension] = []
    problems: list[NotExamined] = []
    profiles = 0
    for profile in find_profiles(home, platform):
        reader = chromium_extensions if profile.engine == "chromium" else firefox_extensions
        try:
            extensions += reader(profile)
            profiles += 1
        except InvalidDataError as error:
            problems.append(NotExamined(f"browser extensions ({profile.label})", error.message))
    return extensions, problems, profiles


# --- findings ----------------------------------------------------------------------------------


def known_extensions(path: Path = KNOWN_EXTENSIONS) -> dict[str, dict[str, str]]:
    """id -> entry of the bundled list of monitoring extensions (each with its source)."""
    try:
        document = _mapping(read_json(path))
    except InvalidDataError:
        return {}
    found = {}
    for entry in document.get("extensions") or []:
        entry = _mapping(entry)
        fields = ("id", "name", "category", "what", "source")
        if all(isinstance(entry.get(key), str) for key in fields):
            found[entry["id"]] = {key: entry[key] for key in fields}
    return found


def known_product(
    extension: InstalledExtension, indicators: IndicatorSet, domains: DomainIndex
) -> tuple[int, Match] | None:
    """The indicator app an extension is, by the site it names or by its name."""
    host = host_of(extension.homepage)
    for match in domains.matches(host) if host else ():
        return match.app, Match(match.indicator, "domains", extension.homepage)
    lowered = extension.name.lower()
    for number, app in enumerate(indicators.apps):
        for name in (app.name, *app.aliases):
            if len(name) >= 6 and _whole_words(name.lower(), lowered):
                return number, Match(name, "name", extension.name)
    return None


def _whole_words(needle: str, text: str) -> bool:
    start = text.find(needle)
    while start >= 0:
        before = text[start - 1] if start else " "
        end = start + len(needle)
        after = text[end] if end < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            return True
        start = text.find(needle, start + 1)
    return False


def extension_findings(
    extensions: list[InstalledExtension], indicators: IndicatorSet, region: str | None
) -> list[Finding]:
    if not extensions:
        return []
    domains = DomainIndex.of(indicators)
    listed = known_extensions()
    findings = []
    for extension in extensions:
        known = known_product(extension, indicators, domains)
        if extension.id in listed:
            findings.append(_listed_finding(extension, listed[extension.id], region))
        elif known is not None:
            findings.append(_known_finding(extension, indicators, *known, region))
        elif extension.reads_everything and not extension.from_store:
            findings.append(_reads_everything_finding(extension, region))
    return findings


def _detail(extension: InstalledExtension) -> dict[str, Any]:
    return extension.to_dict()


def _known_finding(
    extension: InstalledExtension,
    indicators: IndicatorSet,
    number: int,
    match: Match,
    region: str | None,
) -> Finding:
    app = indicators.apps[number]
    what = (
        f'The browser extension "{extension.name}" ({extension.browser}, profile '
        f"{extension.profile}; {extension.how_installed}) belongs to {app.name}, which "
        f"{source_of(indicators, app)['name']} lists as software for watching or controlling a computer. A browser "
        "extension like this can see the pages you open and what you type in them."
    )
    return make_listed_finding(
        indicators,
        app,
        kind="extension",
        confidence="medium" if match.field == "domains" else "low",
        matched=match,
        advice=advice_for_behaviour(what, region),
        detail=_detail(extension),
    )


def _listed_finding(
    extension: InstalledExtension, entry: dict[str, str], region: str | None
) -> Finding:
    what = (
        f'The browser extension "{extension.name}" ({extension.browser}, profile '
        f"{extension.profile}; {extension.how_installed}) is {entry['name']}: "
        f"{entry['what']}. On a personal computer it lets whoever runs it see what you do in "
        "this browser. Check: did you, or someone you trust, install it?"
    )
    return make_behaviour_finding(
        kind="extension",
        app=entry["name"],
        category=entry["category"],
        severity=severity_for(entry["category"]),
        confidence="high",
        matched=Match(extension.id, "extension_id", extension.id),
        advice=advice_for_behaviour(what, region),
        detail={**_detail(extension), "listed_by": entry["source"]},
        source=_KNOWN_SOURCE,
    )


def _reads_everything_finding(extension: InstalledExtension, region: str | None) -> Finding:
    watching = sorted(WATCHING_APIS.intersection(extension.apis))
    sites = sorted(EVERY_SITE.intersection(extension.hosts))
    what = (
        f'The browser extension "{extension.name}" ({extension.browser}, profile '
        f"{extension.profile}) can read every website you open and use "
        f"{', '.join(watching)}, and it was not installed from the browser's store: it was "
        f"{extension.how_installed}. An extension like this can see every page, password "
        "field and message in this browser. Check: did you, or someone you trust, install it?"
    )
    return make_behaviour_finding(
        kind="extension",
        app=f"browser extension: {extension.name}",
        category="spyware",
        severity="medium",
        confidence="medium",
        matched=Match(
            "reads every site, outside the store", "permissions", ", ".join(sites + watching)
        ),
        advice=advice_for_behaviour(what, region),
        detail=_detail(extension),
    )


def check_browser_extensions(context: ScanContext) -> CheckOutcome:
    """Extensions that an indicator list names, or that read everything and came from outside
    the store, in every browser profile of this user."""
    extensions, problems, profiles = list_extensions(context.home, context.platform)
    count = len(extensions)
    how = (
        f"listed {count} extension{'s' * (count != 1)} in {profiles} browser "
        f"profile{'s' * (profiles != 1)}"
        if profiles
        else "no browser profile was found or readable"
    )
    return CheckOutcome(
        findings=tuple(extension_findings(extensions, context.indicators, context.region)),
        examined={"browser_extensions": len(extensions)},
        not_examined=tuple(problems),
        coverage=(Coverage("browser_extensions", bool(profiles), how),),
    )
