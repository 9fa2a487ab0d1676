"""Every behaviour check on this real machine, a plain Debian container: whatever one of them
reports here would be a false positive. (Processes that tests running at the same time plant
are left out: their files are in pytest's temporary folders, or their command line says so.)"""

from __future__ import annotations

from pathlib import Path

from devicecheck.core.indicators import load_indicators
from devicecheck.core.scan.autostart import check_autostart, collect_autostart
from devicecheck.core.scan.baseline import check_baseline
from devicecheck.core.scan.connections import observe_connections
from devicecheck.core.scan.findings import ScanContext
from devicecheck.core.scan.hidden import check_hidden
from devicecheck.core.scan.input_capture import check_input_capture
from devicecheck.core.scan.macos_privacy import check_macos_privacy
from devicecheck.core.scan.matching import Matcher
from devicecheck.core.scan.traffic_capture import check_traffic_capture
from devicecheck.core.scan.way_in import check_way_in
from tests.scan_behaviour_support import ordinary_processes

BEHAVIOUR_CHECKS = (
    check_input_capture,
    check_hidden,
    check_way_in,
    check_traffic_capture,
    check_macos_privacy,
    check_baseline,
)


def test_no_behaviour_check_reports_anything_on_this_machine():
    processes = tuple(ordinary_processes())
    pids = {process.pid for process in processes}
    connections, _ = observe_connections()
    mine = tuple(c for c in connections if c.pid is None or c.pid in pids)
    indicators = load_indicators(None)
    entries = tuple(collect_autostart("linux").entries)
    context = ScanContext(
        processes, "linux", Path.home(), indicators, None, None, mine, entries, ()
    )
    reported = {check.__name__: check(context).findings for check in BEHAVIOUR_CHECKS}
    assert reported == {check.__name__: () for check in BEHAVIOUR_CHECKS}
    assert check_autostart(Matcher(indicators), entries) == []
