"""Windows scheduled tasks: task files in the Task Scheduler schema
(learn.microsoft.com/windows/win32/taskschd/task-scheduler-schema), UTF-16 with a byte-order
mark as `schtasks /query /xml` writes them; the collector on a folder tree here."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from devicecheck.core.indicators.model import AppIndicator, IndicatorSet
from devicecheck.core.scan.autostart import Collected, check_autostart, collect_tasks
from devicecheck.core.scan.matching import Matcher
from devicecheck.core.scan.windows_tasks import parse_task_xml
from devicecheck.errors import InvalidDataError
from tests.indicator_sets import TEST_SOURCE as SOURCE

TASK = """<?xml version="1.0" encoding="UTF-16"?>
<Task version="1.2" xmlns="http://schemas.microsoft.com/windows/2004/02/mit/task">
  <RegistrationInfo>
    <Date>2026-11-03T09:12:44</Date>
    <Author>DESKTOP-4F2\\alex</Author>
    <URI>\\Microsoft\\Windows\\SyncHelper\\Update</URI>
  </RegistrationInfo>
  <Triggers>
    <LogonTrigger>
      <Enabled>true</Enabled>
    </LogonTrigger>
  </Triggers>
  <Principals>
    <Principal id="Author">
      <UserId>S-1-5-18</UserId>
      <RunLevel>HighestAvailable</RunLevel>
    </Principal>
  </Principals>
  <Settings>
    <MultipleInstancesPolicy>IgnoreNew</MultipleInstancesPolicy>
    <DisallowStartIfOnBatteries>false</DisallowStartIfOnBatteries>
    <Hidden>true</Hidden>
    <ExecutionTimeLimit>PT0S</ExecutionTimeLimit>
  </Settings>
  <Actions Context="Author">
    <Exec>
      <Command>C:\\Program Files (x86)\\Spyrix\\spyrix_monitor.exe</Command>
      <Arguments>/silent /startup</Arguments>
    </Exec>
    <ComHandler>
      <ClassId>{A6BA00FE-40E8-477C-B713-C64A14F18ADB}</ClassId>
    </ComHandler>
    <Exec>
      <Command>"C:\\Windows\\System32\\cmd.exe"</Command>
      <Arguments>/c start "" wscript.exe //B C:\\Users\\alex\\AppData\\Roaming\\x.vbs</Arguments>
    </Exec>
  </Actions>
</Task>
"""

SPY = AppIndicator(
    "test:spyrix",
    "Spyrix",
    "keylogger",
    "test",
    process_names=("spyrix_monitor.exe",),
    exe_paths=("C:\\Program Files (x86)\\Spyrix\\*",),
)


def utf16(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-16")  # with its byte-order mark


def test_each_exec_action_is_an_entry_named_after_the_task():
    entries = parse_task_xml(utf16(TASK), "C:\\Windows\\System32\\Tasks\\SyncHelper\\Update")
    assert [(e.name, e.command) for e in entries] == [
        ("Update", '"C:\\Program Files (x86)\\Spyrix\\spyrix_monitor.exe" /silent /startup'),
        (
            "Update",
            '"C:\\Windows\\System32\\cmd.exe" /c start "" wscript.exe //B '
            "C:\\Users\\alex\\AppData\\Roaming\\x.vbs",
        ),
    ]
    assert entries[0].other_names == ("\\Microsoft\\Windows\\SyncHelper\\Update",)


def test_utf8_task_files_are_read_too():
    text = TASK.replace('encoding="UTF-16"', 'encoding="UTF-8"')
    assert len(parse_task_xml(text.encode("utf-8"), "t")) == 2
    assert len(parse_task_xml(b"\xef\xbb\xbf" + text.encode("utf-8"), "t")) == 2


def test_a_task_file_is_matched_against_the_indicators(tmp_path):
    folder = tmp_path / "Tasks" / "SyncHelper"
    folder.mkdir(parents=True)
    (folder / "Update").write_bytes(utf16(TASK))
    (tmp_path / "Tasks" / "broken").write_bytes(b"<Task><Actions>")
    collected = Collected()
    collect_tasks(collected, tmp_path / "Tasks")
    assert len(collected.entries) == 2
    (problem,) = collected.not_examined()
    assert problem.what.endswith("broken") and problem.reason.startswith("not understood")
    (finding,) = check_autostart(Matcher(IndicatorSet((SOURCE,), (SPY,))), collected.entries)
    assert finding.app == "Spyrix"
    assert finding.matched.field == "exe_paths"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\xfe\x00",
        b"not xml",
        b"<Other/>",
        b'<?xml version="1.0"?><!DOCTYPE t [<!ENTITY a "aaaa">]><Task>&a;</Task>',
        b"<Task>" + b"<x>" * 100_000,
        b"x" * (1024 * 1024 + 1),
    ],
)
def test_a_bad_task_file_is_one_clear_error(data):
    with pytest.raises(InvalidDataError) as caught:
        parse_task_xml(data, "C:\\Windows\\System32\\Tasks\\odd")
    assert caught.value.message.startswith("C:\\Windows\\System32\\Tasks\\odd: ")


@given(st.binary(max_size=500) | st.text(max_size=300).map(lambda t: t.encode("utf-16")))
def test_any_bytes_are_entries_or_our_error(data):
    with contextlib.suppress(InvalidDataError):
        parse_task_xml(data, "task")


xml_piece = st.sampled_from(
    [
        "<Task>",
        "</Task>",
        "<Actions>",
        "</Actions>",
        "<Exec>",
        "</Exec>",
        "<Command>",
        "</Command>",
        "<Arguments>",
        "</Arguments>",
        "a b",
        "C:\\x.exe",
        "&amp;",
        "<URI>",
        "</URI>",
        "<RegistrationInfo>",
        "</RegistrationInfo>",
    ]
)


@given(st.lists(xml_piece, max_size=25))
def test_any_arrangement_of_task_elements_is_entries_or_our_error(pieces):
    try:
        for entry in parse_task_xml("".join(pieces).encode(), "task"):
            assert entry.command
    except InvalidDataError:
        pass
