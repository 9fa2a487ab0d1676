"""The scan's extra checks: one module each (mvt's shape), run after the indicator stages.

Each check is a function `(context: ScanContext) -> CheckOutcome`. The engine runs every
function in `EXTRA_CHECKS`, in order, after the processes, connections and start-up entries,
tells the observer about each (the stage is the function's name without `check_`), and merges what each returns into the
result: findings, `examined` counts (added up), `not_examined` places and `coverage` lines.

A check module imports `ScanContext`, `CheckOutcome`, `Coverage`, `Match`, `NotExamined` and
`make_behaviour_finding` / `advice_for_behaviour` from `core.scan.findings`, not from here:
this module imports the checks, so importing it back from a check would be circular. A
check reads only, never changes anything, never uses the network, and reports a place it
could not read as `NotExamined(what, reason)` instead of raising. Should a check raise all
the same, the engine lists that check as not examined, with the error, and goes on.

To add a check: import its function here and append it to `EXTRA_CHECKS` (one line each). A
check that runs on one platform only goes in `PLATFORM_CHECKS` instead, with that platform: its
module is imported only by a scan of that platform (as the CLI imports only the module of the
command it runs). `checks_for(platform)` is the list a scan of `platform` runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from devicecheck.core.scan.baseline import check_baseline
from devicecheck.core.scan.browser_extensions import check_browser_extensions
from devicecheck.core.scan.browser_history import check_browser_history
from devicecheck.core.scan.findings import CheckOutcome, ScanContext
from devicecheck.core.scan.hidden import check_hidden
from devicecheck.core.scan.hosts_file import check_hosts_file
from devicecheck.core.scan.input_capture import check_input_capture
from devicecheck.core.scan.traffic_capture import check_traffic_capture
from devicecheck.core.scan.way_in import check_way_in

Check = Callable[[ScanContext], CheckOutcome]

EXTRA_CHECKS: list[Check] = []
EXTRA_CHECKS.append(check_browser_history)
EXTRA_CHECKS.append(check_hosts_file)
EXTRA_CHECKS.append(check_browser_extensions)
EXTRA_CHECKS.append(check_input_capture)
EXTRA_CHECKS.append(check_hidden)
EXTRA_CHECKS.append(check_way_in)
EXTRA_CHECKS.append(check_traffic_capture)
EXTRA_CHECKS.append(check_baseline)

# (platform as in sys.platform, module, function): run after EXTRA_CHECKS on that platform only.
PLATFORM_CHECKS: list[tuple[str, str, str]] = [
    ("darwin", "devicecheck.core.scan.macos_privacy", "check_macos_privacy"),
]


def checks_for(platform: str) -> list[Check]:
    """The extra checks a scan of `platform` runs: EXTRA_CHECKS, then that platform's own."""
    own = [
        getattr(importlib.import_module(module), function)
        for only_on, module, function in PLATFORM_CHECKS
        if only_on == platform
    ]
    return [*EXTRA_CHECKS, *own]


def stage_name(check: Check) -> str:
    """What the observer is told this check is called (`check_browser_history`: "browser_history")."""
    return getattr(check, "__name__", "check").removeprefix("check_")


__all__ = [
    "EXTRA_CHECKS",
    "PLATFORM_CHECKS",
    "Check",
    "CheckOutcome",
    "ScanContext",
    "checks_for",
    "stage_name",
]
