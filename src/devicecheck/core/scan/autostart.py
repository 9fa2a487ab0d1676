"""Start-up entries: what this computer runs by itself, against indicator names and paths.

Each format has a pure parser from file text (or registry values) to `AutostartEntry`s, so the
parsers for every operating system are tested everywhere. The collectors walk the usual places
under injectable roots (`AutostartRoots`), so tests point them at a temporary directory.
"""

import fnmatch
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from devicecheck.core.scan.findings import (
    Finding,
    NotExamined,
    confidence_for,
    make_finding,
    strongest_first,
)
from devicecheck.core.scan.matching import AppMatch, Matcher, basename, by_app, executable_of
from devicecheck.errors import InvalidDataError

MAX_FILE_BYTES = 1024 * 1024  # no start-up file is this big; a bigger one is not read
_DESKTOP_FIELD_CODE = re.compile(r"%[fFuUdDnNickvm]")
_ENVIRONMENT_ASSIGNMENT = re.compile(r"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=")
_COMMAND_SEPARATOR = re.compile(r"&&|\|\||[;|]")
_CRON_SPECIAL = re.compile(r"^@(reboot|yearly|annually|monthly|weekly|daily|midnight|hourly)$")


class AutostartEntry(NamedTuple):
    """One thing set to start by itself: its name, what it runs, and where it is configured."""

    name: str
    command: str
    location: str
    other_names: tuple[str, ...] = ()  # file stem, display name: also looked up

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "command": self.command, "location": self.location}


# --- parsers (pure) ----------------------------------------------------------------------------


def _stem(location: str, *suffixes: str) -> str:
    name = PurePath(location.replace("\\", "/")).name
    for suffix in suffixes:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name


def parse_desktop_entry(text: str, location: str) -> list[AutostartEntry]:
    """An XDG `.desktop` file: the [Desktop Entry] group's Name and Exec."""
    values: dict[str, str] = {}
    group = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            group = stripped[1:-1]
            continue
        if group == "Desktop Entry" and "=" in stripped:
            key, _, value = stripped.partition("=")
            values.setdefault(key.strip(), value.strip())
    if not values:
        return []
    command = _DESKTOP_FIELD_CODE.sub("", values.get("Exec", "")).replace("%%", "%").strip()
    stem = _stem(location, ".desktop")
    return [AutostartEntry(values.get("Name") or stem, command, location, (stem,))]


def _unit_lines(text: str) -> Iterable[str]:
    """Logical lines of a unit file: a trailing backslash continues the line."""
    if "\\" not in text:  # no continuation anywhere (most units): the lines as they are
        return text.splitlines()
    return _joined_lines(text)


def _joined_lines(text: str) -> Iterable[str]:
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip() if pending else raw
        if line.endswith("\\"):
            pending += line[:-1].rstrip() + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def parse_systemd_unit(text: str, location: str) -> list[AutostartEntry]:
    """A systemd unit: its name (from the file name), Description and each ExecStart."""
    name = _stem(location, ".service")
    description = ""
    commands: list[str] = []
    section = None
    for line in _unit_lines(text):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            continue
        if not stripped.startswith(("Description", "ExecStart")):  # the only keys read
            continue
        key, _, value = stripped.partition("=")
        key, value = key.strip(), value.strip()
        if section == "Unit" and key == "Description":
            description = value
        elif section == "Service" and key == "ExecStart" and value:
            commands.append(value.lstrip("@-:+!").strip())
    other = (description,) if description else ()
    if not commands:
        return [AutostartEntry(name, "", location, other)] if section else []
    return [AutostartEntry(name, command, location, other) for command in commands]


def parse_crontab(text: str, location: str, *, system: bool = False) -> list[AutostartEntry]:
    """A crontab: one entry per job. System crontabs (/etc/crontab, /etc/cron.d) name a user."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _ENVIRONMENT_ASSIGNMENT.match(stripped):
            continue
        fields = stripped.split()
        schedule = 1 if _CRON_SPECIAL.match(fields[0]) else 5
        skip = schedule + (1 if system else 0)
        if len(fields) <= skip:
            continue
        command = stripped.split(maxsplit=skip)[skip].split("%", 1)[0].strip()
        program = basename(executable_of(command))
        entries.append(AutostartEntry(program, command, f"{location}:{number}"))
    return entries


def parse_launchd_plist(data: bytes, location: str) -> list[AutostartEntry]:
    """A launchd job (XML or binary plist): Label and Program or ProgramArguments."""
    import plistlib  # only macOS start-up entries need it

    try:
        job = plistlib.loads(data)
    except Exception as error:  # plistlib raises many types on hostile input
        raise InvalidDataError(
            f"{location}: not a readable property list ({type(error).__name__})"
        ) from None
    if not isinstance(job, dict):
        raise InvalidDataError(f"{location}: a launchd job must be a dictionary")
    label = job.get("Label")
    program = job.get("Program")
    arguments = job.get("ProgramArguments")
    words = [str(word) for word in arguments] if isinstance(arguments, list) else []
    if isinstance(program, str) and program:
        command = " ".join(_quoted(word) for word in [program, *words[1:]])
    else:
        command = " ".join(_quoted(word) for word in words)
    stem = _stem(location, ".plist")
    name = label if isinstance(label, str) and label else stem
    return [AutostartEntry(name, command, location, (stem,))]


def _quoted(word: str) -> str:
    return f'"{word}"' if " " in word else word


def parse_windows_run_values(
    values: Iterable[tuple[str, Any, int]], location: str
) -> list[AutostartEntry]:
    """Values of a Run or RunOnce key, as `winreg.EnumValue` gives them: (name, data, type)."""
    entries = []
    for value in values:
        if not isinstance(value, tuple) or len(value) < 2:
            continue
        name, data = value[0], value[1]
        if isinstance(name, str) and isinstance(data, str) and data.strip():
            entries.append(AutostartEntry(name, data.strip(), f"{location}\\{name}"))
    return entries


def parse_windows_services(
    services: Iterable[Mapping[str, Any]], location: str = "Windows services"
) -> list[AutostartEntry]:
    """Services as `psutil.win_service_iter()` describes them (`as_dict()`)."""
    entries = []
    for service in services:
        name = service.get("name")
        if not isinstance(name, str) or not name:
            continue
        display = service.get("display_name")
        command = service.get("binpath")
        entries.append(
            AutostartEntry(
                name,
                command if isinstance(command, str) else "",
                f"{location}\\{name}",
                (display,) if isinstance(display, str) and display else (),
            )
        )
    return entries


def parse_startup_folder(file_names: Iterable[str], folder: str) -> list[AutostartEntry]:
    """A Startup folder: every file (usually a shortcut) starts at sign-in."""
    entries = []
    for file_name in file_names:
        if file_name.lower() == "desktop.ini":
            continue
        stem = _stem(file_name, ".lnk", ".url", ".bat", ".cmd")
        path = f"{folder}\\{file_name}"
        command = "" if file_name.lower().endswith((".lnk", ".url")) else path
        entries.append(AutostartEntry(stem, command, path))
    return entries


# --- collectors --------------------------------------------------------------------------------


class AutostartRoots(NamedTuple):
    """Where to look: the user's home folder and the system root (`/`, or a test directory)."""

    home: Path
    system: Path = Path("/")

    @classmethod
    def default(cls) -> "AutostartRoots":
        return cls(Path.home(), Path(os.sep))


class Collected:
    def __init__(self) -> None:
        self.entries: list[AutostartEntry] = []
        self.problems: dict[tuple[str, str], int] = {}

    def problem(self, what: Path | str, reason: str) -> None:
        key = (str(what), reason)
        self.problems[key] = self.problems.get(key, 0) + 1

    def not_examined(self) -> list[NotExamined]:
        return [NotExamined(what, reason, count) for (what, reason), count in self.problems.items()]


_DENIED = "access denied (needs admin or root)"


def _files(collected: Collected, folder: Path, pattern: str) -> list[Path]:
    """The files in `folder` whose names match `pattern` (as Path.glob would, hidden ones too),
    in name order. os.scandir and plain names: pathlib's glob and sort cost more than reading."""
    if not folder.is_dir():
        return []
    try:
        with os.scandir(folder) as found:
            names = sorted(
                entry.name
                for entry in found
                if fnmatch.fnmatchcase(entry.name, pattern) and entry.is_file()
            )
        return [folder / name for name in names]
    except PermissionError:
        collected.problem(folder, _DENIED)
        return []
    except OSError as error:
        collected.problem(folder, f"could not be read ({error.strerror or error})")
        return []


def _read(collected: Collected, path: Path) -> bytes | None:
    try:
        with open(path, "rb", buffering=0) as handle:
            # Asking for the cap at once would allocate a megabyte per file: ask for the size.
            size = os.fstat(handle.fileno()).st_size
            data = handle.read(min(size, MAX_FILE_BYTES) + 1)
            if len(data) > size:  # grown since, or a size the system does not know
                data += handle.read(MAX_FILE_BYTES + 1 - len(data))
    except PermissionError:
        collected.problem(path.parent, _DENIED)
        return None
    except OSError as error:
        collected.problem(path, f"could not be read ({error.strerror or error})")
        return None
    if len(data) > MAX_FILE_BYTES:
        collected.problem(path, "too large to be a start-up file; not read")
        return None
    return data


def _parse_files(collected: Collected, paths: Iterable[Path], parser) -> None:
    for path in paths:
        data = _read(collected, path)
        if data is None:
            continue
        try:
            collected.entries.extend(parser(data, str(path)))
        except InvalidDataError as error:
            collected.problem(path, f"not understood ({error.message.rsplit(': ', 1)[-1]})")


def _text_parser(parse):
    return lambda data, location: parse(data.decode("utf-8", "replace"), location)


def collect_linux(roots: AutostartRoots) -> Collected:
    collected = Collected()
    home, system = roots.home, roots.system
    desktop = _text_parser(parse_desktop_entry)
    for folder in (home / ".config/autostart", system / "etc/xdg/autostart"):
        _parse_files(collected, _files(collected, folder, "*.desktop"), desktop)
    unit_folders = (
        home / ".config/systemd/user",
        system / "etc/systemd/user",
        system / "usr/lib/systemd/user",
        system / "etc/systemd/system",
        system / "usr/lib/systemd/system",
        system / "lib/systemd/system",
    )
    seen: set[Path] = set()
    for folder in unit_folders:
        resolved = folder.resolve() if folder.exists() else folder
        if resolved in seen:  # /lib is often a link to /usr/lib
            continue
        seen.add(resolved)
        _parse_files(
            collected, _files(collected, folder, "*.service"), _text_parser(parse_systemd_unit)
        )
    system_cron = _text_parser(lambda text, where: parse_crontab(text, where, system=True))
    _parse_files(collected, _files(collected, system / "etc", "crontab"), system_cron)
    _parse_files(collected, _files(collected, system / "etc/cron.d", "*"), system_cron)
    spool = system / "var/spool/cron/crontabs"
    if not spool.is_dir():
        spool = system / "var/spool/cron"
    _parse_files(collected, _files(collected, spool, "*"), _text_parser(parse_crontab))
    return collected


def collect_macos(roots: AutostartRoots) -> Collected:
    collected = Collected()
    for folder in (
        roots.home / "Library/LaunchAgents",
        roots.system / "Library/LaunchAgents",
        roots.system / "Library/LaunchDaemons",
    ):
        _parse_files(collected, _files(collected, folder, "*.plist"), parse_launchd_plist)
    return collected


def collect_windows() -> Collected:  # pragma: no cover - needs Windows; its parsers are tested
    import winreg

    import psutil

    collected = Collected()
    hives = {"HKCU": winreg.HKEY_CURRENT_USER, "HKLM": winreg.HKEY_LOCAL_MACHINE}
    keys = (
        r"Software\Microsoft\Windows\CurrentVersion\Run",
        r"Software\Microsoft\Windows\CurrentVersion\RunOnce",
        r"Software\WOW6432Node\Microsoft\Windows\CurrentVersion\Run",
        r"Software\WOW6432Node\Microsoft\Windows\CurrentVersion\RunOnce",
    )
    for hive_name, hive in hives.items():
        for key_path in keys:
            location = f"{hive_name}\\{key_path}"
            try:
                with winreg.OpenKey(hive, key_path) as key:
                    count = winreg.QueryInfoKey(key)[1]
                    values = [winreg.EnumValue(key, number) for number in range(count)]
            except FileNotFoundError:
                continue
            except OSError:
                collected.problem(location, _DENIED)
                continue
            expanded = [
                (name, os.path.expandvars(data) if isinstance(data, str) else data, kind)
                for name, data, kind in values
            ]
            collected.entries.extend(parse_windows_run_values(expanded, location))
    for variable, tail in (
        ("APPDATA", r"Microsoft\Windows\Start Menu\Programs\Startup"),
        ("PROGRAMDATA", r"Microsoft\Windows\Start Menu\Programs\StartUp"),
    ):
        base = os.environ.get(variable)
        folder = Path(base) / tail if base else None
        if folder is None or not folder.is_dir():
            continue
        try:
            names = [path.name for path in folder.iterdir() if path.is_file()]
        except OSError:
            collected.problem(folder, _DENIED)
            continue
        collected.entries.extend(parse_startup_folder(names, str(folder)))
    services = []
    denied = 0
    for service in psutil.win_service_iter():
        try:
            services.append(service.as_dict())
        except psutil.Error:
            denied += 1
    if denied:
        collected.problems[("Windows services", _DENIED)] = denied
    collected.entries.extend(parse_windows_services(services))
    return collected


def collect_autostart(
    platform: str | None = None, roots: AutostartRoots | None = None
) -> Collected:
    """The start-up entries of this (or the named) platform: linux, darwin or win32."""
    platform = platform or sys.platform
    roots = roots or AutostartRoots.default()
    if platform.startswith("linux"):
        return collect_linux(roots)
    if platform == "darwin":
        return collect_macos(roots)
    if platform == "win32":
        return collect_windows()
    collected = Collected()
    collected.problem("start-up entries", f"not supported on this operating system ({platform})")
    return collected


# --- matching ----------------------------------------------------------------------------------


def programs_in(command: str) -> list[str]:
    """The programs a shell command line runs (`a && b; c | d` runs four)."""
    found = []
    for part in _COMMAND_SEPARATOR.split(command):
        program = executable_of(part)
        if program and program not in found:
            found.append(program)
    return found


def check_autostart(matcher: Matcher, entries: Iterable[AutostartEntry]) -> list[Finding]:
    findings = []
    for entry in entries:
        matches: list[AppMatch] = matcher.autostart_name(entry.name, *entry.other_names)
        for program in programs_in(entry.command):
            matches += matcher.names(basename(program))
            matches += matcher.path(program)
        for app_number, app_matches in by_app(matches).items():
            ordered = strongest_first(app_matches)
            name = next((m.indicator for m in ordered if "names" in m.field), "")
            findings.append(
                make_finding(
                    matcher.indicators,
                    matcher.indicators.apps[app_number],
                    kind="autostart",
                    matches=ordered,
                    confidence=confidence_for({m.field for m in ordered}, name),
                    detail=entry.to_dict(),
                )
            )
    return findings
