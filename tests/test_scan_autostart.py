"""Start-up entries: each parser on real-format samples, the collectors on a temporary root."""

from __future__ import annotations

import plistlib
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core.indicators.model import AppIndicator, IndicatorSet
from devicecheck.core.scan import AutostartEntry, AutostartRoots, run_scan
from devicecheck.core.scan.autostart import (
    check_autostart,
    collect_autostart,
    collect_linux,
    collect_macos,
    parse_crontab,
    parse_desktop_entry,
    parse_launchd_plist,
    parse_startup_folder,
    parse_systemd_unit,
    parse_windows_run_values,
    parse_windows_services,
    programs_in,
)
from devicecheck.core.scan.matching import Matcher
from devicecheck.errors import InvalidDataError
from tests.indicator_sets import TEST_SOURCE as SOURCE

SPY = AppIndicator(
    "test:spyrix",
    "Spyrix",
    "keylogger",
    "test",
    process_names=("spyrix_monitor.exe",),
    exe_paths=("C:\\Program Files (x86)\\Spyrix\\*", "/opt/spyrix/*"),
    autostart_names=("com.spyrix.agent", "spyrix"),
)
INDICATORS = IndicatorSet((SOURCE,), (SPY,))

DESKTOP = """\
# written by the installer
[Desktop Entry]
Type=Application
Name=Spyrix
Name[de]=Spyrix Überwachung
Exec=/opt/spyrix/spyrix_monitor --hidden %U
X-GNOME-Autostart-enabled=true

[Desktop Action Quit]
Exec=/opt/spyrix/quit
"""

UNIT = """\
[Unit]
Description=Spyrix monitoring service
After=network.target

[Service]
Type=simple
ExecStart=-/opt/spyrix/spyrix_monitor \\
    --daemon --quiet
Restart=always

[Install]
WantedBy=default.target
"""

SYSTEM_CRONTAB = """\
SHELL=/bin/sh
PATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin
# m h dom mon dow user  command
17 *    * * *   root    cd / && run-parts --report /etc/cron.hourly
@reboot         root    /opt/spyrix/spyrix_monitor --boot
*/5 * * * * root
"""

USER_CRONTAB = """\
MAILTO=""
0 9 * * 1-5 /usr/bin/backup-photos --quiet % first line of stdin
@hourly test -x /opt/spyrix/spyrix_monitor && /opt/spyrix/spyrix_monitor
"""


def launchd_job(**fields) -> bytes:
    return plistlib.dumps({"RunAtLoad": True, "KeepAlive": True, **fields})


def test_desktop_entry():
    [entry] = parse_desktop_entry(DESKTOP, "/home/a/.config/autostart/spyrix.desktop")

    assert entry == AutostartEntry(
        "Spyrix",
        "/opt/spyrix/spyrix_monitor --hidden",
        "/home/a/.config/autostart/spyrix.desktop",
        ("spyrix",),
    )
    assert parse_desktop_entry("[Other]\nExec=x\n", "x.desktop") == []


def test_systemd_unit_with_a_continued_exec_start():
    [entry] = parse_systemd_unit(UNIT, "/etc/systemd/system/spyrixd.service")

    assert entry.name == "spyrixd"
    assert entry.command == "/opt/spyrix/spyrix_monitor --daemon --quiet"
    assert entry.other_names == ("Spyrix monitoring service",)


def test_system_crontab_skips_the_user_field_and_settings():
    entries = parse_crontab(SYSTEM_CRONTAB, "/etc/crontab", system=True)

    assert [(e.name, e.command, e.location) for e in entries] == [
        ("cd", "cd / && run-parts --report /etc/cron.hourly", "/etc/crontab:4"),
        ("spyrix_monitor", "/opt/spyrix/spyrix_monitor --boot", "/etc/crontab:5"),
    ]


def test_user_crontab_and_the_programs_a_job_runs():
    entries = parse_crontab(USER_CRONTAB, "/var/spool/cron/crontabs/alex")

    assert [e.command for e in entries] == [
        "/usr/bin/backup-photos --quiet",
        "test -x /opt/spyrix/spyrix_monitor && /opt/spyrix/spyrix_monitor",
    ]
    assert programs_in(entries[1].command) == ["test", "/opt/spyrix/spyrix_monitor"]


def test_launchd_plists_xml_and_binary():
    arguments = launchd_job(
        Label="com.spyrix.agent",
        ProgramArguments=["/Library/Application Support/Spyrix/agent", "--stealth"],
    )
    program = plistlib.dumps(
        {"Label": "com.example.helper", "Program": "/usr/local/bin/helper"},
        fmt=plistlib.FMT_BINARY,
    )

    [first] = parse_launchd_plist(arguments, "/Library/LaunchAgents/com.spyrix.agent.plist")
    [second] = parse_launchd_plist(program, "/Library/LaunchDaemons/helper.plist")

    assert first.name == "com.spyrix.agent"
    assert first.command == '"/Library/Application Support/Spyrix/agent" --stealth'
    assert (second.name, second.command) == ("com.example.helper", "/usr/local/bin/helper")


def test_a_broken_plist_is_a_clear_error():
    for data in (b"<plist><dict><key>Label", b"bplist00\xff", plistlib.dumps(["a list"])):
        try:
            parse_launchd_plist(data, "x.plist")
        except InvalidDataError as error:
            assert error.message.startswith("x.plist: ")
        else:
            raise AssertionError(f"accepted {data!r}")


def test_windows_run_values_services_and_startup_folder():
    run_key = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
    values = [
        ("Spyrix", '"C:\\Program Files (x86)\\Spyrix\\spyrix_monitor.exe" /autorun', 1),
        ("OneDrive", "C:\\Users\\a\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe", 2),
        ("Binary", b"\x00\x01", 3),
        ("Empty", "", 1),
    ]
    services = [
        {
            "name": "SpyrixSvc",
            "display_name": "Spyrix",
            "binpath": "C:\\Program Files (x86)\\Spyrix\\spyrix_svc.exe",
            "start_type": "automatic",
        },
        {"name": None},
    ]

    run_entries = parse_windows_run_values(values, run_key)
    service_entries = parse_windows_services(services)
    folder = parse_startup_folder(["desktop.ini", "Spyrix.lnk", "start.bat"], "C:\\Startup")

    assert [e.name for e in run_entries] == ["Spyrix", "OneDrive"]
    assert run_entries[0].location == run_key + "\\Spyrix"
    assert service_entries == [
        AutostartEntry(
            "SpyrixSvc",
            "C:\\Program Files (x86)\\Spyrix\\spyrix_svc.exe",
            "Windows services\\SpyrixSvc",
            ("Spyrix",),
        )
    ]
    assert [(e.name, e.command) for e in folder] == [
        ("Spyrix", ""),
        ("start", "C:\\Startup\\start.bat"),
    ]
    findings = check_autostart(Matcher(INDICATORS), [*run_entries, *service_entries, *folder])
    assert [(f.detail["name"], f.confidence) for f in findings] == [
        ("Spyrix", "high"),
        ("SpyrixSvc", "high"),
        ("Spyrix", "medium"),
    ]
    assert all(f.kind == "autostart" and f.process is None for f in findings)


def make_linux_root(tmp_path: Path) -> AutostartRoots:
    home, system = tmp_path / "home", tmp_path / "root"
    files = {
        home / ".config/autostart/spyrix.desktop": DESKTOP,
        home / ".config/autostart/editor.desktop": "[Desktop Entry]\nName=Editor\nExec=gedit\n",
        system / "etc/systemd/system/spyrixd.service": UNIT,
        system / "usr/lib/systemd/system/ssh.service": "[Service]\nExecStart=/usr/sbin/sshd -D\n",
        system / "etc/crontab": SYSTEM_CRONTAB,
        system / "etc/cron.d/backup": "30 2 * * * root /usr/bin/backup\n",
        system / "var/spool/cron/crontabs/alex": USER_CRONTAB,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return AutostartRoots(home, system)


def test_linux_collector_and_scan_on_a_temporary_root(tmp_path):
    roots = make_linux_root(tmp_path)

    collected = collect_linux(roots)
    result = run_scan(INDICATORS, autostart_roots=roots, platform="linux")

    assert len(collected.entries) == 9
    assert collected.not_examined() == []
    autostart = [f for f in result.findings if f.kind == "autostart"]
    locations = sorted(f.detail["location"] for f in autostart)
    assert locations == sorted(
        [
            str(roots.home / ".config/autostart/spyrix.desktop"),
            str(roots.system / "etc/systemd/system/spyrixd.service"),
            f"{roots.system / 'etc/crontab'}:5",
            f"{roots.system / 'var/spool/cron/crontabs/alex'}:3",
        ]
    )
    desktop = next(f for f in autostart if f.detail["location"].endswith(".desktop"))
    assert desktop.confidence == "high"
    assert desktop.matched.field == "exe_paths"
    assert {m["field"] for m in desktop.detail["also_matched"]} == {
        "autostart_names",
        "process_names",
    }
    assert result.examined["autostart_entries"] == 9


def test_macos_collector_reports_unreadable_plists(tmp_path):
    roots = AutostartRoots(tmp_path / "home", tmp_path / "root")
    agents = roots.home / "Library/LaunchAgents"
    agents.mkdir(parents=True)
    (agents / "com.spyrix.agent.plist").write_bytes(
        launchd_job(Label="com.spyrix.agent", Program="/Applications/Spyrix.app/agent")
    )
    (agents / "broken.plist").write_bytes(b"<?xml version='1.0'?><plist><dict>")
    daemons = roots.system / "Library/LaunchDaemons"
    daemons.mkdir(parents=True)
    (daemons / "org.example.backup.plist").write_bytes(
        launchd_job(Label="org.example.backup", ProgramArguments=["/usr/bin/true"])
    )

    collected = collect_autostart("darwin", roots)
    findings = check_autostart(Matcher(INDICATORS), collected.entries)

    assert [e.name for e in collected.entries] == ["com.spyrix.agent", "org.example.backup"]
    [problem] = collected.not_examined()
    assert problem.what == str(agents / "broken.plist")
    assert problem.reason.startswith("not understood")
    [finding] = findings
    assert (finding.matched.field, finding.confidence) == ("autostart_names", "medium")
    assert collect_macos(roots).entries == collected.entries


def test_an_unknown_operating_system_is_listed_as_not_examined(tmp_path):
    collected = collect_autostart("plan9", AutostartRoots(tmp_path, tmp_path))

    assert collected.entries == []
    assert "not supported" in collected.not_examined()[0].reason


_OUR_ERRORS = (InvalidDataError,)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_text_parsers_accept_any_text(text):
    for entries in (
        parse_desktop_entry(text, "f.desktop"),
        parse_systemd_unit(text, "f.service"),
        parse_crontab(text, "crontab"),
        parse_crontab(text, "/etc/crontab", system=True),
    ):
        assert all(isinstance(entry, AutostartEntry) for entry in entries)
        check_autostart(Matcher(INDICATORS), entries)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=300),
        st.builds(lambda b: b"bplist00" + b, st.binary(max_size=200)),
        st.builds(
            lambda b: b"<?xml version='1.0'?><plist version='1.0'>" + b, st.binary(max_size=200)
        ),
    )
)
def test_plist_parser_raises_only_our_error(data):
    try:
        entries = parse_launchd_plist(data, "job.plist")
    except _OUR_ERRORS:
        return
    assert all(isinstance(entry, AutostartEntry) for entry in entries)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(st.text(), st.one_of(st.text(), st.binary(), st.integers()), st.integers()),
            st.none(),
        ),
        max_size=6,
    ),
    st.lists(st.dictionaries(st.sampled_from(["name", "display_name", "binpath"]), st.text())),
)
def test_windows_parsers_accept_any_values(values, services):
    entries = parse_windows_run_values(values, "HKCU\\Run") + parse_windows_services(services)
    check_autostart(Matcher(INDICATORS), entries)
