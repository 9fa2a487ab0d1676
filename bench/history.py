"""Browser history compared with the indicator domains: 100,000 visits, goal < 0.3 s.

    .venv/bin/python bench/history.py [--visits N] [--rounds N]

A test home holds a Chrome `History` and a Firefox `places.sqlite` (the browsers' real table
definitions, tests/data/browser), each with N/2 visits to N/2 distinct URLs (the worst case:
every URL is parsed) on 5,000 ordinary hosts (`--hosts`), 1 in 1,000 of them on an Echap or
LOLRMM domain.

- baseline: reading every URL of both databases with sqlite3 (`SELECT url FROM ...`);
- check: `scan_history` (find the profiles, copy each database with its -wal to a private
  folder, read, compare every host with the bundled indicator domains, build the findings),
  with the bundled indicators already loaded (the scan has them by then).
Rounds alternate; medians are printed, and the ratio.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from devicecheck.core.indicators import load_indicators
from devicecheck.core.scan.browser_history import WEBKIT_EPOCH_OFFSET_US, scan_history

SCHEMAS = Path(__file__).resolve().parents[1] / "tests" / "data" / "browser"
START = 1_700_000_000


def build(home: Path, visits: int, domains: list[str], hosts: int = 5000) -> list[Path]:
    chrome = home / ".config/google-chrome/Default/History"
    firefox = home / ".mozilla/firefox/bench.default/places.sqlite"
    half = visits // 2
    rows = [
        (
            number + 1,
            f"https://{domains[number % len(domains)]}/page/{number}"
            if number % 1000 == 0
            else f"https://site{number % hosts}.example.org/article/{number}?ref=home",
        )
        for number in range(half)
    ]
    for path, schema, urls_sql, visits_sql, offset in (
        (
            chrome,
            "chrome-history-schema.sql",
            "INSERT INTO urls (id, url, last_visit_time) VALUES (?, ?, ?)",
            "INSERT INTO visits (url, visit_time) VALUES (?, ?)",
            WEBKIT_EPOCH_OFFSET_US,
        ),
        (
            firefox,
            "firefox-places-schema.sql",
            "INSERT INTO moz_places (id, url, last_visit_date) VALUES (?, ?, ?)",
            "INSERT INTO moz_historyvisits (place_id, visit_date) VALUES (?, ?)",
            0,
        ),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(path)
        connection.executescript((SCHEMAS / schema).read_text())
        stamps = [(START + n) * 1_000_000 + offset for n, _ in rows]
        connection.executemany(
            urls_sql, [(n, url, s) for (n, url), s in zip(rows, stamps, strict=True)]
        )
        connection.executemany(visits_sql, [(n, s) for (n, _), s in zip(rows, stamps, strict=True)])
        connection.commit()
        connection.close()
    (home / ".mozilla/firefox/profiles.ini").write_text(
        "[Profile0]\nName=bench\nIsRelative=1\nPath=bench.default\n"
    )
    return [chrome, firefox]


def baseline(paths: list[Path]) -> None:
    for path, table in zip(paths, ("urls", "moz_places"), strict=True):
        connection = sqlite3.connect(path)
        connection.execute(f"SELECT url FROM {table}").fetchall()
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument(
        "--hosts", type=int, default=5000, help="distinct ordinary hosts (default 5,000)"
    )
    args = parser.parse_args()
    indicators = load_indicators()
    domains = [d.lstrip("*.") for app in indicators.apps for d in app.domains if "." in d][:500]
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        paths = build(home, args.visits, domains, args.hosts)
        base_times, check_times = [], []
        outcome = None
        for _ in range(args.rounds):
            started = time.perf_counter()
            baseline(paths)
            base_times.append(time.perf_counter() - started)
            started = time.perf_counter()
            outcome = scan_history(home, "linux", indicators)
            check_times.append(time.perf_counter() - started)
    base, check = statistics.median(base_times), statistics.median(check_times)
    assert outcome is not None
    print(
        f"visits: {args.visits} in 2 profiles, {args.hosts} ordinary hosts; "
        f"findings: {len(outcome.findings)}"
    )
    print(f"baseline (sqlite3 reads every URL): {base * 1000:.1f} ms")
    print(f"check (copy, read, compare, findings): {check * 1000:.1f} ms  (goal < 300 ms)")
    print(f"ratio: {check / base:.2f}x")


if __name__ == "__main__":
    main()
