"""What a report says, gathered once from a session, the evidence log, help lines and indicators.

`build_report` returns a `ReportData` of frozen dataclasses; every renderer (HTML, PDF, Markdown,
plain text) reads only that, so the four formats cannot disagree. Redaction happens here, once:
named fields are blanked, and then every piece of text is scrubbed of the redacted values, so a
client reference typed into a note does not slip through either.
"""

from __future__ import annotations

import dataclasses
import json
import re
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.helplines import Region, region_for
from devicecheck.core.sessions import ANSWER_LABELS, Session, utc_now
from devicecheck.errors import DeviceCheckError

REDACTED = "[redacted]"
VERIFY_COMMAND = "devicecheck log verify"
ANSWER_ORDER = {"yes": 0, "unsure": 1, "no": 2, "skip": 3}
SEVERITY_ORDER = ("high", "medium", "low")
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
    checklist_id: str  # "" when the item no longer exists
    title: str  # the item id when the item no longer exists
    question: str
    severity: str  # "" when unknown
    value: str
    label: str
    note: str
    answered_at: str
    known_item: bool


@dataclass(frozen=True)
class FindingRow:
    app: str
    kind: str
    category: str
    severity: str
    confidence: str
    matched: str  # "field 'value' (indicator)"
    source: str
    advice: str
    recorded_at: str  # "" when only in the session file
    entry_id: str
    process_name: str
    pid: str
    username: str
    exe: str
    cmdline: str
    exe_sha256: str
    started_at: str
    detail: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AttachmentRow:
    name: str
    sha256: str
    size: str
    note: str
    recorded_at: str
    entry_id: str


@dataclass(frozen=True)
class AmendmentRow:
    note: str
    recorded_at: str
    author: str
    entry_id: str


@dataclass(frozen=True)
class IncidentRow:
    entry_id: str
    when: str
    recorded_at: str
    author: str
    what: str
    where: str
    how: str
    who: str
    witnesses: str
    impact: str
    police_ref: str
    attachments: tuple[AttachmentRow, ...]
    amendments: tuple[AmendmentRow, ...]


@dataclass(frozen=True)
class NoteRow:
    text: str
    author: str
    written_at: str
    about: str  # "the whole session", or the item's title and id; for log notes, the entry id


@dataclass(frozen=True)
class ActionRow:
    what: str
    who: str
    by_when: str
    caution: str
    agreed_at: str


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
    command: str = VERIFY_COMMAND


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


# --- the evidence log, read once --------------------------------------------------------------


@dataclass(frozen=True)
class _LogView:
    entries: tuple[Any, ...]  # devicecheck.core.evidence.Entry
    integrity: Integrity


def log_file(data_dir: DataDir):
    return data_dir.evidence / "log.jsonl"


def _read_log(data_dir: DataDir) -> _LogView:
    if not log_file(data_dir).exists():
        words = (
            "There is no evidence log in this data folder yet, so there is nothing to verify. "
            "This report rests on the session file alone."
        )
        return _LogView((), Integrity(False, True, 0, None, "", words))
    from devicecheck.core.evidence import EvidenceLog

    log = EvidenceLog(data_dir)
    report = log.verify()
    entries = tuple(log.entries())
    first_bad = ""
    if report.first_bad is not None:
        first_bad = f"entry {report.first_bad.seq}: {report.first_bad.reason}"
    if report.ok:
        words = (
            f"Intact. All {report.entries} entries of the evidence log were checked when this "
            "report was made: each entry's hash is correct and each links to the one before, so "
            "none has been changed or removed since it was written."
        )
    else:
        words = (
            f"NOT INTACT. The evidence log failed its check at {first_bad}. Entries from that "
            "point on cannot be shown to be unaltered; entries before it still check out."
        )
    return _LogView(
        entries, Integrity(True, report.ok, report.entries, report.head_hash, first_bad, words)
    )


def _belongs(entry: Any, session_id: str, *, unattached: bool) -> bool:
    return entry.session == session_id or (unattached and entry.session is None)


# --- building ---------------------------------------------------------------------------------


def build_report(
    data_dir: DataDir,
    session: Session,
    *,
    region: Region | None = None,
    redact: bool = False,
    generated_at: str | None = None,
) -> ReportData:
    """Everything a report shows, in the order it shows it; redacted if asked."""
    log = _read_log(data_dir)
    items = _checklist_items()
    answers = _answers(session, items)
    findings = _findings(session, log.entries)
    amendments = _amendments(log.entries)
    incidents, attachments = _incidents_and_attachments(session.id, log.entries, amendments)
    data = ReportData(
        title="devicecheck report: findings and evidence",
        generated_at=generated_at or utc_now(),
        redacted=redact,
        session=_session_details(session),
        consents=tuple(ConsentRow(**dataclasses.asdict(c)) for c in session.consents),
        summary=_summary(answers, findings),
        unsure_count=sum(1 for row in answers if row.value == "unsure"),
        answers=answers,
        findings=findings,
        incidents=incidents,
        attachments=attachments,
        log_notes=_log_notes(session.id, log.entries),
        caseworker_notes=_caseworker_notes(session, items),
        action_plan=tuple(ActionRow(**dataclasses.asdict(a)) for a in session.action_plan),
        help=_help(region or _session_region(session)),
        limits=_limits(session, log.entries),
        sources=_sources(data_dir, session, log.entries),
        integrity=log.integrity,
    )
    return redact_report(data, session) if redact else data


def _checklist_items() -> dict[str, Any]:
    from devicecheck.core.checklists import load_checklists

    try:
        checklists = load_checklists()
    except DeviceCheckError:
        return {}  # answers are still shown, by item id
    return {item.id: item for checklist in checklists.checklists for item in checklist.all_items()}


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


def _answers(session: Session, items: dict[str, Any]) -> tuple[AnswerRow, ...]:
    rows = []
    for item_id, answer in session.answers.items():
        item = items.get(item_id)
        rows.append(
            AnswerRow(
                item_id=item_id,
                checklist_id=item.checklist_id if item else "",
                title=item.title if item else item_id,
                question=item.question if item else "(this item is no longer in the checklists)",
                severity=item.severity if item else "",
                value=answer.value,
                label=ANSWER_LABELS.get(answer.value, answer.value),
                note=answer.note,
                answered_at=answer.answered_at,
                known_item=item is not None,
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


def _finding_key(data: dict[str, Any]) -> str:
    process = data.get("process") if isinstance(data.get("process"), dict) else {}
    key = [data.get(name) for name in ("kind", "app", "matched", "detail")]
    key += [process.get("pid"), process.get("exe"), process.get("started_at")]
    return json.dumps(key, sort_keys=True, default=str)


def _finding_row(data: dict[str, Any], recorded_at: str = "", entry_id: str = "") -> FindingRow:
    matched = data.get("matched") if isinstance(data.get("matched"), dict) else {}
    process = data.get("process") if isinstance(data.get("process"), dict) else {}
    detail = data.get("detail") if isinstance(data.get("detail"), dict) else {}
    matched_text = ""
    if matched:
        matched_text = f"{_text(matched.get('field'))} {_text(matched.get('value'))!r}"
        if matched.get("indicator"):
            matched_text += f" (indicator {_text(matched.get('indicator'))})"
    return FindingRow(
        app=_text(data.get("app")) or "unknown software",
        kind=_text(data.get("kind")),
        category=_text(data.get("category")),
        severity=_text(data.get("severity")),
        confidence=_text(data.get("confidence")),
        matched=matched_text,
        source=_source_name(data.get("source")),
        advice=_text(data.get("advice")),
        recorded_at=recorded_at,
        entry_id=entry_id,
        process_name=_text(process.get("name")),
        pid=_text(process.get("pid")),
        username=_text(process.get("username")),
        exe=_text(process.get("exe")),
        cmdline=_text(process.get("cmdline")),
        exe_sha256=_text(process.get("exe_sha256")),
        started_at=_text(process.get("started_at")),
        detail=tuple((str(k), _text(v)) for k, v in sorted(detail.items())),
    )


def _source_name(source: Any) -> str:
    if isinstance(source, dict):
        return _text(source.get("name") or source.get("id"))
    return _text(source)


def _findings(session: Session, entries: Sequence[Any]) -> tuple[FindingRow, ...]:
    """Scan findings: the log's entries for this session, then any only in the session file."""
    rows: list[FindingRow] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.kind != "finding" or entry.session != session.id:
            continue
        if entry.data.get("origin") == "checklist":
            continue  # shown with the checklist answers
        seen.add(_finding_key(entry.data))
        rows.append(_finding_row(entry.data, entry.recorded_at, entry.id))
    for finding in session.findings:
        if finding.get("origin") == "checklist" or _finding_key(finding) in seen:
            continue
        seen.add(_finding_key(finding))
        rows.append(_finding_row(finding, entry_id=_text(finding.get("evidence_entry"))))
    return tuple(sorted(rows, key=lambda r: _severity_rank(r.severity)))


def _amendments(entries: Sequence[Any]) -> dict[str, list[AmendmentRow]]:
    found: dict[str, list[AmendmentRow]] = {}
    for entry in entries:
        if entry.kind != "amendment":
            continue
        target = next(
            (entry.data[k] for k in ("amends", "entry_id", "target", "entry") if entry.data.get(k)),
            None,
        )
        if isinstance(target, str):
            found.setdefault(target, []).append(
                AmendmentRow(
                    _text(entry.data.get("note")), entry.recorded_at, entry.author, entry.id
                )
            )
    return found


def _attachment_row(data: dict[str, Any], recorded_at: str, entry_id: str) -> AttachmentRow:
    name = next(
        (
            _text(data[k])
            for k in ("original_name", "name", "filename", "original_path")
            if data.get(k)
        ),
        "",
    )
    return AttachmentRow(
        name=name or "(unnamed file)",
        sha256=_text(data.get("sha256")),
        size=_text(data.get("size", data.get("bytes", ""))),
        note=_text(data.get("note")),
        recorded_at=recorded_at,
        entry_id=entry_id,
    )


def _incident_fields(data: dict[str, Any]) -> dict[str, Any]:
    nested = data.get("incident")
    return nested if isinstance(nested, dict) else data


def _incidents_and_attachments(
    session_id: str, entries: Sequence[Any], amendments: dict[str, list[AmendmentRow]]
) -> tuple[tuple[IncidentRow, ...], tuple[AttachmentRow, ...]]:
    """Incidents by when they happened (else when recorded); loose attachments by record time.

    Both belong to the person's whole record, so entries made outside any session are included.
    """
    incidents: list[IncidentRow] = []
    loose: list[AttachmentRow] = []
    attached_ids: set[str] = set()
    for entry in entries:
        if not _belongs(entry, session_id, unattached=True) or entry.kind != "incident":
            continue
        fields = _incident_fields(entry.data)
        files = []
        for raw in entry.data.get("attachments") or ():
            if isinstance(raw, dict):
                files.append(_attachment_row(raw, entry.recorded_at, _text(raw.get("entry"))))
                attached_ids.add(_text(raw.get("entry")))
            elif isinstance(raw, str):
                attached_ids.add(raw)
        incidents.append(
            IncidentRow(
                entry_id=entry.id,
                when=_text(fields.get("when")),
                recorded_at=entry.recorded_at,
                author=entry.author,
                what=_text(fields.get("what")),
                where=_text(fields.get("where")),
                how=_text(fields.get("how")),
                who=_text(fields.get("who")),
                witnesses=_text(fields.get("witnesses")),
                impact=_text(fields.get("impact")),
                police_ref=_text(fields.get("police_ref")),
                attachments=tuple(files),
                amendments=tuple(amendments.get(entry.id, ())),
            )
        )
    by_id = {row.entry_id: row for row in incidents}
    for entry in entries:
        if entry.kind != "attachment" or not _belongs(entry, session_id, unattached=True):
            continue
        row = _attachment_row(entry.data, entry.recorded_at, entry.id)
        owner = _text(entry.data.get("incident"))
        if owner in by_id:
            incident = by_id[owner]
            by_id[owner] = dataclasses.replace(incident, attachments=(*incident.attachments, row))
        elif entry.id not in attached_ids:
            loose.append(row)
    ordered = sorted(
        by_id.values(), key=lambda r: (_moment(r.when or r.recorded_at), r.recorded_at)
    )
    return tuple(ordered), tuple(loose)


def _moment(text: str) -> str:
    """An ISO time as a sortable UTC string; unparsable times sort by their text."""
    import datetime as dt

    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text
    if moment.tzinfo is None:
        moment = moment.astimezone()
    return moment.astimezone(dt.timezone.utc).isoformat()


def _log_notes(session_id: str, entries: Sequence[Any]) -> tuple[NoteRow, ...]:
    return tuple(
        NoteRow(_text(entry.data.get("text")), entry.author, entry.recorded_at, entry.id)
        for entry in entries
        if entry.kind == "note" and _belongs(entry, session_id, unattached=True)
    )


def _caseworker_notes(session: Session, items: dict[str, Any]) -> tuple[NoteRow, ...]:
    rows = []
    for note in session.caseworker_notes:
        about = "the whole session"
        if note.item_id:
            item = items.get(note.item_id)
            about = f"{item.title} ({note.item_id})" if item else note.item_id
        rows.append(NoteRow(note.text, note.author, note.written_at, about))
    return tuple(rows)


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
    summaries = list(session.scans)
    summaries += [e.data for e in entries if e.kind == "scan" and e.session == session.id]
    for summary in summaries:
        for limit in summary.get("limits") or ():
            if isinstance(limit, str) and limit not in limits:
                limits.append(limit)
    return tuple(limits)


def _sources(data_dir: DataDir, session: Session, entries: Sequence[Any]) -> tuple[SourceRow, ...]:
    """The indicator sources this session's scans used, then the other installed ones."""
    scans = [
        *session.scans,
        *(e.data for e in entries if e.kind == "scan" and e.session == session.id),
    ]
    used: list[dict[str, Any]] = [
        source
        for scan in scans
        for source in scan.get("indicators") or ()
        if isinstance(source, dict) and source.get("id")
    ]
    installed = _installed_sources(data_dir)
    rows: dict[str, SourceRow] = {}
    for source, was_used in [*((s, True) for s in used), *(({"id": i}, False) for i in installed)]:
        source_id = _text(source.get("id"))
        info = {**installed.get(source_id, {}), **KNOWN_SOURCES.get(source_id, {})}

        def pick(name: str, source=source, info=info) -> str:
            return info.get(name) or _text(source.get(name))

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


# --- redaction ---------------------------------------------------------------------------------


def redaction_values(data: ReportData, session: Session) -> tuple[str, ...]:
    """Every value `--redact` must keep out: client reference, user and host names, file paths."""
    values: set[str] = set()
    if session.caseworker:
        values.update((session.caseworker.client_ref, session.caseworker.name))
    for row in data.findings:
        values.update((row.username, row.exe, row.cmdline))
        values.update(value for _, value in row.detail if _looks_like_path(value))
    for scan in session.scans:
        values.add(_text(scan.get("host")))
    for row in data.attachments + tuple(a for i in data.incidents for a in i.attachments):
        values.add(row.name)
    values.add(socket.gethostname())
    return tuple(sorted((v for v in values if len(v.strip()) >= 2), key=len, reverse=True))


def _looks_like_path(value: str) -> bool:
    return "/" in value or "\\" in value


def _scrubber(values: Sequence[str]):
    if not values:
        return lambda text: text
    pattern = re.compile(
        "|".join(
            rf"(?<![\w]){re.escape(v)}(?![\w])" if v.isalnum() else re.escape(v) for v in values
        ),
        re.IGNORECASE,
    )
    return lambda text: pattern.sub(REDACTED, text)


def _scrub(value: Any, scrub) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, tuple):
        return tuple(_scrub(part, scrub) for part in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _scrub(getattr(value, f.name), scrub) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    return value


def redact_report(data: ReportData, session: Session) -> ReportData:
    """Blank the fields that name people, machines and files, then scrub their values everywhere."""
    values = redaction_values(data, session)
    details = data.session
    if details.mode == "caseworker":
        details = dataclasses.replace(details, caseworker=REDACTED, client_ref=REDACTED)
    findings = tuple(
        dataclasses.replace(
            row,
            username=REDACTED if row.username else "",
            exe=REDACTED if row.exe else "",
            cmdline=REDACTED if row.cmdline else "",
            detail=tuple((k, REDACTED if _looks_like_path(v) else v) for k, v in row.detail),
        )
        for row in data.findings
    )
    blanked = dataclasses.replace(data, session=details, findings=findings)
    return _scrub(blanked, _scrubber(values))
