"""Indicators of monitoring software: what every importer produces and every scanner reads.

An `IndicatorSet` holds the sources it came from and one `AppIndicator` per product. Its
`index` turns the lists into dictionaries and compiled patterns, built once per set, so a scan
looks each observed name, path, address or start-up entry up in constant time.

The records here are immutable named tuples, not dataclasses: everything a scan imports is
paid for on every `devicecheck scan`, and `dataclasses` (which imports `inspect`) plus making
each class cost about 13 ms of a ~90 ms scan. Change a record with `_replace`, list its
fields with `_fields`, turn it into a dict with `_asdict`.
"""

import fnmatch
import re
from collections.abc import Callable
from functools import cached_property
from typing import NamedTuple

CATEGORIES: tuple[str, ...] = (
    "stalkerware",
    "spyware",
    "keylogger",
    "remote-access",
    "parental-control",
    "employee-monitoring",
)
# Software with legitimate uses: reported as "did you or someone you trust install this?"
DUAL_USE_CATEGORIES: frozenset[str] = frozenset(
    {"remote-access", "parental-control", "employee-monitoring"}
)
PLATFORMS: tuple[str, ...] = ("windows", "macos", "linux", "android", "ios")

_EXECUTABLE_SUFFIXES = (".exe", ".app", ".bin")
_ENVIRONMENT_PLACEHOLDER = re.compile(r"%[^%\\/]+%|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")


class SourceInfo(NamedTuple):
    """Where a group of indicators came from, with its licence and attribution."""

    id: str  # "curated", "echap", "lolrmm", or "import-<name>"
    name: str
    licence: str
    attribution: str
    url: str
    version: str  # a commit, a date, or a content hash
    retrieved: str = ""  # when this copy was taken (ISO date)
    kind: str = "bundled"  # bundled | imported | updated


class AppIndicator(NamedTuple):
    """One product and everything a source says identifies it."""

    id: str  # unique within a set: "<source>:<slug>"
    name: str
    category: str  # one of CATEGORIES
    source: str  # SourceInfo.id
    # Where the product runs, as its source states (empty: not stated). Process names written
    # without `.exe` match only on these platforms; STIX importers fill it from the bundle.
    platforms: tuple[str, ...] = ()
    process_names: tuple[str, ...] = ()  # exact names, or globs (`zabbix_agent*.exe`)
    exe_paths: tuple[str, ...] = ()  # glob patterns; Windows or POSIX style
    cmdline_patterns: tuple[str, ...] = ()  # glob patterns against the joined command line
    autostart_names: tuple[str, ...] = ()  # services, launchd labels, autostart entries
    domains: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()  # ports its remote-access service listens on
    packages: tuple[str, ...] = ()  # Android package ids
    certificates: tuple[str, ...] = ()  # signing-certificate fingerprints, upper-case hex
    file_hashes: tuple[str, ...] = ()  # lower-case hex (sha256, sha1 or md5)
    references: tuple[str, ...] = ()  # URLs that state the above
    aliases: tuple[str, ...] = ()  # other names the product is sold under
    notes: str = ""  # what the source says about it, for reports

    @property
    def dual_use(self) -> bool:
        return self.category in DUAL_USE_CATEGORIES


def normalise_process_name(name: str) -> str:
    """Lower-case basename without a trailing .exe, so `AnyDesk.exe` and `anydesk` meet."""
    base = name.strip().replace("\\", "/").rpartition("/")[2].lower()
    for suffix in _EXECUTABLE_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            return base[: -len(suffix)]
    return base


_NAME_WILDCARDS = frozenset("*?[")


def is_name_pattern(name: str) -> bool:
    """A process name written as a glob (`zerotier*.exe`), not one exact name."""
    return not _NAME_WILDCARDS.isdisjoint(name)


def compile_name_pattern(pattern: str) -> re.Pattern[str]:
    """A process-name glob as a regex on normalised names (`zabbix_agent*.exe` meets
    `zabbix_agentd`). A bracket the regex engine refuses (LOLRMM has `[a-Z0-9]`) stands for
    any one character."""
    normalised = normalise_process_name(pattern)
    try:
        return re.compile(fnmatch.translate(normalised), re.DOTALL)
    except re.error:
        return re.compile(fnmatch.translate(re.sub(r"\[[^\]]*\]", "?", normalised)), re.DOTALL)


def _exact_name(name: str) -> str:
    return "" if is_name_pattern(name) else normalise_process_name(name)


def normalise_path(path: str) -> str:
    """Lower-case with forward slashes, for comparing Windows and POSIX paths alike."""
    return path.replace("\\", "/").lower()


def compile_path_pattern(pattern: str) -> re.Pattern[str]:
    """A glob pattern (`C:\\Program Files\\AnyDesk\\*`, `%APPDATA%\\x\\*`) as a regex on normalised paths.

    Environment placeholders stand for any run of characters; `*` may cross folders, since
    install paths in the sources rarely say how deep the executable sits.
    """
    normalised = normalise_path(pattern.strip())
    pieces = _ENVIRONMENT_PLACEHOLDER.split(normalised)
    translated = ".*".join(fnmatch.translate(piece)[4:-3] for piece in pieces)
    if normalised.endswith("/"):
        translated += ".*"
    return re.compile(rf"(?s:{translated})\Z")


class PatternRule:
    """One glob of one app. (Plain classes here and in IndicatorIndex, not dataclasses: making a
    dataclass costs about a millisecond at import, and these are never compared or printed.)"""

    __slots__ = ("_regex", "app", "compiler", "pattern")

    def __init__(self, pattern: str, compiler: Callable[[str], re.Pattern[str]], app: int):
        self.pattern = pattern
        self.compiler = compiler
        self.app = app  # index into IndicatorSet.apps
        self._regex: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        """Compiled on first use: compiling every pattern up front costs more than a scan."""
        if self._regex is None:
            self._regex = self.compiler(self.pattern)
        return self._regex


def _lookup(apps: tuple[AppIndicator, ...], attribute: str, key=None) -> dict:
    """Normalised value -> the numbers of the apps that list it, in order, each once."""
    grouped: dict = {}
    for number, app in enumerate(apps):
        values = getattr(app, attribute)
        if not values:
            continue
        for normalised in map(key, values) if key else values:
            if normalised or normalised == 0:
                found = grouped.get(normalised)
                if found is None:
                    grouped[normalised] = [number]
                elif found[-1] != number:  # numbers only grow: a repeat is the last one
                    found.append(number)
    return {value: tuple(numbers) for value, numbers in grouped.items()}


def _rules(apps: tuple[AppIndicator, ...], attribute: str, compiler) -> tuple[PatternRule, ...]:
    return tuple(
        PatternRule(pattern, compiler, number)
        for number, app in enumerate(apps)
        for pattern in getattr(app, attribute)
        if pattern.strip()
    )


def _normalise_domain(domain: str) -> str:
    return domain.strip().lower().rstrip(".")


def compile_cmdline_pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(fnmatch.translate(pattern.lower()), re.DOTALL)


class IndicatorIndex:
    """Lookups over an IndicatorSet; values are indices into `IndicatorSet.apps`.

    Each lookup is built when first used: a scan of this computer never needs the 2,300
    domains (or the file hashes), and building them would cost it more than its lookups.
    """

    def __init__(self, apps: tuple[AppIndicator, ...]) -> None:
        self._apps = apps

    @classmethod
    def build(cls, apps: tuple[AppIndicator, ...]) -> "IndicatorIndex":
        return cls(apps)

    @cached_property
    def process_names(self) -> dict[str, tuple[int, ...]]:  # normalise_process_name(...) ->
        """Exact names only; globs are in `process_name_patterns`."""
        return _lookup(self._apps, "process_names", _exact_name)

    @cached_property
    def process_name_patterns(self) -> tuple[PatternRule, ...]:
        return tuple(
            PatternRule(name, compile_name_pattern, number)
            for number, app in enumerate(self._apps)
            for name in app.process_names
            if is_name_pattern(name)
        )

    @cached_property
    def autostart_names(self) -> dict[str, tuple[int, ...]]:  # lower-case ->
        return _lookup(self._apps, "autostart_names", str.lower)

    @cached_property
    def ips(self) -> dict[str, tuple[int, ...]]:
        return _lookup(self._apps, "ips", str.strip)

    @cached_property
    def domains(self) -> dict[str, tuple[int, ...]]:  # lower-case, no final dot ->
        return _lookup(self._apps, "domains", _normalise_domain)

    @cached_property
    def ports(self) -> dict[int, tuple[int, ...]]:
        return _lookup(self._apps, "ports")

    @cached_property
    def file_hashes(self) -> dict[str, tuple[int, ...]]:  # lower-case hex ->
        return _lookup(self._apps, "file_hashes", str.lower)

    @cached_property
    def exe_paths(self) -> tuple[PatternRule, ...]:
        return _rules(self._apps, "exe_paths", compile_path_pattern)

    @cached_property
    def cmdlines(self) -> tuple[PatternRule, ...]:
        return _rules(self._apps, "cmdline_patterns", compile_cmdline_pattern)


class _IndicatorSetFields(NamedTuple):
    sources: tuple[SourceInfo, ...]
    apps: tuple[AppIndicator, ...]


class IndicatorSet(_IndicatorSetFields):
    """Indicators from one or more sources, merged.

    (No `__slots__`, unlike its fields' tuple: the instance dictionary is where the
    cached `index` is kept.)
    """

    @cached_property
    def index(self) -> IndicatorIndex:
        return IndicatorIndex.build(self.apps)

    def source(self, source_id: str) -> SourceInfo:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise KeyError(source_id)

    def merged_with(self, other: "IndicatorSet") -> "IndicatorSet":
        return IndicatorSet(self.sources + other.sources, self.apps + other.apps)

    def counts(self) -> dict[str, dict[str, int]]:
        """Per source: how many apps and how many indicators of each kind."""
        kinds = ("process_names", "exe_paths", "autostart_names", "domains", "ips", "packages")
        result: dict[str, dict[str, int]] = {}
        for app in self.apps:
            tally = result.setdefault(app.source, {"apps": 0, **{k: 0 for k in kinds}})
            tally["apps"] += 1
            for kind in kinds:
                tally[kind] += len(getattr(app, kind))
        return result
