"""Looking observed names, paths and command lines up in an IndicatorSet's index.

Every check (processes, connections, start-up entries) goes through one `Matcher`, which
remembers the answer for each distinct path and command line: hundreds of processes usually
share a handful of executables, so each is matched against the patterns once.

Names are matched so that they fit the platform:
- a name the list writes with `.exe` (`kitty.exe`) meets a bare name (`kitty`) only on a
  platform where the source says the product runs (or where it says nothing); the whole
  Windows name, `.exe` included, meets anywhere, since that is how programs run under Wine;
- the names of ordinary programs (`core.scan.ordinary_programs`: terminals, coreutils, sync
  clients...) never match by name;
- names written as globs (`zabbix_agent*.exe`) match as globs;
- a path pattern that says nothing but the file name (`*\\AnyDesk.exe`) is name evidence.
"""

import re
import sys
from typing import NamedTuple

from devicecheck.core.indicators.model import (
    IndicatorSet,
    PatternRule,
    normalise_path,
    normalise_process_name,
)
from devicecheck.core.scan.findings import Match
from devicecheck.core.scan.ordinary_programs import is_colliding_name

_PLATFORM_NAMES = {"linux": "linux", "darwin": "macos", "win32": "windows", "cygwin": "windows"}
_WINDOWS_DRIVE = re.compile(r"\A[A-Za-z]:[\\/]")
_WINE_DRIVE = "/drive_c/"


def platform_name(sys_platform: str) -> str:
    """The indicator lists' word for a `sys.platform` value (linux, macos, windows)."""
    for prefix, name in _PLATFORM_NAMES.items():
        if sys_platform.startswith(prefix):
            return name
    return sys_platform


def windows_paths(*paths: str | None) -> list[str]:
    """The Windows paths these stand for: `C:\\...` as it is, and a Wine prefix's
    `.../drive_c/Program Files/x.exe` as `C:/Program Files/x.exe`."""
    found: list[str] = []
    for path in paths:
        if not path:
            continue
        if _WINDOWS_DRIVE.match(path):
            found.append(path)
        elif _WINE_DRIVE in path.lower():
            start = path.lower().rindex(_WINE_DRIVE) + len(_WINE_DRIVE)
            found.append("C:/" + path[start:])
    return list(dict.fromkeys(found))


def _name_only_pattern(pattern: str) -> bool:
    """`*\\AnyDesk.exe`, `*/anydesk`: a path pattern that says nothing beyond the file name."""
    rest = normalise_path(pattern.strip()).lstrip("*").lstrip("/")
    return bool(rest) and "/" not in rest and not any(c in rest for c in "*?[%$")


# A path pattern that matches one of these ordinary programs matches nearly everything
# (`C:\Program Files\*`, `*`): it cannot be evidence of anything, so it is left out.
_ORDINARY_PATHS = (
    "/usr/bin/sleep",
    "/bin/sh",
    "c:/windows/system32/svchost.exe",
    "c:/program files/common files/microsoft shared/clicktorun/officeclicktorun.exe",
    "/applications/safari.app/contents/macos/safari",
    "/system/library/coreservices/finder.app",
)
_ORDINARY_NAMES = ("sleep", "bash", "systemd", "svchost", "explorer")
_ORDINARY_COMMAND_LINES = ("/usr/bin/sleep 60", "c:/windows/system32/svchost.exe -k netsvcs")


class AppMatch(NamedTuple):  # not a dataclass: making one costs a millisecond at import
    app: int  # index into IndicatorSet.apps
    match: Match


_WILDCARDS = re.compile(r"\[[^\]]*\]|[*?\[\]]|%[^%\\/]+%|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


def _longest_literal(pattern: str) -> str:
    """The longest part of a glob with no wildcard: a text must contain it to match."""
    return max(_WILDCARDS.split(pattern), key=len)


_GRAM = 3  # characters: rules are filed under three characters of their literal part


def _filing_key(literal: str) -> str | None:
    """Three characters every text matching the literal contains, picked to tell rules apart:
    the start of the literal's last path segment (`anydesk.exe`, not `c:/program files`)."""
    for segment in reversed(literal.split("/")):
        if len(segment) >= _GRAM:
            return segment[:_GRAM]
    return literal[:_GRAM] if len(literal) >= _GRAM else None


class _Rules:
    """Pattern rules, tried only where their literal part occurs; each regex compiled on need.

    Rules are filed under three characters of their literal part, so a text is compared only
    with the rules whose three characters it contains (a few dozen of 500).
    A rule that also matches an ordinary program (`C:\\Program Files\\*`, `*`) matches nearly
    everything: it cannot be evidence, so it is dropped when first found to match.
    """

    def __init__(self, rules: tuple[PatternRule, ...], normalise, ordinary: tuple[str, ...]):
        # (literal part normalised like the texts it is tested against, rule)
        self.rules = [(_longest_literal(normalise(rule.pattern)), rule) for rule in rules]
        self.ordinary = ordinary
        self._broad: dict[PatternRule, bool] = {}
        self._always: list[int] = []  # literal too short to file: tried on every text
        self._filed: dict[str, list[int]] = {}
        for number, (literal, _) in enumerate(self.rules):
            key = _filing_key(literal)
            if key is None:
                self._always.append(number)
            else:
                self._filed.setdefault(key, []).append(number)

    def matching(self, text: str) -> list[PatternRule]:
        candidates = set(self._always)
        filed = self._filed
        for start in range(len(text) - _GRAM + 1):
            found = filed.get(text[start : start + _GRAM])
            if found:
                candidates.update(found)
        return [
            rule
            for literal, rule in (self.rules[number] for number in sorted(candidates))
            if literal in text and rule.regex.match(text) and not self._is_broad(rule)
        ]

    def _is_broad(self, rule: PatternRule) -> bool:
        if rule not in self._broad:
            self._broad[rule] = any(rule.regex.match(sample) for sample in self.ordinary)
        return self._broad[rule]


def executable_of(command: str) -> str:
    """The program a command line runs: a quoted first word, or up to `.exe`, or the first word."""
    text = command.strip()
    if text[:1] in ('"', "'"):
        end = text.find(text[0], 1)
        return text[1:end] if end > 0 else text[1:]
    lowered = text.lower()
    exe_end = lowered.find(".exe")
    if exe_end > 0 and (exe_end + 4 == len(text) or text[exe_end + 4] in " \t,"):
        return text[: exe_end + 4]
    return text.split(maxsplit=1)[0] if text else ""


def basename(path: str) -> str:
    return path.rstrip("\\/").replace("\\", "/").rpartition("/")[2] if path else ""


def _bundle_paths(normalised: str) -> list[str]:
    """The path itself and every enclosing `.app` bundle (macOS sources name bundles)."""
    found = [normalised]
    parts = normalised.split("/")
    for end in range(len(parts) - 1, 0, -1):
        if parts[end - 1].endswith(".app"):
            found.append("/".join(parts[:end]))
    return found


class Matcher:
    """Lookups over one IndicatorSet, remembered per distinct name, path and command line.

    `platform` (a `sys.platform` value; default this computer's) decides which products a
    bare program name can stand for.
    """

    def __init__(self, indicators: IndicatorSet, platform: str | None = None) -> None:
        self.indicators = indicators
        self.index = indicators.index
        self.platform = platform_name(platform or sys.platform)
        self._path_rules = _Rules(self.index.exe_paths, normalise_path, _ORDINARY_PATHS)
        self._cmdline_rules = _Rules(self.index.cmdlines, str.lower, _ORDINARY_COMMAND_LINES)
        self._name_rules = _Rules(
            self.index.process_name_patterns, normalise_process_name, _ORDINARY_NAMES
        )
        self._paths: dict[str, tuple[PatternRule, ...]] = {}
        self._cmdlines: dict[str, tuple[PatternRule, ...]] = {}
        self._names: dict[str, tuple[tuple[int, str], ...]] = {}

    def names(self, *observed: str) -> list[AppMatch]:
        """Process-name matches for any of the observed names (compared without path or .exe),
        kept only where the product can run as that name here (see the module's notes)."""
        found: list[AppMatch] = []
        seen: set[str] = set()
        for raw in observed:
            if not raw:
                continue
            key = normalise_process_name(raw)
            if not key or key in seen or is_colliding_name(key):
                continue
            seen.add(key)
            whole_windows_name = raw.lower().endswith(".exe")
            for app, written in self._named(key):
                if whole_windows_name and written.lower().endswith(".exe"):
                    pass  # the whole Windows name: Windows itself, or Wine on any system
                elif not self.runs_here(app):
                    continue
                found.append(AppMatch(app, Match(written, "process_names", raw)))
        return found

    def runs_here(self, app: int) -> bool:
        """Whether the source says the product runs on this platform (or says nothing)."""
        platforms = self.indicators.apps[app].platforms
        return not platforms or self.platform in platforms

    def _named(self, key: str) -> tuple[tuple[int, str], ...]:
        """(app, name as the list wrote it) for a normalised name, exact names and globs."""
        known = self._names.get(key)
        if known is not None:
            return known
        pairs: list[tuple[int, str]] = []
        for app in self.index.process_names.get(key, ()):
            written = next(
                (
                    name
                    for name in self.indicators.apps[app].process_names
                    if normalise_process_name(name) == key
                ),
                key,
            )
            pairs.append((app, written))
        for rule in self._name_rules.matching(key):
            if all(app != rule.app for app, _ in pairs):
                pairs.append((rule.app, rule.pattern))
        self._names[key] = tuple(pairs)
        return self._names[key]

    def path(self, path: str | None) -> list[AppMatch]:
        """Matches of a program path. A rule that names only the file (`*\\x.exe`) gives
        name evidence (field `process_names`), like a process name, and follows its rules."""
        if not path:
            return []
        rules = self._paths.get(path)
        if rules is None:
            rules = self._match_path(path)
            self._paths[path] = rules
        found = []
        for rule in rules:
            if not _name_only_pattern(rule.pattern):
                found.append(AppMatch(rule.app, Match(rule.pattern, "exe_paths", path)))
            elif not is_colliding_name(basename(path)):
                found.append(AppMatch(rule.app, Match(rule.pattern, "process_names", path)))
        return found

    def _match_path(self, path: str) -> tuple[PatternRule, ...]:
        matched: list[PatternRule] = []
        for candidate in _bundle_paths(normalise_path(path)):
            matched.extend(r for r in self._path_rules.matching(candidate) if r not in matched)
        return tuple(matched)

    def cmdline(self, cmdline: tuple[str, ...] | list[str]) -> list[AppMatch]:
        if not cmdline:
            return []
        joined = " ".join(cmdline)
        rules = self._cmdlines.get(joined)
        if rules is None:
            rules = tuple(self._cmdline_rules.matching(joined.lower()))
            self._cmdlines[joined] = rules
        return [
            AppMatch(rule.app, Match(rule.pattern, "cmdline_patterns", joined)) for rule in rules
        ]

    def autostart_name(self, *names: str) -> list[AppMatch]:
        found: list[AppMatch] = []
        for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
            for app in self.index.autostart_names.get(name.lower(), ()):
                written = next(
                    (
                        n
                        for n in self.indicators.apps[app].autostart_names
                        if n.lower() == name.lower()
                    ),
                    name,
                )
                found.append(AppMatch(app, Match(written, "autostart_names", name)))
        return found


def by_app(matches: list[AppMatch]) -> dict[int, list[Match]]:
    grouped: dict[int, list[Match]] = {}
    for item in matches:
        grouped.setdefault(item.app, []).append(item.match)
    return grouped
