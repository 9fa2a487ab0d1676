"""`devicecheck scan` as a real process: JSON shape, exit codes, output, saving as evidence."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.cli.scan_cmd import render_result
from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.helplines import region_for
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo
from devicecheck.core.scan import AutostartRoots, run_scan, save_scan
from devicecheck.core.sessions import SessionStore
from tests.conftest import assert_one_line_error, run_cli

SLEEP = shutil.which("sleep") or "/bin/sleep"
HIGH_SEVERITY = {"stalkerware", "spyware", "keylogger"}
FINDING_KEYS = {
    "kind",
    "app",
    "category",
    "severity",
    "confidence",
    "matched",
    "process",
    "advice",
    "source",
}
PROCESS_KEYS = {"pid", "name", "exe", "cmdline", "username", "started_at", "exe_sha256"}


@pytest.fixture
def spyagent(tmp_path: Path) -> Iterator[tuple[subprocess.Popen, Path]]:
    """A real process named like SpyAgent's main program (`sysdiag.exe` in the curated list),
    with its whole Windows name, as it runs under Wine (SpyAgent runs only on Windows)."""
    folder = tmp_path / "sysconfig"
    folder.mkdir()
    program = folder / "sysdiag.exe"
    shutil.copy2(SLEEP, program)
    process = subprocess.Popen([str(program), "60"])
    yield process, program
    process.kill()
    process.wait(timeout=10)


def scan_json(data_dir: Path, *args: str) -> tuple[subprocess.CompletedProcess, dict]:
    result = run_cli("scan", "--json", *args, data_dir=data_dir)
    assert "Traceback" not in result.stderr
    return result, json.loads(result.stdout)


def test_clean_machine_has_no_stalkerware_spyware_or_keylogger(data_dir):
    result, document = scan_json(data_dir)

    assert set(document) >= {"findings", "examined", "not_examined", "indicators", "limits"}
    assert not [f for f in document["findings"] if f["category"] in HIGH_SEVERITY]
    assert result.returncode == (1 if document["findings"] else 0)
    assert document["examined"]["processes"] > 1
    assert document["examined"]["indicator_apps"] > 100
    source_ids = {source["id"] for source in document["indicators"]}
    assert {"curated", "echap", "lolrmm"} <= source_ids
    assert any("Phones and tablets" in limit for limit in document["limits"])
    assert all(set(item) == {"what", "reason", "count"} for item in document["not_examined"])


def test_a_bundled_indicator_is_found_with_the_full_finding_shape(data_dir, spyagent):
    process, program = spyagent

    result, document = scan_json(data_dir)

    assert result.returncode == 1
    mine = [f for f in document["findings"] if (f["process"] or {}).get("pid") == process.pid]
    # LOLRMM lists the same file name for Spytech's SpyAnywhere (remote access): one finding
    # for the one program, headed by the keylogger, with SpyAnywhere listed inside it.
    [finding] = mine
    assert finding["source"]["id"] == "curated"
    assert [other["source"]["id"] for other in finding["detail"]["other_products"]] == ["lolrmm"]
    assert set(finding) >= FINDING_KEYS
    assert set(finding["process"]) >= PROCESS_KEYS
    assert finding["kind"] == "process"
    assert finding["category"] == "keylogger"
    assert finding["severity"] == "high"
    assert finding["matched"]["field"] == "process_names"
    assert finding["matched"]["indicator"] == "sysdiag.exe"
    assert finding["process"]["exe"] == str(program)
    assert finding["process"]["exe_sha256"] == hashlib.sha256(program.read_bytes()).hexdigest()


def test_human_output_leads_with_the_emergency_line_when_something_is_found(data_dir, spyagent):
    result = run_cli("scan", data_dir=data_dir)

    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "If you are in danger now, call 999."
    assert "SpyAgent" in result.stdout
    assert "Do not uninstall it straight away" in result.stdout
    assert "What a scan of this computer cannot rule out:" in result.stdout


def test_human_output_of_a_clean_scan_never_says_safe(tmp_path):
    indicators = IndicatorSet(
        (SourceInfo("test", "Test", "CC0", "", "", "1"),),
        (AppIndicator("test:none", "Nothing", "spyware", "test", process_names=("zzzz-none",)),),
    )
    result = run_scan(indicators, autostart_roots=AutostartRoots(tmp_path, tmp_path))

    text = render_result(result, region_for("GB"))

    assert result.findings == ()
    assert "No known monitoring software was found on this computer." in text
    assert "If you are in danger now" not in text
    assert "safe" not in text.lower()
    assert text.index("cannot rule out") < text.index("Physical trackers")


@pytest.mark.parametrize(
    "content",
    [
        None,  # missing file
        "indicators: [unclosed",
        '{"type": "bundle", "objects": [{"type": "indicator", "pattern": "[broken"}]}',
    ],
)
def test_a_bad_indicators_file_is_one_line_and_exit_2(data_dir, tmp_path, content):
    path = tmp_path / "bad.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")

    result = run_cli("scan", "--json", "--indicators", str(path), data_dir=data_dir)

    assert_one_line_error(result, 2)
    assert len(result.stderr.strip().splitlines()) == 1
    assert str(path) in result.stderr
    assert result.stdout == ""


def test_save_with_a_session_records_the_scan_and_each_finding(data_dir, spyagent):
    process, _ = spyagent
    store = SessionStore(DataDir(data_dir))
    session = store.create()

    result = run_cli("scan", "--json", "--session", session.id, data_dir=data_dir)

    assert result.returncode == 1, result.stderr
    document = json.loads(result.stdout)
    log = EvidenceLog(DataDir(data_dir))
    [scan_entry] = log.entries(kind="scan")
    findings = log.entries(kind="finding")
    assert scan_entry.id == document["evidence_entry"]
    assert scan_entry.session == session.id
    assert scan_entry.data["finding_count"] == len(document["findings"]) == len(findings)
    assert "findings" not in scan_entry.data
    assert all(entry.data["scan_entry"] == scan_entry.id for entry in findings)
    assert any(entry.data["process"]["pid"] == process.pid for entry in findings)
    assert log.verify().ok
    saved = store.load(session.id)
    assert len(saved.findings) == len(findings)
    assert [scan["evidence_entry"] for scan in saved.scans] == [scan_entry.id]
    assert "Saved to the evidence log" in result.stderr


def test_save_scan_without_a_session(data_dir, tmp_path):
    indicators = IndicatorSet(
        (SourceInfo("test", "Test", "CC0", "", "", "1"),),
        (AppIndicator("test:none", "Nothing", "spyware", "test", process_names=("zzzz-none",)),),
    )
    roots = AutostartRoots(tmp_path, tmp_path)
    result = run_scan(indicators, autostart_roots=roots)
    log = EvidenceLog(DataDir(data_dir))

    entry = save_scan(result, log)

    assert entry.kind == "scan" and entry.session is None
    assert entry.data["finding_count"] == 0
    assert entry.data["limits"] == list(result.limits)
    assert [e.kind for e in log.entries()] == ["scan"]


def test_an_unknown_session_fails_before_scanning(data_dir):
    result = run_cli("scan", "--session", "20260101-abcdef", data_dir=data_dir)

    assert_one_line_error(result, 2)
    assert not (data_dir / "evidence").exists()
