"""Start-up entries: what this computer runs by itself, against indicator names and paths.

Each format has a pure parser from file text (or registry values) to `AutostartEntry`s, so the
parsers for every operating system are tested everywhere. The collectors walk the usual places
under injectable roots (`AutostartRoots`), so tests point them at a temporary directory.
"""

import fnmatch
import os
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path, PurePath
from typing import Any, NamedTuple

from devicecheck.core.scan.findings import (
    Finding,
    NotExamined,
    access_denied_reason,
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


def _unit_settings(text: str) -> Iterator[tuple[str, str, str]]:
    """(section, key, value) of each setting of a systemd unit file, in order. A section header
    gives (section, "", ""), so a reader knows the file has sections even with no settings."""
    section = ""
    for line in _unit_lines(text):
        stripped = line.strip()
        if not stripped or stripped[0] in "#;":
            continue
        if stripped.startswith("[") and stripped.endswith("]"):
            section = stripped[1:-1]
            yield section, "", ""
            continue
        key, _, value = stripped.partition("=")
        yield section, key.strip(), value.strip()


def parse_systemd_unit(text: str, location: str) -> list[AutostartEntry]:
    """A systemd unit: its name (from the file name), Description and each ExecStart."""
    name = _stem(location, ".service")
    description = ""
    commands: list[str] = []
    has_sections = False
    for section, key, value in _unit_settings(text):
        has_sections = has_sections or not key
        if section == "Unit" and key == "Description":
            description = value
        elif section == "Service" and key == "ExecStart" and value:
            commands.append(value.lstrip("@-:+!").strip())
    other = (description,) if description else ()
    if not commands:
        return [AutostartEntry(name, "", location, other)] if has_sections else []
    return [AutostartEntry(name, command, location, other) for command in commands]


def parse_systemd_timer(text: str, location: str) -> list[AutostartEntry]:
    """A systemd timer: its name and the unit it starts (`Unit=`, by default the service of the
    same name: systemd.timer(5)). `link_timers` later gives it that service's command."""
    name = _stem(location, ".timer")
    unit = f"{name}.service"
    description = ""
    has_sections = False
    for section, key, value in _unit_settings(text):
        has_sections = has_sections or not key
        if section == "Timer" and key == "Unit" and value:
            unit = value
        elif section == "Unit" and key == "Description":
            description = value
    if not has_sections:
        return []
    other = tuple(word for word in (_stem(unit, ".service"), description) if word)
    return [AutostartEntry(name, "", location, other)]


def link_timers(entries: list[AutostartEntry]) -> list[AutostartEntry]:
    """Timers given the command of the service each starts (when that service was read)."""
    commands: dict[str, str] = {}
    for entry in entries:
        if entry.location.endswith(".service") and entry.command:
            commands.setdefault(entry.name, entry.command)
    return [
        entry._replace(command=commands.get(entry.other_names[0], ""))
        if entry.location.endswith(".timer") and not entry.command and entry.other_names
        else entry
        for entry in entries
    ]


def parse_anacrontab(text: str, location: str) -> list[AutostartEntry]:
    """/etc/anacrontab (anacrontab(5)): `period delay job-identifier command`, or
    `@monthly delay job-identifier command`; NAME=value lines set the environment."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#") or _ENVIRONMENT_ASSIGNMENT.match(stripped):
            continue
        fields = stripped.split(maxsplit=3)
        if len(fields) < 4:
            continue
        entries.append(AutostartEntry(fields[2], fields[3], f"{location}:{number}"))
    return entries


def _script_lines(text: str) -> Iterable[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def parse_script(text: str, location: str) -> list[AutostartEntry]:
    """A script run by itself (/etc/cron.daily, KDE's autostart-scripts and plasma env): the
    script, and each line of it that runs a program named by its full path."""
    name = _stem(location, ".sh")
    entries = [AutostartEntry(name, location, location)]
    for number, line in _script_lines(text):
        if "/" not in line:  # runs nothing named by its full path
            continue
        programs = [program for program in programs_in(line) if program.startswith("/")]
        if programs:
            entries.append(AutostartEntry(basename(programs[-1]), line, f"{location}:{number}"))
    return entries


_BACKGROUND = re.compile(
    r"(?<![&|>])&\s*\)?\s*(disown\b.*)?(#.*)?$|^[\s(]*(nohup|setsid|daemonize)\b"
)
_BACKGROUND_END = re.compile(r"(?<![&|>])&\s*\)?\s*(disown\b.*)?(#.*)?$")
_SETS_PRELOAD = re.compile(r"\bLD_PRELOAD\s*=\s*(\S+)")


def parse_shell_startup(text: str, location: str) -> list[AutostartEntry]:
    """A shell start-up file (~/.bashrc, ~/.profile, /etc/profile.d/*.sh): only the lines that
    start a program in the background or set LD_PRELOAD, not every alias and setting."""
    entries = []
    for number, line in _script_lines(text):
        preload = _SETS_PRELOAD.search(line)
        if preload:
            library = preload.group(1).strip("'\"")
            entries.append(AutostartEntry("LD_PRELOAD", library, f"{location}:{number}"))
            continue
        if _BACKGROUND.search(line):
            command = _BACKGROUND_END.sub("", line).strip().lstrip("(").rstrip(")").strip()
            programs = programs_in(command)
            name = basename(programs[-1]) if programs else command
            entries.append(AutostartEntry(name, command, f"{location}:{number}"))
    return entries


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
        collected.problem(folder, access_denied_reason())
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
        collected.problem(path.parent, access_denied_reason())
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
    seen: set[Path] = set()
    for folder in _unique_folders(
        seen, (*_user_unit_folders(home, system), *_system_unit_folders(system))
    ):
        units = _files(collected, folder, "*.[st][ei][rm]*")  # one listing for both kinds
        services = [path for path in units if path.name.endswith(".service")]
        timers = [path for path in units if path.name.endswith(".timer")]
        _parse_files(collected, services, _text_parser(parse_systemd_unit))
        _parse_files(collected, timers, _text_parser(parse_systemd_timer))
    collected.entries[:] = link_timers(collected.entries)
    system_cron = _text_parser(lambda text, where: parse_crontab(text, where, system=True))
    _parse_files(collected, _if_file(system / "etc/crontab"), system_cron)
    _parse_files(collected, _files(collected, system / "etc/cron.d", "*"), system_cron)
    spool = system / "var/spool/cron/crontabs"
    if not spool.is_dir():
        spool = system / "var/spool/cron"
    _parse_files(collected, _files(collected, spool, "*"), _text_parser(parse_crontab))
    _parse_files(collected, _if_file(system / "etc/anacrontab"), _text_parser(parse_anacrontab))
    script = _text_parser(parse_script)
    for period in ("hourly", "daily", "weekly", "monthly", "yearly"):
        _parse_files(collected, _files(collected, system / f"etc/cron.{period}", "*"), script)
    for folder in (home / ".config/autostart-scripts", home / ".config/plasma-workspace/env"):
        _parse_files(collected, _files(collected, folder, "*"), script)
    startup = _text_parser(parse_shell_startup)
    system_startup = ("etc/profile", "etc/bash.bashrc", "etc/zsh/zshrc", "etc/zsh/zprofile")
    places = [home / name for name in SHELL_STARTUP_FILES]
    places += [system / name for name in system_startup]
    _parse_files(collected, [path for path in places if path.is_file()], startup)
    _parse_files(collected, _files(collected, system / "etc/profile.d", "*.sh"), startup)
    return collected


def _if_file(path: Path) -> list[Path]:
    return [path] if path.is_file() else []


# systemd.unit(5), "UNIT FILE LOAD PATH": where systemd reads units (the per-user paths too).
def _user_unit_folders(home: Path, system: Path) -> tuple[Path, ...]:
    return (
        home / ".config/systemd/user",
        home / ".local/share/systemd/user",
        system / "etc/systemd/user",
        system / "usr/local/share/systemd/user",
        system / "usr/local/lib/systemd/user",
        system / "usr/share/systemd/user",
        system / "usr/lib/systemd/user",
    )


def _system_unit_folders(system: Path) -> tuple[Path, ...]:
    return (
        system / "etc/systemd/system",
        system / "run/systemd/system",
        system / "usr/local/lib/systemd/system",
        system / "usr/lib/systemd/system",
        system / "lib/systemd/system",
    )


def _unique_folders(seen: set[Path], folders: Iterable[Path]) -> Iterable[Path]:
    for folder in folders:
        resolved = folder.resolve() if folder.exists() else folder
        if resolved in seen:  # /lib is often a link to /usr/lib
            continue
        seen.add(resolved)
        yield folder


# Files bash, zsh and sh read at start-up (bash(1) INVOCATION, zsh(1) STARTUP/SHUTDOWN FILES).
SHELL_STARTUP_FILES = (
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".profile",
    ".zshrc",
    ".zprofile",
    ".zshenv",
    ".zlogin",
)


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
                collected.problem(location, access_denied_reason())
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
            collected.problem(folder, access_denied_reason())
            continue
        collected.entries.extend(parse_startup_folder(names, str(folder)))
    _collect_windows_tasks(collected)
    services = []
    denied = 0
    for service in psutil.win_service_iter():
        try:
            services.append(service.as_dict())
        except psutil.Error:
            denied += 1
    if denied:
        collected.problems[("Windows services", access_denied_reason())] = denied
    collected.entries.extend(parse_windows_services(services))
    return collected


def collect_tasks(collected: Collected, folder: Path) -> None:
    """Scheduled tasks: every task file in `folder` (C:\\Windows\\System32\\Tasks) and its
    task folders."""
    from devicecheck.core.scan.windows_tasks import parse_task_xml

    def unreadable(error: OSError) -> None:
        reason = (
            access_denied_reason() if isinstance(error, PermissionError) else "could not be read"
        )
        collected.problem(error.filename or folder, reason)

    for directory, folders, files in os.walk(folder, onerror=unreadable):
        folders.sort()
        _parse_files(collected, [Path(directory) / name for name in sorted(files)], parse_task_xml)


def _collect_windows_tasks(collected: Collected) -> None:  # pragma: no cover - needs Windows
    system_root = os.environ.get("SYSTEMROOT") or os.environ.get("WINDIR") or r"C:\Windows"
    collect_tasks(collected, Path(system_root) / "System32" / "Tasks")


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


def programs_in(command: str, depth: int = 0) -> list[str]:
    """The programs a shell command line runs (`a && b; c | d` runs four), looking through
    wrappers to the real program: `sh -c '...'`, `env X=1 prog`, `nohup prog`, `wine prog.exe`,
    `python3 script.py` (the script)."""
    inner = _shell_command(command) if depth < 4 else None
    if inner is not None:
        return programs_in(inner, depth + 1)
    found = []
    for part in _COMMAND_SEPARATOR.split(command):
        program = executable_of(part)
        if program and program not in found:
            found.append(program)
        real = _unwrapped(part)
        if real and real not in found:
            found.append(real)
    return found


_SHELLS = frozenset({"sh", "bash", "dash", "zsh", "ksh", "mksh", "ash", "busybox"})
# Programs that run the program named after their own options (nohup(1), setsid(1), env(1),
# nice(1), ionice(1), stdbuf(1), timeout(1), taskset(1), chrt(1), sudo(8), doas(1)).
_PASS_THROUGH = frozenset(
    {
        "env",
        "nohup",
        "setsid",
        "exec",
        "nice",
        "ionice",
        "stdbuf",
        "timeout",
        "taskset",
        "chrt",
        "sudo",
        "doas",
        "command",
        "daemonize",
    }
)
_WINE = frozenset({"wine", "wine64", "wine-stable", "wine-development", "wine64-stable"})
_INTERPRETER = re.compile(r"^(python[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node|nodejs|php[0-9.]*|java)$")
_MAY_BE_WRAPPED = re.compile(
    r"^\s*[A-Za-z_]\w*=|(^|[\s/\\\"'])(env|nohup|setsid|exec|nice|ionice|stdbuf|timeout|taskset|chrt|sudo|doas|"
    r"command|daemonize|wine|python|perl|ruby|node|php|java)"
)
_OPTION_VALUE = re.compile(r"^(0x)?[0-9a-fA-F.,:+-]*[0-9][smhd]?$")  # nice's 10, timeout's 5m


def _words(command: str) -> list[str] | None:
    """The words of a POSIX command line, or None when it is not one (a Windows path with
    backslashes, unbalanced quotes)."""
    if "\\" in command:
        return None
    import shlex  # only for commands that may be wrapped

    try:
        return shlex.split(command, comments=True)
    except ValueError:
        return None


def _shell_command(command: str) -> str | None:
    """The command string of `sh -c 'command'` (and bash, dash, zsh ...), or None."""
    first = command.lstrip()[:40].split(maxsplit=1)
    if not first or basename(first[0].strip("'\"")) not in _SHELLS:
        return None
    words = _words(command)
    if not words:
        return None
    for index, word in enumerate(words[1:], start=1):
        if word.startswith("-") and "c" in word[1:] and not word.startswith("--"):
            return words[index + 1] if index + 1 < len(words) else None
        if not word.startswith("-"):
            return None
    return None


def _unwrapped(part: str) -> str | None:
    """The program a wrapped command really runs, or None when it is not wrapped."""
    if not _MAY_BE_WRAPPED.search(part):
        return None  # the common case: nothing to look through
    words = _words(part)
    if words is None:
        return _unwrapped_windows(part)
    index = 0
    wrapped = False
    while index < len(words):
        word = words[index]
        name = basename(word)
        if _ENVIRONMENT_ASSIGNMENT.match(word) and "=" in word:
            index += 1
        elif name in _PASS_THROUGH:
            index = _skip_options(words, index + 1, name)
        elif name in _WINE or _INTERPRETER.match(name):
            script = _script_argument(words, index + 1, java=name == "java")
            return script or (word if wrapped else None)
        else:
            return word if wrapped else None
        wrapped = True
    return None


def _unwrapped_windows(part: str) -> str | None:
    """`wine C:\\path\\prog.exe` (backslashes, which a POSIX split would eat): the program."""
    first, _, rest = part.strip().partition(" ")
    if basename(first.strip("'\"")) not in _WINE or not rest.strip():
        return None
    return executable_of(rest) or None


def _skip_options(words: list[str], index: int, wrapper: str) -> int:
    while index < len(words):
        word = words[index]
        if word == "--":
            return index + 1
        if word in ("-u", "-n", "-c", "-p", "-g", "-o", "-e", "-s", "-k", "-a"):
            index += 2  # an option with its value (env -u NAME, nice -n 10, exec -a NAME)
        elif (
            word.startswith("-") or _OPTION_VALUE.match(word) or (wrapper == "env" and "=" in word)
        ):
            index += 1
        else:
            return index
    return index


def _script_argument(words: list[str], index: int, *, java: bool = False) -> str | None:
    """The script (or Windows program, or jar) an interpreter runs; None for code on the
    command line (`python3 -c ...`)."""
    while index < len(words):
        word = words[index]
        if word in ("-c", "-e", "--eval"):
            return None
        if java and word == "-jar":
            return words[index + 1] if index + 1 < len(words) else None
        if word in ("-m",):
            return words[index + 1] if index + 1 < len(words) else None
        if word.startswith("-"):
            index += 1
            continue
        return word
    return None


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
