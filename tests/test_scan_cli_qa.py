"""The scan's text result names what each finding is in words, for every kind a check can report
(no finding-kind or category ids), and dates the scan in words."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from devicecheck.cli.scan_cmd import render_result
from devicecheck.core.finding_labels import COMPUTER_KIND_LABELS
from devicecheck.core.helplines import region_for
from devicecheck.core.scan.findings import KINDS, Finding, Match, ScanResult
from tests.conftest import assert_one_line_error, devicecheck_command


def _result(kind: str) -> ScanResult:
    finding = Finding(
        kind=kind,
        app="Some product",
        category="employee-monitoring",
        severity="medium",
        confidence="medium",
        matched=Match("x", "process_names", "x"),
        process=None,
        advice="Advice.",
        source={"id": "test", "name": "Test list"},
        detail={
            "other_products": [
                {"app": "Other", "category": "remote-access", "source": {"name": "LOLRMM"}}
            ]
        },
    )
    return ScanResult(
        "2026-11-21T09:00:00+00:00", "2026-11-21T09:01:00+00:00", "host", "Linux",
        (finding,), {}, (), (),
    )  # fmt: skip


@pytest.mark.parametrize("kind", KINDS)
def test_each_finding_kind_and_category_is_in_words(kind: str) -> None:
    text = render_result(_result(kind), region_for("GB"))
    heading = next(line for line in text.splitlines() if line.startswith("1. "))
    assert heading.startswith(
        f"1. Some product (employee monitoring), {COMPUTER_KIND_LABELS[kind]}."
    )
    assert "Also listed as: Other (remote access, LOLRMM)" in text
    assert re.search(r"finished Saturday 21 November 2026, 09:01 UTC", text)


def test_a_json_scan_with_its_output_closed_says_so_in_one_line(data_dir):
    """Started as `devicecheck scan --json >&-`: no JSON can be written; one plain line, not
    'unexpected error: AttributeError'."""
    result = subprocess.run(
        [*devicecheck_command(), "scan", "--json"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DEVICECHECK_HOME": str(data_dir)},
        timeout=120,
        check=False,
        preexec_fn=lambda: os.close(1),
    )
    assert_one_line_error(result)
    assert "standard output is closed" in result.stderr
    assert "unexpected" not in result.stderr
