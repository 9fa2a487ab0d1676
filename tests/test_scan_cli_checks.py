"""The engine's extra checks: each is run with a ScanContext, and what it returns is merged."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devicecheck.core.datadir import DataDir
from devicecheck.core.indicators.model import IndicatorSet
from devicecheck.core.scan import run_scan
from devicecheck.core.scan.checks import EXTRA_CHECKS, checks_for, stage_name
from devicecheck.core.scan.findings import (
    KINDS,
    CheckOutcome,
    Coverage,
    Match,
    NotExamined,
    ScanContext,
    advice_for_behaviour,
    make_behaviour_finding,
)
from tests.indicator_sets import indicator_set

NO_INDICATORS = indicator_set()


class Stages:
    def __init__(self) -> None:
        self.started: list[tuple[str, int]] = []
        self.progress: list[tuple[str, int]] = []

    def stage_started(self, stage: str, total: int) -> None:
        self.started.append((stage, total))

    def advanced(self, stage: str, done: int) -> None:
        self.progress.append((stage, done))


def check_planted_history(context: ScanContext) -> CheckOutcome:
    finding = make_behaviour_finding(
        kind="history",
        app="a stalkerware vendor's site",
        category="stalkerware",
        severity="high",
        confidence="medium",
        matched=Match("example-spy.test", "domains", "https://example-spy.test/buy"),
        advice=advice_for_behaviour("This computer visited a spyware seller.", context.region),
        detail={"home": str(context.home), "processes_seen": len(context.processes)},
    )
    return CheckOutcome(
        findings=(finding,),
        examined={"browser_profiles": 2, "processes": 1},
        not_examined=(NotExamined("Firefox profile default", "database locked"),),
        coverage=(Coverage("domains", True, "compared with browser history of 2 profiles"),),
    )


def check_that_breaks(context: ScanContext) -> CheckOutcome:
    raise RuntimeError("odd bytes")


def test_extra_checks_start_empty_and_are_named_by_their_function():
    assert isinstance(EXTRA_CHECKS, list)
    assert stage_name(check_planted_history) == "planted_history"
    assert {"history", "extension", "input-capture", "hidden", "access"} <= set(KINDS)


def test_each_check_is_given_the_context_and_its_outcome_is_merged(tmp_path: Path):
    observer = Stages()
    data_dir = DataDir(tmp_path / "data")

    result = run_scan(
        NO_INDICATORS,
        observer,
        platform="linux",
        region="US",
        data_dir=data_dir,
        home=tmp_path,
        checks=[check_planted_history],
    )

    finding = next(f for f in result.findings if f.kind == "history")
    assert finding.detail["home"] == str(tmp_path)
    assert finding.detail["processes_seen"] == result.examined["processes"] - 1
    assert finding.source == {"id": "behaviour", "name": "devicecheck behaviour check"}
    assert result.examined["browser_profiles"] == 2
    assert NotExamined("Firefox profile default", "database locked") in result.not_examined
    assert {
        "kind": "domains",
        "used": True,
        "how": "compared with browser history of 2 profiles",
    } in result.to_dict()["coverage"]
    assert ("planted_history", 1) in observer.started
    assert ("planted_history", 1) in observer.progress


def test_a_check_that_raises_is_listed_as_not_examined_and_the_scan_goes_on(tmp_path: Path):
    result = run_scan(
        NO_INDICATORS,
        platform="linux",
        home=tmp_path,
        checks=[check_that_breaks, check_planted_history],
    )

    failed = [item for item in result.not_examined if item.what == "that breaks"]
    assert failed and "odd bytes" in failed[0].reason
    assert any(f.kind == "history" for f in result.findings)


def test_behaviour_advice_follows_the_region():
    us = advice_for_behaviour("Something odd was seen.", "US")
    gb = advice_for_behaviour("Something odd was seen.", "GB")

    assert us.startswith("Something odd was seen.")
    assert "800-799" in us and "0808" not in us
    assert "0808 802 0300" in gb


def test_a_behaviour_finding_with_an_unknown_kind_is_refused():
    import pytest

    with pytest.raises(ValueError):
        make_behaviour_finding(
            kind="rumour",
            app="x",
            category="stalkerware",
            severity="high",
            confidence="low",
            matched=Match("x", "x", "x"),
            advice="x",
        )


def test_checked_against_counts_only_products_this_scan_could_find_here(tmp_path: Path):
    from devicecheck.cli.scan_cmd import render_result
    from devicecheck.core.helplines import region_for
    from devicecheck.core.indicators.model import AppIndicator

    def app(slug: str, **fields) -> AppIndicator:
        return AppIndicator(f"test:{slug}", slug, "stalkerware", "test", **fields)

    indicator_set = IndicatorSet(
        NO_INDICATORS.sources,
        (
            app("linux-agent", platforms=("linux",), process_names=("snoopd",)),
            app("unstated", process_names=("snoop-any",)),
            app("windows-only", platforms=("windows",), process_names=("snoop.exe",)),
            app("phone-only", platforms=("android",), packages=("com.snoop.app",)),
            app("web-only", domains=("snoop.example",)),
        ),
    )

    result = run_scan(indicator_set, platform="linux", home=tmp_path, checks=[])

    assert result.examined["indicator_apps"] == 2  # linux-agent and unstated
    assert result.examined["indicator_apps_loaded"] == 5
    coverage = {item.kind: item for item in result.coverage}
    assert coverage["process_names"].used
    assert not coverage["packages"].used and "phone" in coverage["packages"].how
    assert not coverage["domains"].used
    text = render_result(result, region_for("GB"))
    assert "against 2 known products (of 5 in the lists" in text
    assert "- web domains: not compared with anything on this computer" in text

    with_history = run_scan(
        indicator_set, platform="linux", home=tmp_path, checks=[check_planted_history]
    )
    assert with_history.examined["indicator_apps"] == 3  # web-only, through browser history
    assert {item.kind: item for item in with_history.coverage}["domains"].used


def test_a_us_scan_in_plain_words_names_us_help_and_no_uk_number(tmp_path: Path):
    import shutil
    import subprocess

    from tests.conftest import run_cli

    folder = tmp_path / "sysconfig"
    folder.mkdir()
    program = folder / "sysdiag.exe"  # SpyAgent's program (curated list), as under Wine
    shutil.copy2(shutil.which("sleep") or "/bin/sleep", program)
    process = subprocess.Popen([str(program), "60"])
    try:
        us = run_cli("--region", "US", "scan", data_dir=tmp_path / "data")
        gb = run_cli("scan", data_dir=tmp_path / "data")
    finally:
        process.kill()
        process.wait(timeout=10)

    assert us.returncode == 1 and "Traceback" not in us.stderr
    assert "SpyAgent" in us.stdout
    assert "800-799" in us.stdout
    assert "0808" not in us.stdout and "999" not in us.stdout
    assert "0808 802 0300" in gb.stdout


def test_the_progress_lines_name_each_extra_check_in_words(capsys):
    from devicecheck.cli.scan_cmd import _StageLines

    lines = _StageLines()
    lines.stage_started("processes", 12)
    lines.stage_started("browser_history", 1)

    err = capsys.readouterr().err
    assert "Looking at 12 running programs..." in err
    assert "Checking browser history..." in err
    assert "browser_history" not in err


def test_one_per_thing_keeps_a_checks_own_advice_and_rewords_listed_products_for_the_region():
    from devicecheck.core.scan.findings import ProcessInfo, one_per_thing

    process = ProcessInfo(4242, "snoopd", "/opt/snoopd", ("/opt/snoopd",), "me", None)
    own = make_behaviour_finding(
        kind="autostart",
        app="a start-up entry that runs a deleted program",
        category="spyware",
        severity="medium",
        confidence="medium",
        matched=Match("", "autostart", "snoop.desktop"),
        advice="The check's own words.",
        detail={"location": "~/.config/autostart/snoop.desktop"},
    )
    listed = own._replace(
        kind="process", app="Snoop", app_id="test:snoop", advice="old", process=process
    )

    merged = one_per_thing([own, listed], "US")

    assert [f.advice for f in merged if not f.app_id] == ["The check's own words."]
    [product] = [f for f in merged if f.app_id]
    assert "800-799" in product.advice and product.advice != "old"


def test_counts_and_dual_use_advice_read_as_sentences():
    from devicecheck.core.scan.coverage import counted
    from devicecheck.core.scan.findings import advice_for

    assert counted(1, "network connection") == "1 network connection"
    assert counted(3, "start-up entry", "start-up entries") == "3 start-up entries"
    advice = advice_for("remote-access", "process", "medium", "GB")
    assert "If you did not expect it, do not remove it straight away" in advice


def test_every_finding_kind_prints_with_a_plain_label_and_the_regions_help(tmp_path: Path):
    """Each kind a scan can report, as `scan` prints it for a US person: plain labels, plain
    words for how sure and how serious, the region's help line, and no raw ids or jargon."""
    from devicecheck.cli.scan_cmd import render_result
    from devicecheck.core.finding_labels import kind_label
    from devicecheck.core.helplines import region_for
    from devicecheck.core.scan.findings import access_denied_reason

    def check_every_kind(context: ScanContext) -> CheckOutcome:
        findings = tuple(
            make_behaviour_finding(
                kind=kind,
                app=f"thing-{number}",
                category=("spyware", "keylogger", "remote-access", "stalkerware")[number % 4],
                severity=("high", "medium")[number % 2],
                confidence=("high", "medium", "low")[number % 3],
                matched=Match("what was seen", "domains", f"value-{number}"),
                advice=advice_for_behaviour("Something was seen.", context.region),
            )
            for number, kind in enumerate(KINDS)
        )
        denied = NotExamined("environment of some processes", access_denied_reason())
        return CheckOutcome(findings=findings, examined={}, not_examined=(denied,))

    result = run_scan(
        NO_INDICATORS, platform="linux", region="US", home=tmp_path, checks=[check_every_kind]
    )
    text = render_result(result, region_for("US"))

    assert len([f for f in result.findings if f.app.startswith("thing-")]) == len(KINDS)
    for kind in KINDS:
        assert f": {kind_label(kind)}, which may be" in text  # the label, never the id
    assert "input-capture" not in text and "traffic-capture" not in text
    for jargon in ("confidence", "severity", "access denied", "even to root", "remote-access"):
        assert jargon not in text.lower()
    assert "How sure: very likely." in text and "How sure: possible: check it." in text
    assert "which may be software that records what you type" in text
    assert "800-799" in text and "0808" not in text

    listed = result._replace(
        findings=tuple(
            f._replace(source={"id": "echap", "name": "Echap"}, app_id="echap:x")
            for f in result.findings
        )
    )
    listed_text = render_result(listed, region_for("US"))
    assert "Matched: web address 'value-0'" in listed_text and " domains " not in listed_text


def test_a_kind_one_check_used_still_says_where_another_could_not_look(tmp_path: Path):
    def hosts(context: ScanContext) -> CheckOutcome:
        used = Coverage("domains", True, "compared with the hosts file (/etc/hosts)")
        return CheckOutcome(findings=(), examined={}, not_examined=(), coverage=(used,))

    def history(context: ScanContext) -> CheckOutcome:
        why = "not compared with browser history: no browser history was found or readable"
        return CheckOutcome((), {}, (), coverage=(Coverage("domains", False, why),))

    result = run_scan(NO_INDICATORS, platform="linux", home=tmp_path, checks=[history, hosts])

    (domains,) = [item for item in result.coverage if item.kind == "domains"]
    assert domains.used
    assert domains.how == (
        "compared with the hosts file (/etc/hosts); not compared with browser history: no "
        "browser history was found or readable"
    )


def test_a_platform_check_runs_and_is_imported_only_on_its_platform():
    from devicecheck.core.scan.macos_privacy import check_macos_privacy

    assert check_macos_privacy in checks_for("darwin")
    assert check_macos_privacy not in checks_for("linux")
    assert check_macos_privacy not in EXTRA_CHECKS
    assert checks_for("linux") == EXTRA_CHECKS
    probe = (
        "import sys; import devicecheck.core.scan.engine; "
        "print('devicecheck.core.scan.macos_privacy' in sys.modules)"
    )
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert shown.stdout.strip() == "False", shown.stderr
