"""What a report says, gathered once from a session, the evidence log, help lines and indicators.

`build_report` returns a `ReportData` of frozen dataclasses; every renderer (HTML, PDF, Markdown,
plain text) reads only that, so the four formats cannot disagree.

Scope: a session's report holds that session's evidence. Entries recorded outside any session
are added only when asked (`include_unsessioned`), and the report then says so on its first page.

Integrity comes first: the log is verified while it is read, and every entry from the first bad
one on is marked as altered wherever it is shown.

Redaction (`core.report.redaction`) happens after building, once, by field.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.dates import format_moment
from devicecheck.core.evidence.receipts import Receipt
from devicecheck.core.helplines import Region, fill_help, region_for
from devicecheck.core.session_log import chain_keys, item_key, session_items
from devicecheck.core.sessions import ANSWER_LABELS, Session, utc_now
from devicecheck.errors import DeviceCheckError

VERIFY_COMMAND = "devicecheck log verify"
ANSWER_ORDER = {"yes": 0, "unsure": 1, "no": 2, "skip": 3}
SEVERITY_ORDER = ("high", "medium", "low")
PHONE_TARGET = "android-phone"
# Authors and "who" values that mean the client (the log writes "self").
CLIENT_WORDS = frozenset(("self", "client", "the client", "me", "i"))
_IDENTIFIER = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_SETTING_NAME = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[._][A-Za-z0-9]+)+")
GENERAL_LIMITS = (
    "No check can prove that nobody is watching. A clean result means only that these checks "
    "found nothing.",
    "The checklist answers are what the person saw and said on the day; accounts and devices "
    "can change afterwards.",
    "The scan looks for known monitoring software on this computer only. It cannot see phones, "
    "tablets, other computers, online accounts, or software it has no indicator for.",
    "Software that hides itself well, runs only at certain times, or was removed before the "
    "scan may not be found.",
    "Some software found (remote access, parental control, employee monitoring) has legitimate "
    "uses: a finding shows it is present, not who installed it or why.",
)
# Indicator fields as a person would say them (no internal ids in the report).
MATCH_FIELDS = {
    "process_names": "program name",
    "exe_paths": "program location",
    "paths": "file location",
    "cmdline": "command line",
    "domains": "web address",
    "ips": "internet address",
    "ports": "network port",
    "autostart_names": "start-up entry",
    "packages": "app package",
    "certificates": "signing certificate",
    "sha256": "file fingerprint",
    "extension_ids": "browser extension",
}
EXAMINED_LABELS = {
    "processes": "running programs",
    "connections": "network connections",
    "autostart": "start-up entries",
    "autostart_entries": "start-up entries",
    "browser_profiles": "browser profiles",
    "browser_extensions": "browser extensions",
    "history_urls": "web addresses in browser history",
    "hosts_entries": "entries in the hosts file",
    "hosts_entries_blocking_indicators": "hosts-file entries blocking a listed site",
    "accounts": "user accounts",
    "authorized_keys": "SSH keys allowed to log in",
    "baseline_items_compared": "items compared with the last saved scan",
    "indicator_apps": "known products it could recognise here",
    "indicator_apps_loaded": "known products in the lists",
    "input_device_readers_checked": "programs reading the keyboard checked",
    "listening_ports": "listening network ports",
    "packet_sockets": "traffic-capture sockets",
    "process_environments": "programs' start-up settings (LD_PRELOAD) read",
    "program_files_checked": "program files checked",
    "privacy_databases": "privacy-permission databases",
    "privacy_grants": "privacy permissions granted",
    "packages": "installed apps",
    "system_packages": "of the phone's own apps",
    "packages_from_stores": "apps from an app store",
    "packages_from_elsewhere": "apps not from an app store",
    "indicator_packages": "known stalkerware and dual-use package names",
    "adb_calls": "reads over USB",
}
# What a phone check records about the phone and each app it found, in words.
PHONE_DEVICE_FIELDS = {
    "manufacturer": "maker",
    "model": "model",
    "android_version": "Android version",
    "security_patch": "security patch",
    "serial": "serial number",
    "build_fingerprint": "build",
}
PHONE_FINDING_FIELDS = {
    "package": "app package",
    "installer": "installed from",
    "first_installed": "first installed",
    "version": "app version",
    "cert_sha256": "signing certificate SHA-256",
    "access": "access it holds",
}
# Sources whose licence asks for attribution, used when a scan's summary does not carry it.
KNOWN_SOURCES: dict[str, dict[str, str]] = {
    "echap": {
        "name": "Echap stalkerware indicators",
        "licence": "CC BY 4.0",
        "attribution": "Stalkerware indicators by Echap, "
        "https://github.com/AssoEchap/stalkerware-indicators, CC BY 4.0",
        "url": "https://github.com/AssoEchap/stalkerware-indicators",
    },
    "lolrmm": {
        "name": "LOLRMM (Living Off the Land RMM)",
        "licence": "Apache-2.0",
        "attribution": "LOLRMM project, magicsword-io (https://lolrmm.io), Apache License 2.0",
        "url": "https://github.com/magicsword-io/LOLRMM",
    },
}


@dataclass(frozen=True)
class SessionDetails:
    id: str
    mode: str
    created_at: str
    updated_at: str
    ended_at: str | None
    region: str
    platforms: tuple[str, ...]
    organisation: str | None  # None: not a caseworker session
    caseworker: str | None
    client_ref: str | None
    devices: tuple[str, ...]


@dataclass(frozen=True)
class ConsentRow:
    step: str
    explained: str
    answer: str
    recorded_at: str
    recorded_by: str
    in_chain: bool = False


@dataclass(frozen=True)
class SeverityCount:
    severity: str
    checklist: int
    scan: int

    @property
    def total(self) -> int:
        return self.checklist + self.scan


@dataclass(frozen=True)
class AnswerRow:
    item_id: str
    area: str  # the checklist's title ("" when the item no longer exists)
    title: str
    question: str
    severity: str  # "" when unknown
    value: str
    label: str
    note: str
    answered_at: str
    known_item: bool
    in_chain: bool = False
    logged: str = ""  # not in the chain as the session file has it: what the log recorded


@dataclass(frozen=True)
class FindingRow:
    app: str
    kind: str
    category: str
    severity: str
    confidence: str
    matched: str  # "program name 'value'"
    source: str
    advice: str
    recorded_at: str  # "" when only in the session file
    seq: int | None  # the log entry's seq (None: only in the session file)
    process_name: str
    pid: str
    username: str
    exe: str
    cmdline: str
    exe_sha256: str
    started_at: str
    detail: tuple[tuple[str, str], ...]
    target: str = "computer"
    altered: bool = False
    scan_entry: str = ""  # the id of the scan or phone check entry that found it


@dataclass(frozen=True)
class FindingGroup:
    """Findings that share their advice: the advice is printed once, above them."""

    advice: str
    findings: tuple[FindingRow, ...]


@dataclass(frozen=True)
class ScanRow:
    target: str  # "computer" or PHONE_TARGET
    machine: str  # the computer's name, or the phone's model
    platform: str
    started_at: str
    finished_at: str
    examined: tuple[tuple[str, str], ...]  # (what, how many)
    not_examined: tuple[tuple[str, str], ...]  # (what, why)
    indicators: tuple[tuple[str, str], ...]  # (source, version)
    finding_count: int
    device: tuple[tuple[str, str], ...]  # phone details (label, value)
    seq: int | None
    altered: bool = False
    entry_id: str = ""  # its evidence-log entry (what its findings' scan_entry names)
    interrupted: str = ""  # a check that stopped part-way: what it could not read


@dataclass(frozen=True)
class AttachmentRow:
    name: str
    sha256: str
    size: str
    note: str
    recorded_at: str
    seq: int | None
    thumbnail: bytes | None = None  # a JPEG, for images that could be read
    altered: bool = False


@dataclass(frozen=True)
class AmendmentRow:
    note: str
    recorded_at: str
    author: str
    seq: int
    altered: bool = False


@dataclass(frozen=True)
class IncidentRow:
    number: int  # 1, 2, ... in the order they happened
    seq: int
    when: str  # ISO 8601 ("" when not given)
    recorded_at: str
    author: str
    what: str
    where: str
    how: str
    who: str
    witnesses: str
    impact: str
    reported_to: str
    police_ref: str
    attachments: tuple[AttachmentRow, ...]
    amendments: tuple[AmendmentRow, ...]
    sessioned: bool = True  # False: recorded outside any session
    altered: bool = False


@dataclass(frozen=True)
class NoteRow:
    text: str
    author: str
    written_at: str
    about: str  # "the whole session", or the item's title
    seq: int | None = None  # a log note's entry
    in_chain: bool = False
    sessioned: bool = True
    altered: bool = False


@dataclass(frozen=True)
class ActionRow:
    what: str
    who: str
    by_when: str
    caution: str
    agreed_at: str
    in_chain: bool = False


@dataclass(frozen=True)
class HelpLineRow:
    name: str
    number: str
    about: str
    hours: str


@dataclass(frozen=True)
class HelpRows:
    region: str
    emergency: str
    emergency_notes: tuple[str, ...]
    lines: tuple[HelpLineRow, ...]


@dataclass(frozen=True)
class SourceRow:
    id: str
    name: str
    licence: str
    attribution: str
    url: str
    version: str
    used: bool  # by a scan in this session (else: installed, not used)


@dataclass(frozen=True)
class Integrity:
    exists: bool
    ok: bool
    entries: int
    head_hash: str | None
    first_bad: str  # "" when none
    words: str
    first_bad_seq: int | None = None
    receipt: Receipt | None = None
    command: str = VERIFY_COMMAND


@dataclass(frozen=True)
class ChainCheck:
    """Which session items the evidence chain holds (the session file is only a working copy)."""

    applies: bool  # False when there is no log, or the session may not keep evidence
    missing: tuple[str, ...]  # one line per session item with no matching entry


@dataclass(frozen=True)
class Redaction:
    removed: tuple[str, ...]  # the kinds of thing taken out, in words


@dataclass(frozen=True)
class ReportData:
    title: str
    generated_at: str
    redacted: bool
    session: SessionDetails
    consents: tuple[ConsentRow, ...]
    summary: tuple[SeverityCount, ...]
    unsure_count: int
    answers: tuple[AnswerRow, ...]
    findings: tuple[FindingRow, ...]
    incidents: tuple[IncidentRow, ...]
    attachments: tuple[AttachmentRow, ...]  # those not attached to an incident
    log_notes: tuple[NoteRow, ...]
    caseworker_notes: tuple[NoteRow, ...]
    action_plan: tuple[ActionRow, ...]
    help: HelpRows
    limits: tuple[str, ...]
    sources: tuple[SourceRow, ...]
    integrity: Integrity
    scans: tuple[ScanRow, ...] = ()
    chain: ChainCheck = ChainCheck(False, ())
    include_unsessioned: bool = False
    unsessioned_count: int = 0
    redaction: Redaction | None = None
    region_code: str = "GB"

    @property
    def finding_groups(self) -> tuple[FindingGroup, ...]:
        return group_by_advice(row for row in self.findings if row.target != PHONE_TARGET)

    @property
    def phone_finding_groups(self) -> tuple[FindingGroup, ...]:
        return group_by_advice(row for row in self.findings if row.target == PHONE_TARGET)


def group_by_advice(rows: Iterable[FindingRow]) -> tuple[FindingGroup, ...]:
    """Findings sharing advice under it once, groups in the order their first finding comes."""
    groups: dict[str, list[FindingRow]] = {}
    for row in rows:
        groups.setdefault(row.advice, []).append(row)
    return tuple(FindingGroup(advice, tuple(found)) for advice, found in groups.items())


# --- the evidence log, read once --------------------------------------------------------------


@dataclass(frozen=True)
class _LogView:
    entries: tuple[Any, ...]  # devicecheck.core.evidence.Entry
    integrity: Integrity

    def altered(self, seq: int | None) -> bool:
        bad = self.integrity.first_bad_seq
        return bad is not None and seq is not None and seq >= bad


def log_exists(data_dir: DataDir) -> bool:
    return (data_dir.evidence / "log.jsonl").exists()


def _read_log(data_dir: DataDir) -> _LogView:
    if not log_exists(data_dir):
        words = (
            "There is no evidence log in this data folder yet, so there is nothing to verify. "
            "This report rests on the session file alone."
        )
        return _LogView((), Integrity(False, True, 0, None, "", words))
    from devicecheck.core.evidence import EvidenceLog

    with EvidenceLog(data_dir) as log:
        report = log.verify()
        entries = tuple(log.entries())
    first_bad, bad_seq = "", None
    if report.first_bad is not None:
        first_bad = f"entry {report.first_bad.seq}: {report.first_bad.reason}"
        if report.first_bad.detail:
            first_bad += f" ({report.first_bad.detail})"
        bad_seq = report.first_bad.seq
    if report.ok:
        words = (
            f"Intact. All {report.entries} entries of the evidence log were checked when this "
            "report was made: each entry's hash is correct and each links to the one before."
        )
    else:
        words = (
            f"NOT INTACT. The evidence log failed its check at {first_bad}. Entries from that "
            "point on cannot be shown to be unaltered and are marked ALTERED where they appear; "
            "entries before it still check out."
        )
    receipt = _receipt(entries, report.ok, bad_seq)
    return _LogView(
        entries,
        Integrity(
            True, report.ok, report.entries, report.head_hash, first_bad, words, bad_seq, receipt
        ),
    )


def _receipt(entries: Sequence[Any], ok: bool, bad_seq: int | None) -> Receipt | None:
    """The receipt (core.evidence.receipts) for the last entry that checks out: for an altered
    log, the intact part before the first bad entry."""
    intact = [e for e in entries if ok or bad_seq is None or e.seq < bad_seq]
    if not intact:
        return None
    head = intact[-1]
    return Receipt(head.seq, head.hash, head.recorded_at)


# --- building ---------------------------------------------------------------------------------


def build_report(
    data_dir: DataDir,
    session: Session,
    *,
    region: Region | None = None,
    redact: bool = False,
    redact_also: Sequence[str] = (),
    include_unsessioned: bool = False,
    generated_at: str | None = None,
) -> ReportData:
    """Everything a report shows, in the order it shows it; redacted if asked."""
    log = _read_log(data_dir)
    region = region or _session_region(session)
    in_scope = [
        e for e in log.entries if e.session == session.id or (include_unsessioned and not e.session)
    ]
    held = chain_keys(e for e in log.entries if e.session == session.id)
    items = _checklist_items()
    logged = _logged_answers(log, session.id, region.code)
    answers = _answers(session, items, region.code, held, logged)
    findings = _findings(session, in_scope, log)
    incidents, attachments = _incidents_and_attachments(data_dir, session.id, in_scope, log)
    data = ReportData(
        title="Record of technology-facilitated stalking and abuse",
        generated_at=generated_at or utc_now(),
        redacted=False,
        session=_session_details(session),
        consents=tuple(
            ConsentRow(
                **dataclasses.asdict(c),
                in_chain=item_key("consent", dataclasses.asdict(c)) in held,
            )
            for c in session.consents
        ),
        summary=_summary(answers, findings),
        unsure_count=sum(1 for row in answers if row.value == "unsure"),
        answers=answers,
        findings=findings,
        incidents=incidents,
        attachments=attachments,
        log_notes=_log_notes(in_scope, log),
        caseworker_notes=_caseworker_notes(session, items, held),
        action_plan=tuple(
            ActionRow(
                **dataclasses.asdict(a), in_chain=item_key("action", dataclasses.asdict(a)) in held
            )
            for a in session.action_plan
        ),
        help=_help(region),
        limits=_limits(session, in_scope),
        sources=_sources(data_dir, session, in_scope),
        integrity=log.integrity,
        scans=_scans(session, in_scope, log),
        chain=_chain_check(session, log, held, items, findings),
        include_unsessioned=include_unsessioned,
        unsessioned_count=sum(1 for e in in_scope if not e.session),
        region_code=region.code,
    )
    if not redact:
        return data
    from devicecheck.core.report.redaction import redact_report

    return redact_report(data, session, log.entries, redact_also)


def _checklist_items() -> dict[str, Any]:
    from devicecheck.core.checklists import load_checklists

    try:
        checklists = load_checklists()
    except DeviceCheckError:
        return {}  # answers are still shown, by item id
    titles = {checklist.id: checklist.title for checklist in checklists.checklists}
    return {
        item.id: (item, titles.get(item.checklist_id, ""))
        for checklist in checklists.checklists
        for item in checklist.all_items()
    }


def _session_region(session: Session) -> Region:
    try:
        return region_for(session.region)
    except DeviceCheckError:
        return region_for(None)


def _session_details(session: Session) -> SessionDetails:
    details = session.caseworker
    return SessionDetails(
        id=session.id,
        mode=session.mode,
        created_at=session.created_at,
        updated_at=session.updated_at,
        ended_at=session.ended_at,
        region=session.region,
        platforms=tuple(session.platforms),
        organisation=details.organisation if details else None,
        caseworker=details.name if details else None,
        client_ref=details.client_ref if details else None,
        devices=tuple(details.devices) if details else (),
    )


def _logged_answers(log: _LogView, session_id: str, region_code: str) -> dict[str, str]:
    """The evidence log's last answer to each item of this session, in words."""
    logged: dict[str, str] = {}
    for entry in log.entries:
        if entry.kind == "answer" and entry.session == session_id:
            value = _text(entry.data.get("value"))
            words = ANSWER_LABELS.get(value, value)
            note = _text(entry.data.get("note"))
            when = format_moment(_text(entry.data.get("answered_at")), region_code)
            logged[_text(entry.data.get("item_id"))] = (
                f"{words}{f' (note: {note})' if note else ''}, {when}, log entry {entry.seq}"
            )
    return logged


def _answers(
    session: Session,
    items: dict[str, Any],
    region_code: str,
    held: set[tuple[str, ...]],
    logged: dict[str, str],
) -> tuple[AnswerRow, ...]:
    rows = []
    for item_id, answer in session.answers.items():
        item, area = items.get(item_id, (None, ""))
        key = item_key("answer", {"item_id": item_id, **dataclasses.asdict(answer)})
        rows.append(
            AnswerRow(
                item_id=item_id,
                area=area,
                title=fill_help(item.title, region_code)
                if item
                else f"A question no longer in the checklists ({item_id})",
                question=fill_help(item.question, region_code) if item else "",
                severity=item.severity if item else "",
                value=answer.value,
                label=ANSWER_LABELS.get(answer.value, answer.value),
                note=answer.note,
                answered_at=answer.answered_at,
                known_item=item is not None,
                in_chain=key in held,
                logged="" if key in held else logged.get(item_id, ""),
            )
        )
    order = list(session.answers)
    return tuple(
        sorted(
            rows,
            key=lambda r: (
                ANSWER_ORDER.get(r.value, 9),
                _severity_rank(r.severity),
                order.index(r.item_id),
            ),
        )
    )


def _severity_rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(_text(part) for part in value)
    return str(value)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _finding_key(data: dict[str, Any]) -> str:
    process = _dict(data.get("process"))
    key = [data.get(name) for name in ("kind", "app", "matched", "detail")]
    key += [process.get("pid"), process.get("exe"), process.get("started_at")]
    return json.dumps(key, sort_keys=True, default=str)


def _finding_row(
    data: dict[str, Any], recorded_at: str = "", seq: int | None = None, altered: bool = False
) -> FindingRow:
    matched = _dict(data.get("matched"))
    process = _dict(data.get("process"))
    detail = _dict(data.get("detail"))
    matched_text = ""
    if matched:
        field = _text(matched.get("field"))
        value = _text(matched.get("value"))
        if field == "access":
            value = _detail_text("access", value.split(", "))
        matched_text = f"{MATCH_FIELDS.get(field, field.replace('_', ' '))} {value!r}"
        setting = _text(matched.get("indicator"))
        if field == "setting" and _SETTING_NAME.fullmatch(setting):  # what a person can look up
            matched_text = (
                f"permission {setting} held by {value}"
                if setting.isupper()
                else f"the phone's setting {setting} is {value!r}"
            )
    target = PHONE_TARGET if data.get("origin") == "phone-scan" else "computer"
    pairs = [
        (str(k).replace("_", " "), _detail_text(str(k), v))
        for k, v in sorted(detail.items())
        if not str(k).endswith("_entry")  # another entry's internal id
    ]
    if target == PHONE_TARGET:
        pairs += [
            (label, _detail_text(k, data.get(k))) for k, label in PHONE_FINDING_FIELDS.items()
        ]
    return FindingRow(
        app=_text(data.get("app")) or _text(data.get("package")) or "unknown software",
        kind=_text(data.get("kind")),
        category=_text(data.get("category")),
        severity=_text(data.get("severity")),
        confidence=_text(data.get("confidence")),
        matched=matched_text,
        source=_source_name(data.get("source")),
        advice=_text(data.get("advice")),
        recorded_at=recorded_at,
        seq=seq,
        process_name=_text(process.get("name")),
        pid=_text(process.get("pid")),
        username=_text(process.get("username")),
        exe=_text(process.get("exe")),
        cmdline=_text(process.get("cmdline")),
        exe_sha256=_text(process.get("exe_sha256")),
        started_at=_text(process.get("started_at")),
        detail=tuple((k, v) for k, v in pairs if v and k != "also matched"),
        target=target,
        altered=altered,
        scan_entry=_text(data.get("scan_entry")),
    )


def _detail_text(key: str, value: Any) -> str:
    """A finding's detail value in words: products by name, access by label, lists with commas,
    an internal identifier as words (times stay ISO here; the layout writes them as dates)."""
    if isinstance(value, dict):
        if value.get("app"):
            source = _source_name(value.get("source"))
            return (
                f"{_text(value.get('app'))}, from {source}" if source else _text(value.get("app"))
            )
        return ", ".join(
            f"{str(k).replace('_', ' ')}: {_detail_text(str(k), v)}" for k, v in value.items()
        )
    if isinstance(value, (list, tuple)):
        if key == "access":
            from devicecheck.core.phone.access import access_labels

            return access_labels(tuple(_text(v) for v in value))
        return ", ".join(_detail_text(key, v) for v in value)
    text = _text(value)
    if key == "what" and _IDENTIFIER.fullmatch(text):
        return text.replace("_", " ")
    return text


def _source_name(source: Any) -> str:
    if isinstance(source, dict):
        return _text(source.get("name") or source.get("id"))
    return _text(source)


def _findings(session: Session, entries: Sequence[Any], log: _LogView) -> tuple[FindingRow, ...]:
    """Scan findings: the log's entries in scope, then any only in the session file."""
    rows: list[FindingRow] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.kind != "finding" or entry.data.get("origin") == "checklist":
            continue  # checklist findings are shown with the answers
        seen.add(_finding_key(entry.data))
        rows.append(_finding_row(entry.data, entry.recorded_at, entry.seq, log.altered(entry.seq)))
    for finding in session.findings:
        if finding.get("origin") == "checklist" or _finding_key(finding) in seen:
            continue
        seen.add(_finding_key(finding))
        rows.append(_finding_row(finding))
    return tuple(sorted(rows, key=lambda r: _severity_rank(r.severity)))


def _scans(session: Session, entries: Sequence[Any], log: _LogView) -> tuple[ScanRow, ...]:
    rows = []
    logged = set()
    for entry in entries:
        if entry.kind == "scan":
            logged.add(entry.id)
            rows.append(_scan_row(entry.data, entry.seq, log.altered(entry.seq), entry.id))
    for summary in session.scans:
        if summary.get("evidence_entry") not in logged:
            rows.append(_scan_row(summary, None, False, _text(summary.get("evidence_entry"))))
    return tuple(rows)


def _scan_row(data: dict[str, Any], seq: int | None, altered: bool, entry_id: str) -> ScanRow:
    target = _text(data.get("target")) or "computer"
    device = _dict(data.get("device"))
    examined = tuple(
        (EXAMINED_LABELS.get(str(k), str(k).replace("_", " ")), _text(v))
        for k, v in _dict(data.get("examined")).items()
    )
    not_examined = tuple(
        (_text(item.get("what")), _text(item.get("reason")))
        for item in data.get("not_examined") or ()
        if isinstance(item, dict)
    )
    indicators = tuple(
        (
            _text(source.get("name") or KNOWN_SOURCES.get(_text(source.get("id")), {}).get("name"))
            or _text(source.get("id")),
            _text(source.get("version")),
        )
        for source in data.get("indicators") or ()
        if isinstance(source, dict)
    )
    machine = _text(data.get("host"))
    if target == PHONE_TARGET:
        machine = " ".join(_text(device.get(k)) for k in ("manufacturer", "model") if device.get(k))
    return ScanRow(
        target=target,
        machine=machine,
        platform=_text(data.get("platform")),
        started_at=_text(data.get("started_at")),
        finished_at=_text(data.get("finished_at")),
        examined=examined,
        not_examined=not_examined,
        indicators=indicators,
        finding_count=int(data.get("finding_count") or 0)
        if isinstance(data.get("finding_count"), int)
        else 0,
        device=tuple(
            (label, _device_value(k, _text(device.get(k))))
            for k, label in PHONE_DEVICE_FIELDS.items()
            if device.get(k)
        ),
        seq=seq,
        altered=altered,
        entry_id=entry_id,
        interrupted=(_text(data.get("interrupted")) or "it stopped part-way")
        if data.get("complete") is False
        else "",
    )


def _device_value(key: str, value: str) -> str:
    """A phone detail in words: a hashed serial says it is a fingerprint, not the number."""
    if key == "serial" and value.startswith("sha256:"):
        return f"not kept; its SHA-256 fingerprint is {value.removeprefix('sha256:')}"
    return value


def _amendments(entries: Sequence[Any], log: _LogView) -> dict[str, list[AmendmentRow]]:
    found: dict[str, list[AmendmentRow]] = {}
    for entry in entries:
        if entry.kind != "amendment":
            continue
        target = entry.data.get("amends")
        if isinstance(target, str):
            found.setdefault(target, []).append(
                AmendmentRow(
                    _text(entry.data.get("note")),
                    entry.recorded_at,
                    entry.author,
                    entry.seq,
                    log.altered(entry.seq),
                )
            )
    return found


def _attachment_row(
    stored: Any, data: dict[str, Any], recorded_at: str, seq: int | None, altered: bool
) -> AttachmentRow:
    name = _text(data.get("name") or data.get("original_name") or data.get("filename"))
    sha256 = _text(data.get("sha256"))
    return AttachmentRow(
        name=name or "(unnamed file)",
        sha256=sha256,
        size=_text(data.get("size", "")),
        note=_text(data.get("note")),
        recorded_at=recorded_at,
        seq=seq,
        thumbnail=stored.thumbnail(sha256) if stored is not None else None,
        altered=altered,
    )


def _incident_fields(data: dict[str, Any]) -> dict[str, Any]:
    nested = data.get("incident")
    return nested if isinstance(nested, dict) else data


def _incidents_and_attachments(
    data_dir: DataDir, session_id: str, entries: Sequence[Any], log: _LogView
) -> tuple[tuple[IncidentRow, ...], tuple[AttachmentRow, ...]]:
    """Incidents numbered in the order they happened (else recorded); loose attachments."""
    from devicecheck.core.report.evidence_files import StoredFiles

    stored = StoredFiles(data_dir) if log.integrity.exists else None
    amendments = _amendments(entries, log)
    incidents: list[IncidentRow] = []
    for entry in entries:
        if entry.kind != "incident":
            continue
        fields = _incident_fields(entry.data)
        altered = log.altered(entry.seq)
        files = tuple(
            _attachment_row(stored, raw, entry.recorded_at, entry.seq, altered)
            for raw in entry.data.get("attachments") or ()
            if isinstance(raw, dict)
        )
        incidents.append(
            IncidentRow(
                number=0,
                seq=entry.seq,
                when=_text(fields.get("when")),
                recorded_at=entry.recorded_at,
                author=entry.author,
                what=_text(fields.get("what")),
                where=_text(fields.get("where")),
                how=_text(fields.get("how")),
                who=_text(fields.get("who")),
                witnesses=_text(fields.get("witnesses")),
                impact=_text(fields.get("impact")),
                reported_to=_text(fields.get("reported_to")),
                police_ref=_text(fields.get("police_ref")),
                attachments=files,
                amendments=tuple(amendments.get(entry.id, ())),
                sessioned=entry.session == session_id,
                altered=altered,
            )
        )
    ordered = sorted(incidents, key=lambda r: (_moment(r.when or r.recorded_at), r.seq))
    numbered = tuple(dataclasses.replace(row, number=n) for n, row in enumerate(ordered, 1))
    loose = tuple(
        _attachment_row(stored, entry.data, entry.recorded_at, entry.seq, log.altered(entry.seq))
        for entry in entries
        if entry.kind == "attachment"
    )
    return numbered, loose


def _moment(text: str) -> str:
    """An ISO time as a sortable UTC string; unparsable times sort by their text."""
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.timezone.utc).isoformat()


def _log_notes(entries: Sequence[Any], log: _LogView) -> tuple[NoteRow, ...]:
    return tuple(
        NoteRow(
            _text(entry.data.get("text")),
            entry.author,
            entry.recorded_at,
            "",
            entry.seq,
            True,
            bool(entry.session),
            log.altered(entry.seq),
        )
        for entry in entries
        if entry.kind == "note" and not isinstance(entry.data.get("consent"), dict)
    )


def _caseworker_notes(
    session: Session, items: dict[str, Any], held: set[tuple[str, ...]]
) -> tuple[NoteRow, ...]:
    rows = []
    for note in session.caseworker_notes:
        about = "the whole session"
        if note.item_id:
            item, _ = items.get(note.item_id, (None, ""))
            about = f"“{item.title}”" if item else "a question no longer in the checklists"
        key = item_key("case-note", dataclasses.asdict(note))
        rows.append(NoteRow(note.text, note.author, note.written_at, about, in_chain=key in held))
    return tuple(rows)


def _chain_check(
    session: Session,
    log: _LogView,
    held: set[tuple[str, ...]],
    items: dict[str, Any],
    findings: Sequence[FindingRow],
) -> ChainCheck:
    from devicecheck.core.session_log import may_keep_evidence

    if not log.integrity.exists:
        return ChainCheck(False, ())
    missing = []
    for kind, data, _ in session_items(session):
        if item_key(kind, data) in held:
            continue
        missing.append(_describe_item(kind, data, items, may_keep_evidence(session)))
    missing += [f"the scan finding “{row.app}”" for row in findings if row.seq is None]
    return ChainCheck(True, tuple(missing))


def _describe_item(kind: str, data: dict[str, Any], items: dict[str, Any], allowed: bool) -> str:
    if kind == "answer":
        item, _ = items.get(_text(data.get("item_id")), (None, ""))
        what = f"the answer to “{item.title}”" if item else "an answer to a retired question"
        when = data.get("answered_at")
    elif kind == "consent":
        what = f"the consent for {_text(data.get('step'))} ({_text(data.get('answer'))})"
        when = data.get("recorded_at")
    elif kind == "case-note":
        what, when = "a caseworker note", data.get("written_at")
    else:
        what, when = f"the action “{_text(data.get('what'))}”", data.get("agreed_at")
    why = "" if allowed else " (given before the client agreed to evidence being kept)"
    return f"{what}, {format_moment(_text(when))}{why}"


def _summary(
    answers: Iterable[AnswerRow], findings: Iterable[FindingRow]
) -> tuple[SeverityCount, ...]:
    checklist: dict[str, int] = {}
    scan: dict[str, int] = {}
    for row in answers:
        if row.value == "yes":
            key = row.severity or "unknown"
            checklist[key] = checklist.get(key, 0) + 1
    for row in findings:
        key = row.severity or "unknown"
        scan[key] = scan.get(key, 0) + 1
    severities = list(SEVERITY_ORDER) + sorted((set(checklist) | set(scan)) - set(SEVERITY_ORDER))
    return tuple(SeverityCount(s, checklist.get(s, 0), scan.get(s, 0)) for s in severities)


def _help(region: Region) -> HelpRows:
    return HelpRows(
        region=f"{region.name} ({region.code})",
        emergency=region.emergency.text,
        emergency_notes=region.emergency.notes,
        lines=tuple(
            HelpLineRow(line.name, line.number, line.about, line.hours or "")
            for line in region.lines
        ),
    )


def _limits(session: Session, entries: Sequence[Any]) -> tuple[str, ...]:
    limits = list(GENERAL_LIMITS)
    summaries = list(session.scans) + [e.data for e in entries if e.kind == "scan"]
    for summary in summaries:
        for limit in summary.get("limits") or ():
            if isinstance(limit, str) and limit not in limits:
                limits.append(limit)
    return tuple(limits)


def _sources(data_dir: DataDir, session: Session, entries: Sequence[Any]) -> tuple[SourceRow, ...]:
    """The indicator sources this session's scans used, then the other installed ones."""
    scans = [*session.scans, *(e.data for e in entries if e.kind == "scan")]
    used: list[dict[str, Any]] = [
        source
        for scan in scans
        for source in scan.get("indicators") or ()
        if isinstance(source, dict) and source.get("id")
    ]
    installed = _installed_sources(data_dir)
    described: dict[str, dict[str, str]] = {}  # what any scan's summary says of each source
    for source in used:
        known = described.setdefault(_text(source.get("id")), {})
        for name in ("name", "licence", "attribution", "url"):
            known[name] = known.get(name) or _text(source.get(name))
    rows: dict[str, SourceRow] = {}
    for source, was_used in [*((s, True) for s in used), *(({"id": i}, False) for i in installed)]:
        source_id = _text(source.get("id"))
        info = {**installed.get(source_id, {}), **KNOWN_SOURCES.get(source_id, {})}

        def pick(name: str, source_id=source_id, info=info) -> str:
            return info.get(name) or described.get(source_id, {}).get(name, "")

        rows.setdefault(
            source_id,
            SourceRow(
                id=source_id,
                name=pick("name") or source_id,
                licence=pick("licence"),
                attribution=pick("attribution"),
                url=pick("url"),
                version=_text(source.get("version")) or info.get("version", ""),
                used=was_used,
            ),
        )
    return tuple(rows.values())


def _installed_sources(data_dir: DataDir) -> dict[str, dict[str, str]]:
    """Name, licence, attribution and address of each installed indicator source, by id."""
    from devicecheck.core.indicators import load_indicators

    try:
        indicators = load_indicators(data_dir)
    except DeviceCheckError:
        return {source_id: dict(info) for source_id, info in KNOWN_SOURCES.items()}
    return {source.id: source._asdict() for source in indicators.sources}
