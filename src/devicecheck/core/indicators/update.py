"""`indicators update`: the one code path in devicecheck that opens a network connection.

It fetches one indicator file over HTTPS (Echap's ioc.yaml by default) and holds against a
hostile server:

- **One deadline.** The whole exchange (connecting, TLS, headers, redirects, the body, and
  checking what came) must finish within `timeout` seconds of wall-clock time. Every socket
  operation waits at most the time left, and a watchdog shuts the connection at the deadline,
  so a server that drips one byte every few seconds fails at the deadline.
- **HTTPS only**, verified against the system's certificate authorities, or certifi's copy of
  Mozilla's list where Python finds none on the system (or a CA file given by the caller,
  which tests use for a local server); redirects only within the same site
  (scheme, host and port), at most five; the final address is announced and recorded.
  `http.client` is used directly rather than `requests`: it reads no proxy settings and no
  `~/.netrc` (nothing is used silently), and it lets each read wait only for the time left.
  An address holding a user name or password is refused and never printed or stored.
- **Bounded work.** At most `max_bytes` are read, compressed answers are refused (only
  `identity` is asked for), the parsers refuse YAML anchors and aliases and cap the number of
  apps and indicators, and parsing counts against the deadline.
- **Content checks.** A list that loses more than a third of the apps of the one in use, or
  comes in another format, is installed only if `confirm` says so (the CLI asks, or needs
  `--yes`). A custom address is stored as a set of its own and never replaces Echap's.
- **One atomic step.** The list and its metadata go into a new version folder, then one
  rename of the `current` pointer switches to it; the version before stays beside it as the
  previous one. Leftovers of an interrupted update (`.tmp` files, unfinished version folders)
  are removed by the next one. Any failure leaves the indicators in use exactly as they were.
"""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import echap
from devicecheck.core.indicators.common import slug
from devicecheck.core.indicators.formats import check_format, is_json_name, parse_bytes
from devicecheck.core.indicators.manage import indicator_total, now_iso, require_some
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.indicators.store import (
    CURRENT_POINTER,
    current_version,
    load_indicators,
    meta_path_for,
    updated_dir,
)
from devicecheck.core.protection import write_private
from devicecheck.core.textsafety import one_line
from devicecheck.errors import DeviceCheckError, InvalidDataError

if TYPE_CHECKING:
    import ssl

DEFAULT_URL = echap.RAW_URL
DEFAULT_TIMEOUT = 60.0  # seconds for the whole exchange
MAX_TIMEOUT = 3600.0
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_SHOWN_LENGTH = 200
UNCHANGED = "the indicators you had are unchanged"
LOSS_THRESHOLD = 1 / 3


@dataclass(frozen=True)
class UpdateResult:
    url: str
    final_url: str
    format: str
    source_id: str
    apps_added: tuple[str, ...]
    apps_removed: tuple[str, ...]
    apps_before: int
    apps_after: int
    indicators_before: int
    indicators_after: int
    bytes: int

    def to_dict(self) -> dict:
        return {
            "url": self.url,
            "final_url": self.final_url,
            "format": self.format,
            "source": self.source_id,
            "apps_added": list(self.apps_added),
            "apps_removed": list(self.apps_removed),
            "apps_before": self.apps_before,
            "apps_after": self.apps_after,
            "indicators_before": self.indicators_before,
            "indicators_after": self.indicators_after,
            "bytes": self.bytes,
        }


def shown(text: str) -> str:
    """Text from the server or the command line, safe to print: controls escaped, cut short."""
    text = one_line(text)
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 3] + "..."


def check_timeout(value: float) -> float:
    """A usable deadline in seconds; DeviceCheckError for -1, 0, nan, inf or days."""
    if not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise DeviceCheckError(f"--timeout must be a number of seconds above 0, not {value!r}")
    if value > MAX_TIMEOUT:
        raise DeviceCheckError(f"--timeout must be at most {MAX_TIMEOUT:g} seconds")
    return float(value)


def check_url(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an address devicecheck will fetch; DeviceCheckError if not."""
    if any(ord(c) < 33 or ord(c) == 127 for c in url):
        raise DeviceCheckError("cannot update from that address: it holds spaces or controls")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise DeviceCheckError(f"cannot update from {shown(url)!r}: not a valid address") from None
    if "@" in parts.netloc:
        raise DeviceCheckError(
            f"cannot update from {shown(redacted(url))}: the address holds a user name or "
            "password, which devicecheck does not send"
        )
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise DeviceCheckError(
            f"cannot update from {shown(url)!r}: only https:// addresses are used, so that "
            "nobody on the way can change the list"
        )
    return "https", parts.hostname.lower(), port or 443


def redacted(url: str) -> str:
    """The address without any `user:password@` part."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


def announcement(url: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    return (
        f"This contacts the internet: it downloads one indicator file from {shown(url)} "
        f"(at most {max_bytes // (1024 * 1024) or 1} MB). Nothing about you or this computer "
        "is sent beyond the request itself; anyone watching your network can see that this "
        "address was contacted."
    )


def refuse(question: str) -> bool:
    return False


def update_indicators(
    data_dir: DataDir,
    url: str = DEFAULT_URL,
    *,
    format: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    announce: Callable[[str], None] = lambda message: None,
    confirm: Callable[[str], bool] = refuse,
    ca_file: Path | None = None,
) -> UpdateResult:
    """Download, check and install one indicator set; DeviceCheckError leaves everything as it was.

    `ca_file` replaces the system's certificate authorities (tests: a local server's own).
    """
    check_format(format)
    timeout = check_timeout(timeout)
    check_url(url)
    is_echap = url == DEFAULT_URL
    format = format or ("echap" if is_echap else None)
    name = "ioc.yaml" if is_echap else _url_file_name(url)
    # A custom address is a set of its own ("update-..."): it can never replace Echap's.
    source_id = "echap" if is_echap else f"update-{slug(name)}"
    before, before_format = _effective(data_dir, source_id)
    announce(announcement(url, max_bytes))
    deadline = Deadline(timeout)
    data, final_url = download(url, deadline=deadline, max_bytes=max_bytes, ca_file=ca_file)
    if final_url != url:
        announce(f"The server sent devicecheck on to {shown(final_url)} (the same site).")
    try:
        after, chosen = parse_bytes(
            data,
            f"the download from {shown(final_url)}",
            format,
            source_id=source_id,
            kind="updated",
            retrieved=now_iso(),
            url=final_url,
            json_first=is_json_name(name),
        )
        require_some(after, f"the download from {shown(final_url)}")
    except InvalidDataError as error:
        raise InvalidDataError(f"{error.message}; {UNCHANGED}") from None
    deadline.check("checking the download")
    _confirm_changes(before, before_format, after, chosen, confirm)
    meta = {
        "format": chosen,
        "source_id": source_id,
        "url": url,
        "final_url": final_url,
        "retrieved": now_iso(),
    }
    folder = data_dir.ensure(data_dir.indicators, updated_dir(data_dir))
    install_version(folder / source_id, name, data, meta)
    return _summary(url, final_url, chosen, source_id, before, after, len(data))


def _url_file_name(url: str) -> str:
    from devicecheck.core.indicators.manage import safe_file_name

    parts = urlsplit(url)
    return safe_file_name(PurePosixPath(parts.path).name or parts.hostname or "indicators")


def _effective(data_dir: DataDir, source_id: str) -> tuple[IndicatorSet, str]:
    """The set with this source id in use now (an earlier update, or the bundled one), and
    its format ("" when there is none)."""
    try:
        current = load_indicators(data_dir)
    except DeviceCheckError:
        return IndicatorSet((), ()), ""
    apps = tuple(a for a in current.apps if a.source == source_id)
    sources = tuple(s for s in current.sources if s.id == source_id)
    found = _in_use(updated_dir(data_dir) / source_id)
    if found is not None:
        format = found.format
    else:
        format = "echap" if sources and source_id == "echap" else ""
    return IndicatorSet(sources, apps), format


def _confirm_changes(
    before: IndicatorSet,
    before_format: str,
    after: IndicatorSet,
    chosen: str,
    confirm: Callable[[str], bool],
) -> None:
    """Ask before a list that loses more than a third of its apps, or changes format."""
    questions = []
    if before.apps and len(after.apps) < len(before.apps) * (1 - LOSS_THRESHOLD):
        questions.append(
            f"the new list has {_apps(len(after.apps))} where the one in use has "
            f"{_apps(len(before.apps))} (a cut list, or the wrong file, looks like this)"
        )
    if before_format and chosen != before_format:
        questions.append(f"the new list is in {chosen} format, the one in use in {before_format}")
    if not questions:
        return
    question = "; ".join(questions)
    if not confirm(f"Install it anyway? {question[0].upper()}{question[1:]}."):
        raise DeviceCheckError(
            f"not installed: {question}; run again with --yes to install it anyway; {UNCHANGED}"
        )


def _apps(count: int) -> str:
    return f"{count} app" + ("s" if count != 1 else "")


# --- the exchange ----------------------------------------------------------------------------


class Deadline:
    """One wall-clock deadline for a whole exchange, and a watchdog that enforces it: at the
    deadline it shuts the connection being used, which ends any read that is waiting."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = time.monotonic() + seconds
        self.expired = False
        self._connection = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True
        self._timer.start()

    def left(self) -> float:
        """Seconds left; DeviceCheckError when none are."""
        remaining = self.ends - time.monotonic()
        if remaining <= 0 or self.expired:
            raise self.error()
        return remaining

    def check(self, doing: str) -> None:
        if time.monotonic() > self.ends:
            raise DeviceCheckError(
                f"{doing} took longer than {self.seconds:g} seconds in all; {UNCHANGED}"
            )

    def error(self) -> DeviceCheckError:
        return DeviceCheckError(
            f"the download did not finish within {self.seconds:g} seconds; {UNCHANGED}"
        )

    def watch(self, connection) -> None:
        with self._lock:
            self._connection = connection
        if self.expired:
            self._expire()

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            sock = getattr(self._connection, "sock", None)
        if sock is not None:
            # The plain socket's shutdown (not the TLS one, which another thread is using):
            # a read waiting on it returns at once.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def stop(self) -> None:
        self._timer.cancel()


def tls_context(ca_file: Path | None = None) -> ssl.SSLContext:
    """What the server's certificate is checked against: `ca_file` when given (tests), else the
    system's certificate authorities; where Python finds none there (python.org's macOS builds
    until "Install Certificates" is run, a minimal container), certifi's copy of Mozilla's list.
    """
    import ssl

    if ca_file is not None:
        return ssl.create_default_context(cafile=str(ca_file))
    context = ssl.create_default_context()
    if not context.cert_store_stats().get("x509_ca"):
        import certifi

        context.load_verify_locations(cafile=certifi.where())
    return context


def download(
    url: str, *, deadline: Deadline, max_bytes: int, ca_file: Path | None = None
) -> tuple[bytes, str]:
    """(the body of a 200 answer, the address it finally came from); DeviceCheckError on any
    failure, including the deadline passing at any point."""
    import http.client
    import ssl

    context = tls_context(ca_file)
    current = url
    try:
        for _ in range(MAX_REDIRECTS + 1):
            _, host, port = check_url(current)
            connection = http.client.HTTPSConnection(
                host, port, timeout=deadline.left(), context=context
            )
            deadline.watch(connection)
            try:
                connection.connect()
                connection.sock.settimeout(deadline.left())
                parts = urlsplit(current)
                target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
                connection.request("GET", target, headers=_HEADERS)
                response = connection.getresponse()
                if response.status in _REDIRECTS:
                    current = _redirect(current, response.getheader("Location"))
                    continue
                _check_answer(current, response, max_bytes)
                return _read_body(current, response, connection, deadline, max_bytes), current
            finally:
                connection.close()
        raise DeviceCheckError(
            f"{shown(url)} redirected more than {MAX_REDIRECTS} times; {UNCHANGED}"
        )
    except DeviceCheckError:
        if deadline.expired:
            raise deadline.error() from None
        raise
    except ssl.SSLCertVerificationError as error:
        reason = shown(error.verify_message or str(error))
        raise DeviceCheckError(
            f"the certificate of {shown(current)} could not be verified ({reason}); nothing was "
            f"downloaded; {UNCHANGED}"
        ) from None
    except (OSError, http.client.HTTPException, ValueError) as error:
        if deadline.expired or isinstance(error, TimeoutError):
            raise deadline.error() from None
        reason = type(error).__name__.replace("Error", " error").strip().lower()
        raise DeviceCheckError(
            f"could not download {shown(current)} ({reason}); {UNCHANGED}"
        ) from None
    finally:
        deadline.stop()


_HEADERS = {
    "Accept-Encoding": "identity",  # a compressed answer could unpack to any size
    "Accept": "*/*",
    "User-Agent": "devicecheck (indicators update)",
    "Connection": "close",
}


def _redirect(current: str, location: str | None) -> str:
    """The address a redirect leads to, if it is on the same https site and usable."""
    if not location:
        raise DeviceCheckError(f"{shown(current)} redirected nowhere; {UNCHANGED}")
    try:
        target = urljoin(current, location.strip())
        before, after = urlsplit(current), urlsplit(target)
        same_site = (
            after.scheme.lower() == "https"
            and "@" not in after.netloc
            and (after.hostname or "").lower() == (before.hostname or "").lower()
            and _port(after) == _port(before)
        )
    except ValueError:  # not an address at all ("https://[")
        target, same_site = location, False
    if not same_site:
        raise DeviceCheckError(
            f"{shown(current)} redirected to another site ({_shown_address(target)}); "
            f"devicecheck follows redirects only within the same https site; {UNCHANGED}"
        )
    check_url(target)  # spaces or control characters: refused in one line
    return target


def _shown_address(url: str) -> str:
    try:
        return shown(redacted(url))
    except ValueError:
        return "an address that is not valid"


def _port(parts) -> int:
    try:
        return parts.port or 443
    except ValueError:
        return -1


def _check_answer(url: str, response, max_bytes: int) -> None:
    if response.status != 200:
        reason = shown(response.reason or "")
        raise DeviceCheckError(
            f"the server at {shown(url)} answered HTTP {response.status} {reason}".rstrip()
            + f"; {UNCHANGED}"
        )
    encoding = (response.getheader("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise DeviceCheckError(
            f"the server at {shown(url)} sent a compressed answer ({shown(encoding)}) though "
            f"none was asked for; {UNCHANGED}"
        )
    declared = (response.getheader("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise _too_big(url, max_bytes)


def _read_body(url: str, response, connection, deadline: Deadline, max_bytes: int) -> bytes:
    body = bytearray()
    while True:
        connection.sock.settimeout(deadline.left())
        chunk = response.read1(_CHUNK)  # what has arrived, without waiting for a full chunk
        if not chunk:
            break
        body += chunk
        if len(body) > max_bytes:
            raise _too_big(url, max_bytes)
        deadline.left()
    if response.length:  # the server said more was coming, then closed
        raise DeviceCheckError(f"the download from {shown(url)} was cut short; {UNCHANGED}")
    return bytes(body)


def _too_big(url: str, max_bytes: int) -> DeviceCheckError:
    return DeviceCheckError(
        f"the download from {shown(url)} is larger than {max_bytes} bytes, more than any "
        f"indicator list should be; {UNCHANGED}"
    )


# --- installing ------------------------------------------------------------------------------


def install_version(slot: Path, name: str, data: bytes, meta: dict) -> None:
    """Install `data` and its metadata as a new version of `slot` in one atomic step.

    Both files go into a new version folder first (each written atomically); only then is the
    `current` pointer replaced, by one rename. A crash before that leaves the old version in
    use and an unfinished folder that the next update removes.
    """
    slot.mkdir(mode=0o700, parents=True, exist_ok=True)
    previous = _in_use(slot)
    clean_leftovers(slot)
    version = f"v{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.urandom(4).hex()}"
    folder = slot / version
    folder.mkdir(mode=0o700)
    meta = {**meta, "previous": previous.path.parent.name if previous else ""}
    write_private(folder / name, data)  # encrypted in a protected folder
    write_private(meta_path_for(folder / name), _json(meta))
    write_private(slot / CURRENT_POINTER, version.encode("ascii"))  # the one switch
    clean_leftovers(slot)  # now: this version and the one before it
    _remove_flat_copy(slot, name)


def _in_use(slot: Path):
    """The version in use, or None (also when a damaged pointer names none: it is replaced)."""
    try:
        return current_version(slot)
    except DeviceCheckError:
        return None


def clean_leftovers(slot: Path) -> None:
    """Remove what an interrupted update left: temporary files and every version folder but
    the one in use and the one before it."""
    in_use = _in_use(slot)
    keep_names: set[str] = set()
    if in_use is not None:
        keep_names.add(in_use.path.parent.name)
        keep_names.add(_previous_of(in_use.path))
    for entry in slot.iterdir():
        if entry.name == CURRENT_POINTER or entry.name in keep_names:
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                entry.unlink()


def _previous_of(path: Path) -> str:
    import json

    from devicecheck.core.protection import read_private

    try:
        meta = json.loads(read_private(meta_path_for(path)))
    except (OSError, ValueError, DeviceCheckError):
        return ""
    previous = meta.get("previous") if isinstance(meta, dict) else ""
    return previous if isinstance(previous, str) else ""


def _remove_flat_copy(slot: Path, name: str) -> None:
    """An update stored before versioned folders (`updated/<name>`), now replaced."""
    folder = slot.parent
    legacy = {"echap": "echap-ioc.yaml"}.get(slot.name, name)
    for stale in (legacy, legacy + ".previous"):
        for path in (folder / stale, meta_path_for(folder / stale)):
            with contextlib.suppress(OSError):
                path.unlink()


def _json(meta: dict) -> bytes:
    import json

    return json.dumps(meta, indent=2).encode("utf-8")


def _summary(
    url: str,
    final_url: str,
    format: str,
    source_id: str,
    before: IndicatorSet,
    after: IndicatorSet,
    size: int,
) -> UpdateResult:
    names_before = {app.name for app in before.apps}
    names_after = {app.name for app in after.apps}
    return UpdateResult(
        url=url,
        final_url=final_url,
        format=format,
        source_id=source_id,
        apps_added=tuple(sorted(names_after - names_before)),
        apps_removed=tuple(sorted(names_before - names_after)),
        apps_before=len(before.apps),
        apps_after=len(after.apps),
        indicators_before=indicator_total(before),
        indicators_after=indicator_total(after),
        bytes=size,
    )
