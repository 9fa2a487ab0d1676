"""Persistence breadth: every systemd unit folder and timers, cron.* folders, anacron, KDE
autostart scripts and plasma env, shell start-up files; wrappers looked through."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.indicators import load_indicators
from devicecheck.core.indicators.model import AppIndicator, IndicatorSet
from devicecheck.core.scan.autostart import (
    AutostartRoots,
    check_autostart,
    collect_autostart,
    collect_linux,
    parse_anacrontab,
    parse_script,
    parse_shell_startup,
    parse_systemd_timer,
    programs_in,
)
from devicecheck.core.scan.matching import Matcher
from tests.indicator_sets import TEST_SOURCE as SOURCE

SPY = AppIndicator(
    "test:spyrix",
    "Spyrix",
    "keylogger",
    "test",
    process_names=("spyrix_monitor.exe", "spyrix_monitor"),
    exe_paths=("C:\\Program Files (x86)\\Spyrix\\*", "/opt/spyrix/*"),
)
INDICATORS = IndicatorSet((SOURCE,), (SPY,))

SERVICE = """\
[Unit]
Description=Sync helper

[Service]
ExecStart=/bin/sh -c 'exec nohup /opt/spyrix/spyrix_monitor --quiet >/dev/null 2>&1'
"""
TIMER = """\
[Unit]
Description=Run the sync helper hourly

[Timer]
OnCalendar=hourly
Unit=sync-helper.service

[Install]
WantedBy=timers.target
"""
BASHRC = """\
# ~/.bashrc
alias ll='ls -la'
export PATH="$HOME/bin:$PATH"
[ -x /usr/bin/lesspipe ] && eval "$(SHELL=/bin/sh lesspipe)"
(nohup /opt/spyrix/spyrix_monitor >/dev/null 2>&1 &)
export LD_PRELOAD=/home/alex/.cache/libhook.so
sleep 1 && true
"""
ANACRONTAB = """\
SHELL=/bin/sh
# period delay job-identifier command
1  5  cron.daily  run-parts --report /etc/cron.daily
@monthly 15 spy-report env DISPLAY=:0 python3 /opt/spyrix/report.py
"""
CRON_SCRIPT = """\
#!/bin/sh
# keep the helper running
test -x /opt/spyrix/spyrix_monitor || exit 0
/opt/spyrix/spyrix_monitor --check
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def make_root(tmp_path: Path) -> AutostartRoots:
    home, system = tmp_path / "home", tmp_path / "root"
    _write(home / ".local/share/systemd/user/sync-helper.service", SERVICE)
    _write(home / ".local/share/systemd/user/sync-helper.timer", TIMER)
    _write(
        system / "usr/local/lib/systemd/system/other.service",
        "[Service]\nExecStart=/usr/bin/true\n",
    )
    _write(
        system / "etc/systemd/user/wine-agent.service",
        '[Service]\nExecStart=/usr/bin/wine "C:\\\\Program Files (x86)\\\\Spyrix\\\\spyrix_monitor.exe"\n',
    )
    _write(system / "etc/cron.hourly/keep-alive", CRON_SCRIPT)
    _write(system / "etc/anacrontab", ANACRONTAB)
    _write(
        home / ".config/autostart-scripts/start.sh",
        "#!/bin/sh\nenv X=1 /opt/spyrix/spyrix_monitor &\n",
    )
    _write(home / ".config/plasma-workspace/env/path.sh", "export PATH=$PATH:/opt/bin\n")
    _write(home / ".bashrc", BASHRC)
    _write(system / "etc/profile.d/vte.sh", "alias x=y\n")
    return AutostartRoots(home, system)


def test_every_new_place_is_read(tmp_path):
    roots = make_root(tmp_path)
    collected = collect_linux(roots)
    assert collected.not_examined() == []
    places = {
        entry.location.split(":")[0].replace(str(tmp_path), "") for entry in collected.entries
    }
    assert places == {
        "/home/.local/share/systemd/user/sync-helper.service",
        "/home/.local/share/systemd/user/sync-helper.timer",
        "/root/usr/local/lib/systemd/system/other.service",
        "/root/etc/systemd/user/wine-agent.service",
        "/root/etc/cron.hourly/keep-alive",
        "/root/etc/anacrontab",
        "/home/.config/autostart-scripts/start.sh",
        "/home/.config/plasma-workspace/env/path.sh",
        "/home/.bashrc",
    }
    timer = next(e for e in collected.entries if e.location.endswith(".timer"))
    assert timer.command.startswith("/bin/sh -c")  # the service the timer starts
    bashrc = [e for e in collected.entries if e.location.startswith(str(roots.home / ".bashrc"))]
    assert [(e.name, e.command) for e in bashrc] == [
        ("spyrix_monitor", "nohup /opt/spyrix/spyrix_monitor >/dev/null 2>&1"),
        ("LD_PRELOAD", "/home/alex/.cache/libhook.so"),
    ]


def test_the_real_program_behind_each_wrapper_is_matched(tmp_path):
    roots = make_root(tmp_path)
    findings = check_autostart(Matcher(INDICATORS), collect_linux(roots).entries)
    found = {f.detail["location"].replace(str(tmp_path), "") for f in findings}
    assert {
        "/home/.local/share/systemd/user/sync-helper.service",
        "/home/.local/share/systemd/user/sync-helper.timer",
        "/root/etc/systemd/user/wine-agent.service",
        "/root/etc/cron.hourly/keep-alive:4",
        "/root/etc/anacrontab:4",
        "/home/.config/autostart-scripts/start.sh:2",
        "/home/.bashrc:5",
    } <= found
    assert not any("other.service" in place or "path.sh" in place for place in found)


def test_wrappers_are_looked_through():
    assert programs_in("sh -c 'nohup /opt/a/agent --x >/dev/null 2>&1 &'") == [
        "nohup",
        "/opt/a/agent",
    ]
    assert programs_in('bash -lc "cd /tmp && ./run.sh"') == ["cd", "./run.sh"]
    assert programs_in("env -u HOME DISPLAY=:0 /opt/a/agent") == ["env", "/opt/a/agent"]
    assert programs_in("nohup nice -n 10 setsid /opt/a/agent") == ["nohup", "/opt/a/agent"]
    assert programs_in('wine "C:\\Program Files\\Spy\\spy.exe" /silent') == [
        "wine",
        "C:\\Program Files\\Spy\\spy.exe",
    ]
    assert programs_in("python3 -u /opt/a/agent.py --x") == ["python3", "/opt/a/agent.py"]
    assert programs_in("/usr/bin/env python3 /home/a/.x/k.py") == [
        "/usr/bin/env",
        "/home/a/.x/k.py",
    ]
    assert programs_in("java -Xmx1g -jar /opt/a/mon.jar") == ["java", "/opt/a/mon.jar"]
    assert programs_in("python3 -c 'import os'") == ["python3"]
    assert programs_in("/usr/bin/foo --opt=value") == ["/usr/bin/foo"]


def test_timers_without_a_unit_line_start_the_service_of_their_name():
    (entry,) = parse_systemd_timer("[Timer]\nOnBootSec=5min\n", "/x/backup.timer")
    assert entry.name == "backup"
    assert entry.other_names == ("backup",)
    assert parse_systemd_timer("no sections", "/x/a.timer") == []


def test_anacrontab_jobs():
    entries = parse_anacrontab(ANACRONTAB, "/etc/anacrontab")
    assert [(e.name, e.command) for e in entries] == [
        ("cron.daily", "run-parts --report /etc/cron.daily"),
        ("spy-report", "env DISPLAY=:0 python3 /opt/spyrix/report.py"),
    ]


def test_only_background_and_preload_lines_of_shell_files():
    entries = parse_shell_startup(BASHRC, "/home/a/.bashrc")
    assert [e.location for e in entries] == ["/home/a/.bashrc:5", "/home/a/.bashrc:6"]
    assert parse_shell_startup("a && b\nc || d &> /dev/null\n", "f") == []


text_or_lines = st.text(max_size=300) | st.lists(
    st.sampled_from(
        [
            "[Timer]",
            "[Unit]",
            "Unit=x.service",
            "nohup a &",
            "sh -c '",
            "LD_PRELOAD=",
            "1 5 id cmd",
            "\\",
            "#",
            "env -u",
            "wine",
            "python3 -m",
            '"C:\\x.exe"',
        ]
    ),
    max_size=12,
).map("\n".join)


@given(text_or_lines)
def test_new_parsers_accept_any_text(text):
    for parse in (parse_systemd_timer, parse_anacrontab, parse_script, parse_shell_startup):
        for entry in parse(text, "/x/file.timer"):
            assert isinstance(entry.command, str)
    for line in text.splitlines() or [text]:
        assert all(isinstance(program, str) for program in programs_in(line))


def test_this_machine_has_no_start_up_entry_matching_an_indicator(tmp_path):
    """A plain Debian container: anything reported here would be a false positive."""
    collected = collect_autostart("linux")
    indicators = load_indicators(None)
    assert check_autostart(Matcher(indicators), collected.entries) == []
    assert len(collected.entries) > 50
