"""Hypothesis against the browser-history readers: random rows, random bytes, broken schemas.

Whatever a database holds, reading it returns hits or raises InvalidDataError, nothing else;
the profile and hosts parsers take any text.
"""

from __future__ import annotations

import contextlib
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from devicecheck.core.scan.browser_history import DomainIndex, host_of, read_history
from devicecheck.core.scan.browser_profiles import parse_profiles_ini
from devicecheck.core.scan.hosts_file import parse_hosts
from devicecheck.errors import InvalidDataError
from tests.conftest import TEST_DATA

SCHEMA = {
    "chromium": (TEST_DATA / "browser" / "chrome-history-schema.sql").read_text(),
    "firefox": (TEST_DATA / "browser" / "firefox-places-schema.sql").read_text(),
}
INSERTS = {
    "chromium": (
        "INSERT INTO urls (id, url, last_visit_time) VALUES (?, ?, ?)",
        "INSERT INTO visits (url, visit_time) VALUES (?, ?)",
    ),
    "firefox": (
        "INSERT INTO moz_places (id, url, last_visit_date) VALUES (?, ?, ?)",
        "INSERT INTO moz_historyvisits (place_id, visit_date) VALUES (?, ?)",
    ),
}
DOMAINS = DomainIndex({"mspy.com": (0,), "*.anydesk.com": (1,), "agents*-cloud.acronis.com": (2,)})
# SQLite stores what it is given whatever the column's declared type: so may a damaged file.
ANY_VALUE = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.binary(max_size=40),
    st.sampled_from(
        ["https://mspy.com/x", "http://a.anydesk.com", "https://agents9-cloud.acronis.com/"]
    ),
)


def read_only_own_errors(path: Path, engine: str) -> None:
    try:
        urls, hits = read_history(path, engine, DOMAINS)
    except InvalidDataError as error:
        assert error.message
    else:
        assert urls >= len(hits)
        for hit in hits:
            assert isinstance(hit.url, str) and hit.matches
            assert all(isinstance(stamp, str) for stamp in hit.visits)


@settings(max_examples=60)
@given(
    engine=st.sampled_from(["chromium", "firefox"]),
    urls=st.lists(st.tuples(ANY_VALUE, ANY_VALUE, ANY_VALUE), max_size=8),
    visits=st.lists(st.tuples(ANY_VALUE, ANY_VALUE), max_size=8),
)
def test_random_rows_in_the_real_schemas(engine, urls, visits):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db"
        connection = sqlite3.connect(path)
        connection.executescript(SCHEMA[engine])
        url_insert, visit_insert = INSERTS[engine]
        for row in urls:
            # An id that is not an integer, or repeated: SQLite itself refuses it.
            with contextlib.suppress(sqlite3.Error):
                connection.execute(url_insert, row)
        for row in visits:
            with contextlib.suppress(sqlite3.Error):  # NOT NULL columns
                connection.execute(visit_insert, row)
        connection.commit()
        connection.close()
        read_only_own_errors(path, engine)


@settings(max_examples=60)
@given(engine=st.sampled_from(["chromium", "firefox"]), data=st.binary(max_size=5000))
def test_random_bytes(engine, data):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db"
        path.write_bytes(data)
        read_only_own_errors(path, engine)


@settings(max_examples=40)
@given(
    engine=st.sampled_from(["chromium", "firefox"]),
    header=st.binary(min_size=0, max_size=200),
    cut=st.integers(min_value=0, max_value=20000),
)
def test_damaged_real_databases(engine, header, cut):
    """A real database with its start overwritten or its end cut off."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db"
        connection = sqlite3.connect(path)
        connection.executescript(SCHEMA[engine])
        url_insert, visit_insert = INSERTS[engine]
        for number in range(1, 40):
            connection.execute(url_insert, (number, f"https://x{number}.mspy.com/", number))
            connection.execute(visit_insert, (number, 10**16 + number))
        connection.commit()
        connection.close()
        data = path.read_bytes()
        path.write_bytes(header + data[len(header) : max(cut, len(header))])
        read_only_own_errors(path, engine)


COLUMN = st.sampled_from(["id", "url", "last_visit_time", "last_visit_date", "visit_time", "x"])


@settings(max_examples=40)
@given(
    engine=st.sampled_from(["chromium", "firefox"]),
    tables=st.dictionaries(
        st.sampled_from(["urls", "visits", "moz_places", "moz_historyvisits", "meta"]),
        st.lists(COLUMN, min_size=1, max_size=4, unique=True),
        max_size=4,
    ),
    rows=st.lists(ANY_VALUE, max_size=6),
)
def test_broken_schemas(engine, tables, rows):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "db"
        connection = sqlite3.connect(path)
        for table, columns in tables.items():
            connection.execute(f"CREATE TABLE {table} ({', '.join(columns)})")
            for value in rows:
                connection.execute(
                    f"INSERT INTO {table} VALUES ({', '.join('?' * len(columns))})",
                    [value] * len(columns),
                )
        connection.commit()
        connection.close()
        read_only_own_errors(path, engine)


@given(st.text(max_size=300))
@example("0 .")  # "." alone once became a host with no name
def test_profiles_ini_and_hosts_take_any_text(text):
    for path, relative in parse_profiles_ini(text):
        assert isinstance(path, str) and path and isinstance(relative, bool)
    for entry in parse_hosts(text):
        assert entry.name and entry.address


@given(st.text(max_size=200))
def test_host_of_any_text(text):
    host = host_of(text)
    DOMAINS.matches(host)
    assert host == host.lower()
