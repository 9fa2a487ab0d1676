"""Browser history compared with the indicator lists' domains, offline.

Echap's vendor websites, download sites and C2 domains, LOLRMM's and the curated list's
domains are compared with what the browsers of the person running the scan have already
recorded: Chrome, Chromium, Edge and Brave (`History`: `urls` and `visits`, times in
microseconds since 1601-01-01 UTC) and Firefox (`places.sqlite`: `moz_places` and
`moz_historyvisits`, microseconds since 1970). Nothing is sent anywhere.

A browser that is running keeps its database open (Chrome locks it), so each database and its
`-wal` file are copied into a private folder (0700) and the copy is read; the browser's own
files are only ever read. The copy is opened `mode=ro` but not `immutable=1`: SQLite ignores
the `-wal` file of an immutable database, which would lose the most recent visits (a test
keeps this so). A database that cannot be copied or read (locked on Windows, damaged, not a
database) is listed as not examined with the reason.

A visit is evidence that someone looked at, bought, downloaded or ran monitoring software
from this computer, or only that the person read about it: the advice says both.
"""

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

from devicecheck.core.clock import utc_iso
from devicecheck.core.indicators.model import DUAL_USE_CATEGORIES, IndicatorSet
from devicecheck.core.scan.browser_profiles import BrowserProfile, find_profiles
from devicecheck.core.scan.findings import (
    CheckOutcome,
    Coverage,
    Finding,
    Match,
    NotExamined,
    ScanContext,
    advice_for_behaviour,
    make_listed_finding,
    source_of,
)
from devicecheck.errors import InvalidDataError

DATABASE_NAMES = {"chromium": "History", "firefox": "places.sqlite"}
# Microseconds between 1601-01-01 (Chrome's "WebKit" epoch) and 1970-01-01.
WEBKIT_EPOCH_OFFSET_US = 11_644_473_600_000_000
_LATEST_SECONDS = 32_503_680_000  # 3000-01-01: anything later is not a real visit time
MAX_VISITS_SHOWN = 20
_SQL_CHUNK = 500  # ids per `IN (...)`, well under SQLite's variable limit
_COPY_CHUNK = 1024 * 1024
MAX_DATABASE_BYTES = 2 << 30  # 2 GB: a year of heavy browsing is a few hundred MB

# Domains that host countless unrelated sites or are everyday services: an indicator that is
# one of these (LOLRMM names github.com for tools released there) says nothing about a visit.
SHARED_DOMAINS = frozenset(
    {
        "github.com",
        "github.io",
        "githubusercontent.com",
        "gitlab.com",
        "google.com",
        "googleapis.com",
        "drive.google.com",
        "play.google.com",
        "sites.google.com",
        "appspot.com",
        "firebaseio.com",
        "amazonaws.com",
        "s3.amazonaws.com",
        "cloudfront.net",
        "windows.net",
        "blob.core.windows.net",
        "azurewebsites.net",
        "microsoft.com",
        "apple.com",
        "dropbox.com",
        "herokuapp.com",
        "sourceforge.net",
        "softonic.com",
        "youtube.com",
        "facebook.com",
        "t.me",
        "telegram.org",
        "bit.ly",
    }
)
_URL_HOST = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://(?:[^/?#@]*@)?(\[[^\]/?#]*\]|[^/?#:]*)")
_DOMAIN = re.compile(
    r"[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_\-]*[a-z0-9_])?)+"
)


class DomainMatch(NamedTuple):
    app: int  # index into IndicatorSet.apps
    indicator: str  # the domain as the index holds it (`*.example.com` for a wildcard)


class DomainIndex:
    """The indicator domains, ready for host look-ups: an exact domain matches itself and its
    subdomains; `*.example.com` matches subdomains of example.com; a domain with a wildcard
    inside (`agents*-cloud.acronis.com`) matches as a pattern. Things that are not domains
    (`user_managed`, addresses, placeholders) and shared domains are left out."""

    def __init__(self, domains: dict[str, tuple[int, ...]]) -> None:
        self.exact: dict[str, tuple[int, ...]] = {}
        self.wildcard: dict[str, tuple[int, ...]] = {}
        # A pattern is tried only on hosts ending in its last two labels ("acronis.com").
        self.patterns: dict[str, list[tuple[re.Pattern[str], tuple[int, ...]]]] = {}
        for domain, apps in domains.items():
            self._add(domain, apps)
        # The last two labels of everything above: a host ending otherwise matches nothing,
        # which one look-up says (most hosts in a history are such).
        self.tails = frozenset(map(_last_two_labels, (*self.exact, *self.wildcard, *self.patterns)))

    @classmethod
    def of(cls, indicators: IndicatorSet) -> "DomainIndex":
        """The set's domain index, built once per set (the history, hosts-file and extension
        checks all use it; building it costs several milliseconds of each scan)."""
        cached = indicators.__dict__.get("_domain_index")
        if cached is None:
            cached = indicators.__dict__["_domain_index"] = cls(indicators.index.domains)
        return cached

    def __len__(self) -> int:
        return len(self.exact) + len(self.wildcard) + sum(map(len, self.patterns.values()))

    def _add(self, domain: str, apps: tuple[int, ...]) -> None:
        if domain.startswith("*.") and _is_domain(domain[2:]):
            if domain[2:] not in SHARED_DOMAINS:
                self.wildcard[domain[2:]] = apps
        elif _is_domain(domain):
            if domain not in SHARED_DOMAINS and not _is_address(domain):
                self.exact[domain] = apps
        elif "*" in domain and _is_domain(domain.replace("*", "x")):
            tail = domain[domain.rindex("*") + 1 :]
            key = ".".join(tail.split(".")[-2:])
            if _is_domain(key) and key not in SHARED_DOMAINS:
                pattern = re.escape(domain).replace(r"\*", "[a-z0-9_.\\-]*")
                self.patterns.setdefault(key, []).append((re.compile(pattern + r"\Z"), apps))

    def matches(self, host: str) -> list[DomainMatch]:
        """Which indicators name this host (lower-case, no final dot), most specific first."""
        if _last_two_labels(host) not in self.tails:
            return []
        found: list[DomainMatch] = []
        suffix, dot = host, host.find(".")
        while dot > 0:  # every suffix with at least two labels: the host, then its parents
            for number in self.exact.get(suffix, ()):
                found.append(DomainMatch(number, suffix))
            if suffix is not host:
                for number in self.wildcard.get(suffix, ()):
                    found.append(DomainMatch(number, "*." + suffix))
            for pattern, apps in self.patterns.get(suffix, ()):
                if pattern.match(host):
                    found += [DomainMatch(number, pattern.pattern) for number in apps]
            suffix = suffix[dot + 1 :]
            dot = suffix.find(".")
        return found


def _last_two_labels(host: str) -> str:
    return host[host.rfind(".", 0, max(host.rfind("."), 0)) + 1 :]


def _is_domain(text: str) -> bool:
    return len(text) <= 253 and _DOMAIN.fullmatch(text) is not None


def _is_address(text: str) -> bool:
    return text.replace(".", "").isdigit()


def host_of(url: str) -> str:
    """The host of a URL, lower-case without a final dot ("" when it has none)."""
    found = _URL_HOST.match(url)
    return found.group(1).lower().rstrip(".") if found else ""


class UrlHit(NamedTuple):
    """One URL in one history database that an indicator names, and when it was visited."""

    url: str
    matches: tuple[DomainMatch, ...]
    visits: tuple[str, ...]  # UTC ISO 8601, oldest first; empty when no time is recorded


def read_history(database: Path, engine: str, domains: DomainIndex) -> tuple[int, list[UrlHit]]:
    """(URLs read, the URLs an indicator names with their visit times) of one database.

    Only InvalidDataError leaves here: a database that is locked, damaged, not SQLite or of
    another shape is "cannot be read", never a traceback.
    """
    import sqlite3  # only when there is a browser database to read

    try:
        connection = sqlite3.connect(f"{database.as_uri()}?mode=ro", uri=True)
    except (sqlite3.Error, ValueError) as error:
        raise InvalidDataError(f"cannot open it ({error})") from None
    try:
        try:
            return _read(connection, engine, domains)
        except sqlite3.OperationalError as error:
            if "decode" not in str(error):
                raise
        # Text that is not UTF-8 (a damaged or planted row): read again, replacing it.
        connection.text_factory = _lenient_text
        return _read(connection, engine, domains)
    except (sqlite3.Error, OverflowError, ValueError, MemoryError) as error:
        raise InvalidDataError(
            f"it could not be read: it may be damaged, or not a browser's history ({error})"
        ) from None
    finally:
        connection.close()


_QUERIES = {
    "chromium": (
        "SELECT id, url FROM urls",
        "SELECT url, visit_time FROM visits WHERE url IN ({})",
        "SELECT id, last_visit_time FROM urls WHERE id IN ({})",
        WEBKIT_EPOCH_OFFSET_US,
    ),
    "firefox": (
        "SELECT id, url FROM moz_places",
        "SELECT place_id, visit_date FROM moz_historyvisits WHERE place_id IN ({})",
        "SELECT id, last_visit_date FROM moz_places WHERE id IN ({})",
        0,
    ),
}


def _read(connection, engine: str, domains: DomainIndex) -> tuple[int, list[UrlHit]]:
    urls_query, visits_query, last_visit_query, offset = _QUERIES[engine]
    matched: dict[int, tuple[str, tuple[DomainMatch, ...]]] = {}
    by_host: dict[str, tuple[DomainMatch, ...]] = {}  # a history visits few hosts many times
    host_match = _URL_HOST.match
    count = 0
    # The loop every URL goes through: kept to a regex match and two dictionary look-ups.
    for row_id, url in connection.execute(urls_query):
        count += 1
        if type(url) is not str:
            continue
        found_host = host_match(url)
        host = found_host.group(1).lower().rstrip(".") if found_host else ""
        found = by_host.get(host)
        if found is None:
            found = by_host[host] = tuple(domains.matches(host)) if host else ()
        if found and type(row_id) is int:
            matched[row_id] = (url, found)
    times: dict[int, set[str]] = {row_id: set() for row_id in matched}
    last_visits: dict[int, object] = {}
    ids = list(matched)
    for start in range(0, len(ids), _SQL_CHUNK):
        chunk = ids[start : start + _SQL_CHUNK]
        marks = ",".join("?" * len(chunk))
        for row_id, visit_time in connection.execute(visits_query.format(marks), chunk):
            stamp = visit_iso(visit_time, offset)
            if stamp and row_id in times:
                times[row_id].add(stamp)
        last_visits.update(connection.execute(last_visit_query.format(marks), chunk))
    hits = []
    for row_id, (url, found) in matched.items():
        stamps = times[row_id] or {visit_iso(last_visits.get(row_id), offset)} - {None}
        hits.append(UrlHit(url, found, tuple(sorted(stamps))))
    return count, hits


def visit_iso(value: object, offset_us: int) -> str | None:
    """A visit time (microseconds since the browser's epoch) as UTC ISO 8601; None if absurd."""
    if type(value) is not int or value <= 0:
        return None
    seconds = (value - offset_us) // 1_000_000
    if not 0 < seconds < _LATEST_SECONDS:
        return None
    return utc_iso(seconds)


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "replace")


# --- reading from a private copy ---------------------------------------------------------------


class PrivateCopy:
    """A folder only this user can open (0700, made new, never an existing one), removed after."""

    def __init__(self) -> None:
        base = os.environ.get("TMPDIR") or os.environ.get("TEMP") or "/tmp"
        self.folder = (
            Path(os.path.abspath(base)) / f"devicecheck-{os.getpid()}-{os.urandom(8).hex()}"
        )

    def __enter__(self) -> "PrivateCopy":
        os.mkdir(self.folder, 0o700)
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(OSError):  # best effort; the folder is readable by this user only
            for entry in os.scandir(self.folder):
                os.unlink(entry.path)
            os.rmdir(self.folder)

    def copy(self, database: Path, name: str) -> Path:
        """Copy `database` (and its `-wal`, if any) in; returns the copy's path."""
        target = self.folder / name
        _copy_file(database, target)
        wal = database.with_name(database.name + "-wal")
        if os.path.exists(wal):
            _copy_file(wal, target.with_name(name + "-wal"))
        return target


def _copy_file(source: Path, target: Path) -> None:
    """Copy a regular file; a FIFO or device planted under the name is refused without
    blocking (opened non-blocking, then checked), and so is one too large to be history."""
    binary = getattr(os, "O_BINARY", 0)
    reading = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | binary)
    with open(reading, "rb") as source_file:
        status = os.fstat(reading)
        if not stat.S_ISREG(status.st_mode):
            raise OSError(f"{source.name} is not a regular file")
        if status.st_size > MAX_DATABASE_BYTES:
            raise OSError(f"{source.name} is larger than {MAX_DATABASE_BYTES >> 20} MB")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | binary
        with open(os.open(target, flags, 0o600), "wb") as writing:
            copied = 0
            while chunk := source_file.read(_COPY_CHUNK):
                copied += len(chunk)
                if copied > MAX_DATABASE_BYTES:
                    raise OSError(f"{source.name} is larger than {MAX_DATABASE_BYTES >> 20} MB")
                writing.write(chunk)


# --- the check -------------------------------------------------------------------------------------


class ProfileHistory(NamedTuple):
    profile: BrowserProfile
    urls: int
    hits: list[UrlHit]


def read_profiles(
    profiles: Iterable[BrowserProfile], indicators: IndicatorSet
) -> tuple[list[ProfileHistory], list[NotExamined]]:
    """The history of each profile that has one, each read from a private copy."""
    read: list[ProfileHistory] = []
    problems: list[NotExamined] = []
    with_history = [
        (p, p.folder / DATABASE_NAMES[p.engine])
        for p in profiles
        if os.path.lexists(p.folder / DATABASE_NAMES[p.engine])
    ]
    if not with_history:
        return read, problems
    domains = DomainIndex.of(indicators)
    try:
        copies = PrivateCopy().__enter__()
    except OSError as error:
        reason = f"no private folder for a copy ({error.strerror or error})"
        return read, [NotExamined(f"browser history ({p.label})", reason) for p, _ in with_history]
    try:
        for number, (profile, database) in enumerate(with_history):
            what = f"browser history ({profile.label})"
            try:
                copy = copies.copy(database, f"{number}-{database.name}")
                urls, hits = read_history(copy, profile.engine, domains)
            except OSError as error:
                reason = f"cannot copy it ({error.strerror or error})"
                if isinstance(error, PermissionError):  # Windows: the open browser holds it
                    reason += "; closing the browser and scanning again may help"
                problems.append(NotExamined(what, reason))
            except InvalidDataError as error:
                problems.append(NotExamined(what, error.message))
            else:
                read.append(ProfileHistory(profile, urls, hits))
    finally:
        copies.__exit__()
    return read, problems


def history_findings(
    histories: Iterable[ProfileHistory], indicators: IndicatorSet, region: str | None
) -> list[Finding]:
    """One finding per (profile, product): its URLs and visit times, oldest first."""
    findings = []
    for history in histories:
        by_app: dict[int, list[tuple[UrlHit, str]]] = {}
        for hit in history.hits:
            # The most specific indicator per product (matches come longest domain first).
            first_per_app = {m.app: m.indicator for m in reversed(hit.matches)}
            for number, indicator in first_per_app.items():
                by_app.setdefault(number, []).append((hit, indicator))
        for number, hits in by_app.items():
            findings.append(_finding(history.profile, indicators, number, hits, region))
    return findings


def _finding(
    profile: BrowserProfile,
    indicators: IndicatorSet,
    number: int,
    hits: list[tuple[UrlHit, str]],
    region: str | None,
) -> Finding:
    app = indicators.apps[number]
    visits = sorted(
        ((stamp, hit.url) for hit, _ in hits for stamp in hit.visits or ("",)),
        key=lambda pair: pair[0] or "~",
    )
    first_hit, indicator = min(hits, key=lambda pair: pair[0].visits[:1] or ("~",))
    first = next((stamp for stamp, _ in visits if stamp), None)
    when = f" on {first.replace('T', ' at ').replace('+00:00', ' UTC')}" if first else ""
    what = (
        f"The browser on this computer ({profile.label}) opened {first_hit.url}{when}, an "
        f"address that {source_of(indicators, app)['name']} links to {app.name} (its website, "
        "a download site or a server it reports to). If you did not visit it yourself, for "
        "example while reading about this product, someone may have looked at, bought, "
        "downloaded or run monitoring software from this computer."
    )
    dual_use = app.category in DUAL_USE_CATEGORIES
    return make_listed_finding(
        indicators,
        app,
        kind="history",
        confidence="low" if dual_use else "medium",
        matched=Match(indicator=indicator, field="domains", value=first_hit.url),
        advice=advice_for_behaviour(what, region, secret=not dual_use),
        detail={
            "browser": profile.browser,
            "profile": profile.name,
            "database": str(profile.folder / DATABASE_NAMES[profile.engine]),
            "first_visit": first,
            "last_visit": next((stamp for stamp, _ in reversed(visits) if stamp), None),
            "visit_count": sum(len(hit.visits) for hit, _ in hits),
            "visits": [
                {"url": url, "visited_at": stamp or None}
                for stamp, url in visits[:MAX_VISITS_SHOWN]
            ],
        },
    )


def scan_history(
    home: Path,
    platform: str,
    indicators: IndicatorSet,
    region: str | None = None,
    *,
    profiles: Callable[[Path, str], list[BrowserProfile]] = find_profiles,
) -> CheckOutcome:
    histories, problems = read_profiles(profiles(home, platform), indicators)
    count = len(histories)
    how = (
        f"compared with browser history of {count} profile{'s' if count != 1 else ''}"
        if count
        else "not compared with browser history: no browser history was found or readable"
    )
    return CheckOutcome(
        findings=tuple(history_findings(histories, indicators, region)),
        examined={"browser_profiles": count, "history_urls": sum(h.urls for h in histories)},
        not_examined=tuple(problems),
        coverage=(Coverage("domains", bool(count), how),),
    )


def check_browser_history(context: ScanContext) -> CheckOutcome:
    """Visits to addresses the indicator lists name, in every browser profile of this user."""
    return scan_history(context.home, context.platform, context.indicators, context.region)
