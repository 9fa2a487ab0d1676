"""`indicators update`: the one code path in devicecheck that opens a network connection.

It fetches one indicator file over HTTPS (Echap's ioc.yaml by default), with a connect and read
timeout, an overall deadline and a size cap; parses it with the right importer; and only then
swaps it into `indicators/updated/` atomically, keeping the set it replaces as `.previous`.
Any failure leaves the indicators in use exactly as they were.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators import echap
from devicecheck.core.indicators.common import slug
from devicecheck.core.indicators.formats import check_format, parse_bytes
from devicecheck.core.indicators.manage import (
    indicator_total,
    install,
    now_iso,
    require_some,
    safe_file_name,
)
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.indicators.store import load_indicators, updated_dir
from devicecheck.errors import DeviceCheckError, InvalidDataError

DEFAULT_URL = echap.RAW_URL
DEFAULT_TIMEOUT = 10.0  # seconds, for connecting and for each read
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
_CHUNK = 64 * 1024
UNCHANGED = "the indicators you had are unchanged"


@dataclass(frozen=True)
class UpdateResult:
    url: str
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


def announcement(url: str, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    return (
        f"This contacts the internet: it downloads one indicator file from {url} "
        f"(at most {max_bytes // (1024 * 1024) or 1} MB). Nothing about you or this computer "
        "is sent beyond the request itself; anyone watching your network can see that this "
        "address was contacted."
    )


def update_indicators(
    data_dir: DataDir,
    url: str = DEFAULT_URL,
    *,
    format: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int = DEFAULT_MAX_BYTES,
    announce: Callable[[str], None] = lambda message: None,
) -> UpdateResult:
    """Download, check and install one indicator set; DeviceCheckError leaves everything as it was."""
    check_format(format)
    scheme = urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        raise DeviceCheckError(f"cannot update from {url!r}: only http and https addresses work")
    is_echap = url == DEFAULT_URL
    format = format or ("echap" if is_echap else None)
    name = "echap-ioc.yaml" if is_echap else safe_file_name(_url_file_name(url))
    source_id = "echap" if is_echap else f"update-{slug(name)}"
    before = _effective(data_dir, source_id)
    announce(announcement(url, max_bytes))
    data = download(url, timeout=timeout, max_bytes=max_bytes)
    try:
        after, chosen = parse_bytes(
            data,
            f"the download from {url}",
            format,
            source_id=source_id,
            kind="updated",
            retrieved=now_iso(),
            url=url,
            json_first=name.endswith(".json"),
        )
        require_some(after, f"the download from {url}")
    except InvalidDataError as error:
        raise InvalidDataError(f"{error.message}; {UNCHANGED}") from None
    folder = data_dir.ensure(data_dir.indicators, updated_dir(data_dir))
    meta = {"format": chosen, "source_id": source_id, "url": url, "retrieved": now_iso()}
    install(folder / name, data, meta, keep_previous=True)
    return _summary(url, chosen, source_id, before, after, len(data))


def _url_file_name(url: str) -> str:
    name = PurePosixPath(urlsplit(url).path).name
    return name or urlsplit(url).hostname or "indicators"


def _effective(data_dir: DataDir, source_id: str) -> IndicatorSet:
    """The set with this source id in use now (an earlier update, or the bundled one)."""
    try:
        current = load_indicators(data_dir)
    except InvalidDataError:
        return IndicatorSet((), ())
    return IndicatorSet(
        tuple(s for s in current.sources if s.id == source_id),
        tuple(a for a in current.apps if a.source == source_id),
    )


def download(url: str, *, timeout: float, max_bytes: int) -> bytes:
    """The body of a 200 response, at most `max_bytes`; DeviceCheckError on any failure."""
    import requests

    deadline = time.monotonic() + max(timeout * 6, 30.0)
    try:
        with requests.get(url, stream=True, timeout=(timeout, timeout)) as response:
            if response.status_code != 200:
                raise DeviceCheckError(
                    f"the server at {url} answered HTTP {response.status_code} "
                    f"{response.reason or ''}".rstrip()
                    + f"; {UNCHANGED}"
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise _too_big(url, max_bytes)
            body = bytearray()
            for chunk in response.iter_content(_CHUNK):
                body += chunk
                if len(body) > max_bytes:
                    raise _too_big(url, max_bytes)
                if time.monotonic() > deadline:
                    raise DeviceCheckError(f"the download from {url} took too long; {UNCHANGED}")
            return bytes(body)
    except requests.Timeout:
        raise DeviceCheckError(
            f"no answer from {url} within {timeout:g} seconds; {UNCHANGED}"
        ) from None
    except requests.RequestException as error:
        if "timed out" in str(error).lower():
            raise DeviceCheckError(
                f"no answer from {url} within {timeout:g} seconds; {UNCHANGED}"
            ) from None
        reason = type(error).__name__.replace("Error", " error").strip().lower()
        raise DeviceCheckError(f"could not download {url} ({reason}); {UNCHANGED}") from None


def _too_big(url: str, max_bytes: int) -> DeviceCheckError:
    return DeviceCheckError(
        f"the download from {url} is larger than {max_bytes} bytes, more than any indicator "
        f"list should be; {UNCHANGED}"
    )


def _summary(
    url: str, format: str, source_id: str, before: IndicatorSet, after: IndicatorSet, size: int
) -> UpdateResult:
    names_before = {app.name for app in before.apps}
    names_after = {app.name for app in after.apps}
    return UpdateResult(
        url=url,
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
