"""Scanning this computer for known monitoring software (mvt-style: one module per check).

`run_scan(indicators)` looks at running processes (`processes`), live network connections and
listeners (`connections`) and start-up entries (`autostart`), and returns a `ScanResult`:
findings with confidence and advice (`findings`), what could not be examined, and what a scan
of this computer cannot rule out. `begin_scan()` starts the reading before the indicators are
loaded and its `finish(indicators)` completes it. `save_scan` records it in the evidence log.
"""

from __future__ import annotations

from devicecheck.core.scan.autostart import AutostartEntry, AutostartRoots
from devicecheck.core.scan.engine import (
    STAGES,
    ScanInProgress,
    ScanObserver,
    begin_scan,
    run_scan,
    save_scan,
)
from devicecheck.core.scan.findings import (
    LIMITS,
    Finding,
    Match,
    NotExamined,
    ProcessInfo,
    ScanResult,
)

__all__ = [
    "LIMITS",
    "STAGES",
    "AutostartEntry",
    "AutostartRoots",
    "Finding",
    "Match",
    "NotExamined",
    "ProcessInfo",
    "ScanInProgress",
    "ScanObserver",
    "ScanResult",
    "begin_scan",
    "run_scan",
    "save_scan",
]
