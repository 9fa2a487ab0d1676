"""Hypothesis against what `indicators update` reads from outside: addresses (the command line
and a server's Location header), the --timeout text, and the `current` pointer on disk."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from hypothesis import given
from hypothesis import strategies as st

from devicecheck.cli.indicators_cmd import timeout_seconds
from devicecheck.core.indicators.store import CURRENT_POINTER, current_version
from devicecheck.core.indicators.update import _redirect, check_url, redacted, shown
from devicecheck.errors import DeviceCheckError, InvalidDataError

BASE = "https://127.0.0.1:8443/feed/ioc.yaml"
urlish = st.one_of(
    st.text(max_size=80),
    st.builds(
        lambda scheme, netloc, path: f"{scheme}://{netloc}{path}",
        st.sampled_from(["https", "http", "HTTPS", "file", "ftp", ""]),
        st.text(max_size=30),
        st.text(max_size=30),
    ),
)


@given(urlish)
def test_addresses_are_accepted_or_refused_in_one_line(url):
    try:
        scheme, host, port = check_url(url)
    except DeviceCheckError as error:
        assert "\n" not in error.message and "\x1b" not in error.message
    else:
        assert scheme == "https" and host and 0 < port < 65536
        assert "@" not in url.split("/")[2]


@given(urlish)
def test_a_redirect_goes_to_the_same_site_or_nowhere(location):
    try:
        target = _redirect(BASE, location)
    except DeviceCheckError as error:
        assert "\n" not in error.message
    else:
        assert check_url(target)[1:] == ("127.0.0.1", 8443)


@given(
    st.text(max_size=60),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789:!$%", min_size=1, max_size=12),
)
def test_shown_text_is_one_safe_line_and_passwords_are_redacted(text, secret):
    assert all(c >= " " and c != "\x7f" for c in shown(text))
    url = f"https://user:{secret}@example.org/{text}"
    try:
        cleaned = redacted(url)
    except ValueError:
        return  # not an address: check_url refuses it before anything is shown
    assert urlsplit(cleaned).netloc == "***@example.org"


@given(st.text(max_size=20))
def test_timeout_text_is_a_time_or_refused(text):
    try:
        value = timeout_seconds(text)
    except Exception as error:  # argparse turns ArgumentTypeError into one line
        assert type(error).__name__ == "ArgumentTypeError"
    else:
        assert math.isfinite(value) and 0 < value <= 3600


@given(st.binary(max_size=300))
def test_any_pointer_bytes_give_a_version_none_or_our_error(data):
    with tempfile.TemporaryDirectory() as folder:
        slot = Path(folder)
        (slot / CURRENT_POINTER).write_bytes(data)
        try:
            found = current_version(slot)
        except InvalidDataError as error:
            assert error.message
        else:
            assert found is None
