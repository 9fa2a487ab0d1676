"""The process check against real processes: copies of /bin/sleep under an indicator's name."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from devicecheck.core.indicators.model import AppIndicator
from devicecheck.core.scan import AutostartRoots, Finding, run_scan
from devicecheck.core.scan.findings import confidence_for, is_common_name
from devicecheck.core.scan.matching import Matcher, executable_of
from devicecheck.core.scan.processes import check_processes, observe_processes, sha256_of_file
from tests.indicator_sets import indicator_set

SLEEP = shutil.which("sleep") or "/bin/sleep"


def app(name: str, category: str = "stalkerware", **fields) -> AppIndicator:
    return AppIndicator(
        id=f"test:{name.lower()}", name=name, category=category, source="test", **fields
    )


class Programs:
    """Real processes started from copies of `sleep`; all killed at teardown."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.running: list[subprocess.Popen] = []

    def start(
        self, name: str, *arguments: str, via: str | None = None
    ) -> tuple[subprocess.Popen, Path]:
        program = self.folder / name
        if not program.exists():
            shutil.copy2(SLEEP, program)
        launched = program
        if via is not None:  # start through a link with another name: process name != exe
            launched = self.folder / via
            launched.symlink_to(program)
        process = subprocess.Popen([str(launched), *(arguments or ("60",))])
        self.running.append(process)
        return process, program

    def stop(self) -> None:
        for process in self.running:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def programs(tmp_path: Path) -> Iterator[Programs]:
    folder = tmp_path / "programs"
    folder.mkdir()
    started = Programs(folder)
    yield started
    started.stop()


@pytest.fixture
def empty_roots(tmp_path: Path) -> AutostartRoots:
    (tmp_path / "home").mkdir()
    (tmp_path / "root").mkdir()
    return AutostartRoots(tmp_path / "home", tmp_path / "root")


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def findings_for(result, pid: int) -> list[Finding]:
    return [f for f in result.findings if f.process is not None and f.process.pid == pid]


def test_a_process_under_an_indicator_name_is_found_with_pid_and_hash(programs, empty_roots):
    process, program = programs.start("KidLoggerSvc")
    indicators = indicator_set(app("KidLogger", process_names=("kidloggersvc.exe",)))

    result = run_scan(indicators, autostart_roots=empty_roots)

    [finding] = findings_for(result, process.pid)
    assert finding.kind == "process"
    assert finding.app == "KidLogger"
    assert (finding.category, finding.severity, finding.confidence) == (
        "stalkerware",
        "high",
        "medium",
    )
    assert finding.matched.field == "process_names"
    assert finding.matched.indicator == "kidloggersvc.exe"
    assert finding.process.exe == str(program)
    assert finding.process.exe_sha256 == sha256(program)
    assert finding.process.cmdline == (str(program), "60")
    assert finding.process.started_at.endswith("+00:00")
    assert finding.source == {"id": "test", "name": "Test indicators"}
    advice = finding.advice.lower()
    assert "do not uninstall it straight away" in advice
    assert "devicecheck scan --save" in advice and "screenshots" in advice
    assert "0808 802 0300" in advice and "national domestic abuse helpline" in advice
    assert "safer device" in advice
    assert result.to_dict()["findings"][0]["process"]["pid"] == process.pid


def test_an_executable_path_match_alone_is_medium_and_with_the_name_high(programs, empty_roots):
    process, program = programs.start("innocent-looking")
    pattern = str(programs.folder / "*")
    path_only = indicator_set(app("Spyrix", exe_paths=(pattern,)))
    both = indicator_set(app("Spyrix", exe_paths=(pattern,), process_names=("innocent-looking",)))

    [by_path] = findings_for(run_scan(path_only, autostart_roots=empty_roots), process.pid)
    [by_both] = findings_for(run_scan(both, autostart_roots=empty_roots), process.pid)

    assert by_path.matched.field == "exe_paths"
    assert by_path.matched.value == str(program)
    assert by_path.confidence == "medium"
    assert by_path.process.exe_sha256 == sha256(program)
    assert by_both.confidence == "high"
    assert by_both.matched.field == "exe_paths"
    assert by_both.detail["also_matched"][0]["field"] == "process_names"


def test_a_renamed_process_is_still_matched_on_its_executable_name(programs):
    # Started through a link called "notepad": the process name differs from the executable.
    process, program = programs.start("refog-agent", via="notepad")
    matcher = Matcher(indicator_set(app("Refog", process_names=("refog-agent",))))

    processes, _ = observe_processes()
    findings = check_processes(matcher, [p for p in processes if p.pid == process.pid])

    [finding] = findings
    assert finding.process.name == "notepad"
    assert finding.matched.value == "refog-agent"
    assert finding.process.exe == str(program)


def test_a_common_name_alone_is_low_confidence(programs):
    process, _ = programs.start("agent")
    matcher = Matcher(indicator_set(app("Some Monitor", process_names=("agent.exe",))))

    processes, _ = observe_processes()
    [finding] = check_processes(matcher, [p for p in processes if p.pid == process.pid])

    assert finding.confidence == "low"
    assert "weak" in finding.advice


def test_a_command_line_pattern_matches(programs):
    process, _ = programs.start("plain-sleeper", "61")
    matcher = Matcher(indicator_set(app("Covert", cmdline_patterns=("*plain-sleeper 61",))))

    processes, _ = observe_processes()
    [finding] = check_processes(matcher, [p for p in processes if p.pid == process.pid])

    assert finding.matched.field == "cmdline_patterns"
    assert finding.confidence == "medium"


def test_dual_use_software_is_a_question_not_an_accusation(programs, empty_roots):
    process, _ = programs.start("anydesk")
    indicators = indicator_set(app("AnyDesk", "remote-access", process_names=("AnyDesk.exe",)))

    [finding] = findings_for(run_scan(indicators, autostart_roots=empty_roots), process.pid)

    assert finding.severity == "medium"
    assert finding.advice.startswith("Check: did you, or someone you trust, install this?")
    assert "spyware" not in finding.advice.lower()


def test_patterns_that_match_everything_are_not_evidence(programs):
    programs.start("harmless")
    matcher = Matcher(
        indicator_set(app("Broad", exe_paths=("*", "/usr/*", "C:\\Program Files\\*")))
    )

    processes, _ = observe_processes()
    assert check_processes(matcher, processes) == []
    assert matcher.path(SLEEP) == []


def test_the_hash_is_recomputed_when_the_file_changes(tmp_path):
    target = tmp_path / "program"
    target.write_bytes(b"first")
    first = sha256_of_file(str(target))
    target.write_bytes(b"second version")
    os.utime(target, ns=(1, 1))

    assert first == hashlib.sha256(b"first").hexdigest()
    assert sha256_of_file(str(target)) == hashlib.sha256(b"second version").hexdigest()
    assert sha256_of_file(str(tmp_path / "missing")) is None


def test_every_process_is_examined():
    processes, _ = observe_processes()
    pids = {process.pid for process in processes}
    assert os.getpid() in pids
    assert all(process.started_at is None or "T" in process.started_at for process in processes)


@pytest.mark.parametrize(
    ("fields", "name", "expected"),
    [
        ({"exe_paths", "process_names"}, "spyrix", "high"),
        ({"exe_paths"}, "", "medium"),
        ({"process_names"}, "kidlogger.exe", "medium"),
        ({"process_names"}, "monitor.exe", "low"),
        ({"process_names"}, "abc", "low"),
        ({"autostart_names", "process_names"}, "kidlogger", "high"),
        ({"autostart_names"}, "update", "low"),
        ({"cmdline_patterns", "process_names"}, "x", "high"),
    ],
)
def test_confidence_rules(fields, name, expected):
    assert confidence_for(fields, name) == expected


def test_common_names():
    assert is_common_name("Helper.exe")
    assert is_common_name("svc")
    assert not is_common_name("sysdiag.exe")


@pytest.mark.parametrize(
    ("command", "program"),
    [
        (
            '"C:\\Program Files\\AnyDesk\\AnyDesk.exe" --service',
            "C:\\Program Files\\AnyDesk\\AnyDesk.exe",
        ),
        ("C:\\Program Files\\Spy Thing\\spy.exe /silent", "C:\\Program Files\\Spy Thing\\spy.exe"),
        ("/usr/bin/thing --flag", "/usr/bin/thing"),
        ("", ""),
    ],
)
def test_the_program_of_a_command_line(command, program):
    assert executable_of(command) == program
