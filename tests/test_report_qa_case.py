"""A caseworker case read as a police officer and attacked as a redaction would be: findings of
every kind in plain words (no finding-kind ids, no raw dicts or internal entry ids), phone
details in words, indicator sources named with their licence, and `--redact` that takes out
names however they are written without taking out role words, system accounts or the phone's
maker from package names."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest

from devicecheck.core.datadir import DataDir
from devicecheck.core.evidence import EvidenceLog
from devicecheck.core.finding_labels import COMPUTER_KIND_LABELS, PHONE_KIND_LABELS
from tests.conftest import run_cli
from tests.phone_support import StandInAdb

CASEWORKER = "Margaret Okonkwo\u2011Reyes"  # a non-breaking hyphen, as a phone keyboard may give
CLIENT_REF = "SS-2024-00917"
KINDS = tuple(COMPUTER_KIND_LABELS)
RAW_CATEGORIES = ("remote-access", "disguised-app", "dangerous-access", "employee-monitoring")


@dataclass(frozen=True)
class QaCase:
    data_dir: Path
    session_id: str
    report: str
    redacted: str


def _finding(kind: str, scan_entry: str) -> dict:
    return {
        "app": f"Finding of kind {kind}",
        "app_id": "",
        "category": "employee-monitoring" if kind == "process" else "spyware",
        "confidence": "medium",
        "kind": kind,
        "severity": "medium",
        "advice": f"Advice for {kind}.",
        "origin": "scan",
        "scan_entry": scan_entry,
        "matched": {"field": "process_names", "indicator": "x", "value": "x"},
        "process": {
            "name": "agent",
            "pid": 4242,
            "username": "root",
            "exe": "/home/margaret/agent",
            "cmdline": ["/home/margaret/agent", "--client", CLIENT_REF],
            "started_at": "2026-11-20T08:00:00+00:00",
        },
        "source": {"id": "curated", "name": "devicecheck curated desktop monitoring list"},
        "detail": {
            "other_products": [
                {"app": "AnyDesk", "source": {"id": "lolrmm", "name": "LOLRMM"}, "matched": {}}
            ],
            "previous_scan": "2026-11-20T08:00:00+00:00",
            "previous_scan_entry": "fad497cdd638010c",
            "what": "remote_access",
            "account": "janedoe",
        },
    }


@pytest.fixture(scope="module")
def qa_case(tmp_path_factory: pytest.TempPathFactory) -> QaCase:
    root = tmp_path_factory.mktemp("qa-case")
    data_dir = root / "data"
    created = run_cli(
        "--data-dir", str(data_dir), "session", "new", "--caseworker", CASEWORKER,
        "--org", "Safe Haven", "--client-ref", CLIENT_REF, "--json",
    )  # fmt: skip
    session_id = json.loads(created.stdout)["id"]
    for step in ("evidence", "scan", "phone-scan", "report"):
        run_cli(
            "--data-dir", str(data_dir), "session", "consent", session_id, "--step", step,
            "--explained", "what it does", "--answer", "given",
        )  # fmt: skip
    adb = StandInAdb(root / "adb", "android14-sideloaded")
    phone = run_cli(
        "--data-dir", str(data_dir), "phone", "scan", "--session", session_id, env=adb.env()
    )
    assert phone.returncode == 1, phone.stderr
    run_cli(
        "--data-dir", str(data_dir), "session", "note", session_id,
        "Client said MARGARET's colleague Okonkwo\u2011Reyes will call (Reyes, or Okonkwo-Reyes"
        " on the ＭＡＲＧＡＲＥＴ line). Ref SS 2024\n00917, file refSS202400917x.",
    )  # fmt: skip
    run_cli(
        "--data-dir", str(data_dir), "log", "add-note", "--session", session_id,
        "--author", "client", "The client wrote this; the root of it is his jealousy.",
    )  # fmt: skip
    run_cli(
        "--data-dir", str(data_dir), "session", "action", session_id, "--what", "Call police",
        "--who", "client", "--by", "2026-12-01",
    )  # fmt: skip
    with EvidenceLog(DataDir(data_dir)) as log:
        summary = {
            "host": "margaret-laptop",
            "finding_count": len(KINDS),
            "examined": {"authorized_keys": 0, "indicator_apps_loaded": 618, "history_urls": 9},
        }
        scan = log.append("scan", summary, session=session_id)
        for kind in KINDS:
            log.append("finding", _finding(kind, scan.id), session=session_id)
    outputs = {}
    for name, extra in (("report", ()), ("redacted", ("--redact",))):
        target = root / f"{name}.txt"
        result = run_cli(
            "--data-dir", str(data_dir), "report", session_id, "--format", "txt", *extra,
            "-o", str(target),
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        outputs[name] = target.read_text(encoding="utf-8")
    return QaCase(data_dir, session_id, outputs["report"], outputs["redacted"])


def _found_as(text: str) -> list[str]:
    return re.findall(r"^\s+Found as: (.*)$", text, re.MULTILINE)


def test_every_finding_kind_is_written_in_words(qa_case: QaCase) -> None:
    found_as = _found_as(qa_case.report)
    for kind, label in COMPUTER_KIND_LABELS.items():
        assert label in found_as, kind
    assert PHONE_KIND_LABELS["package"] in found_as
    assert PHONE_KIND_LABELS["access"] in found_as
    for raw in (*KINDS, "package"):
        assert raw not in found_as
    headings = re.findall(r"^\* \[(?:HIGH|MEDIUM|LOW)\] .*$", qa_case.report, re.MULTILINE)
    assert headings
    for heading in headings:
        for raw in RAW_CATEGORIES:
            assert raw not in heading, heading


def test_finding_details_hold_no_raw_dicts_ids_or_iso_times(qa_case: QaCase) -> None:
    text = qa_case.report
    assert "{'" not in text and '{"' not in text
    assert "fad497cdd638010c" not in text
    assert "remote_access" not in text
    assert "Other products: AnyDesk, from LOLRMM" in text
    assert "Previous scan: Friday 20 November 2026, 08:00 UTC" in text
    assert "2026-11-20T08:00:00" not in text


def test_phone_findings_name_access_and_install_time_in_words(qa_case: QaCase) -> None:
    text = qa_case.report
    assert (
        "Access it holds: accessibility service, notification access, device administrator" in text
    )
    assert "notification-listener" not in text and "device-admin" not in text
    assert re.search(r"First installed: Wednesday 14 October 2026, 22:4\d", text)
    assert re.search(r"Serial number: not kept; its SHA-256 fingerprint is [0-9a-f]{64}\n", text)


def test_every_indicator_source_is_named_with_its_licence(qa_case: QaCase) -> None:
    section = qa_case.report.split("Indicator sources and licences", 1)[1]
    assert "* android-dual-use" not in section
    dual_use = section.split("* devicecheck list of dual-use Android apps", 1)[1].split("\n* ")[0]
    assert "Licence: CC BY 4.0" in dual_use


def test_redaction_takes_every_spelling_of_the_names_and_ref(qa_case: QaCase) -> None:
    text = unicodedata.normalize("NFKC", qa_case.redacted).casefold()
    for part in ("margaret", "okonkwo", "reyes", "00917", "margaret-laptop", "janedoe"):
        assert part not in text, part
    assert "/home/" not in text


def test_redaction_keeps_roles_system_accounts_and_the_phone_maker(qa_case: QaCase) -> None:
    text = qa_case.redacted
    # Authors who are roles stay roles; the words themselves are not names to scrub.
    assert "The client wrote this; the root of it is his jealousy." in text
    assert "[redacted] said" not in text and "Client said [redacted]" in text
    assert "Who: client" in text
    assert "By: the client" in qa_case.report and "By: the client" in text
    # The phone's maker is left out as a field, never cut out of package names; its Android
    # version and patch level name nobody and stay.
    assert "com.google.android.packageinstaller" in text
    assert "Maker: [redacted]" in text and "Serial number: [redacted]" in text
    assert "Android version: 14" in text and "Security patch: 20" in text


def test_what_was_examined_is_counted_in_words(qa_case: QaCase) -> None:
    examined = re.findall(r"^\s+Examined: (.*)$", qa_case.report, re.MULTILINE)
    assert any(
        "0 SSH keys allowed to log in" in line and "618 known products in the lists" in line
        for line in examined
    ), examined
    assert any("reads over USB" in line for line in examined), examined
    for line in examined:
        assert "indicator apps" not in line and "authorized keys" not in line, line


@pytest.mark.parametrize(
    ("answers", "expected"),
    [("s\ns\nq\n", "No checks were answered"), ("u\nn\nq\n", "“not sure”")],
)
def test_no_concerns_is_never_said_where_nothing_was_checked(
    tmp_path: Path, answers: str, expected: str
) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    walked = run_cli(
        "walk", "--plain", "--session", session_id, "--checklist", "location-sharing",
        input=answers, data_dir=data_dir,
    )  # fmt: skip
    assert walked.returncode == 0, walked.stderr
    target = tmp_path / "report.txt"
    result = run_cli("report", session_id, "--format", "txt", "-o", str(target), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    summary = target.read_text(encoding="utf-8").split("Summary of concerns", 1)[1][:600]
    assert "found no concerns" not in summary
    assert expected in summary


def test_a_corrected_incident_is_marked_in_the_table_and_phone_findings_counted_as_such(
    qa_case: QaCase, tmp_path: Path
) -> None:
    data_dir = qa_case.data_dir
    added = run_cli(
        "--data-dir", str(data_dir), "log", "add-incident", "--session", qa_case.session_id,
        "--what", "He posted my address", "--when", "2026-11-21 09:15", "--json",
    )  # fmt: skip
    entry = json.loads(added.stdout)["id"]
    run_cli(
        "--data-dir", str(data_dir), "log", "amend", entry, "--note", "It was 09:45, not 09:15"
    )  # fmt: skip
    target = tmp_path / "report.txt"
    result = run_cli(
        "--data-dir", str(data_dir), "report", qa_case.session_id, "--format", "txt",
        "-o", str(target),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if "He posted my address" in line)
    assert "CORRECTED later" in row
    assert "from the scans of this computer and phone" in text


def test_an_empty_section_says_only_that_it_is_empty(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    target = tmp_path / "report.txt"
    result = run_cli("report", session_id, "--format", "txt", "-o", str(target), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "No incidents are recorded in the evidence log for this session." in text
    for intro in ("One line per incident", "Each incident as recorded", "Images are shown small"):
        assert intro not in text, intro


def test_an_accented_name_is_scrubbed_when_typed_without_its_accents(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    created = run_cli(
        "session", "new", "--caseworker", "Zoë Nuñez", "--client-ref", "C-77", "--json",
        data_dir=data_dir,
    )  # fmt: skip
    session_id = json.loads(created.stdout)["id"]
    for step in ("evidence", "report"):
        run_cli(
            "session", "consent", session_id, "--step", step, "--explained", "x", "--answer",
            "given", data_dir=data_dir,
        )  # fmt: skip
    run_cli(
        "session", "note", session_id, "Zoe Nunez rang; NUÑEZ will call back.", data_dir=data_dir
    )
    target = tmp_path / "report.txt"
    result = run_cli(
        "report", session_id, "--format", "txt", "--redact", "-o", str(target), data_dir=data_dir
    )
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8").casefold()
    for part in ("zoe", "zoë", "nunez", "nuñez"):
        assert part not in text, part
    assert "rang;" in text and "will call back" in text


def test_an_answer_changed_in_the_session_file_shows_what_the_log_recorded(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    session_id = json.loads(run_cli("session", "new", "--json", data_dir=data_dir).stdout)["id"]
    walked = run_cli(
        "walk", "--plain", "--session", session_id, "--checklist", "location-sharing",
        input="n\nq\n", data_dir=data_dir,
    )  # fmt: skip
    assert walked.returncode == 0, walked.stderr
    session_file = data_dir / "sessions" / f"{session_id}.json"
    session = json.loads(session_file.read_text(encoding="utf-8"))
    (answer,) = session["answers"].values()
    answer["value"], answer["note"] = "yes", "planted"
    session_file.write_text(json.dumps(session), encoding="utf-8")
    target = tmp_path / "report.txt"
    result = run_cli("report", session_id, "--format", "txt", "-o", str(target), data_dir=data_dir)
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert "Kept in: Session file only" in text
    assert re.search(r"The evidence log recorded instead: No concern, \w+day .*log entry \d+", text)
