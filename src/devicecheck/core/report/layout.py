"""The report as a document: numbered sections of tables, records and labelled fields.

`ReportData` says what is true; `layout` decides the order, the headings and the wording once,
so HTML, PDF, Markdown and plain text differ only in how they draw the same blocks. The order
is a police diary's: what this is and whether the record is intact, then the incidents (a
one-line-per-incident table first, full descriptions after), then the checks, the scan, notes,
the action plan, help, limits, sources, and a statement of truth with signatures.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from devicecheck.core.dates import format_moment
from devicecheck.core.finding_labels import category_label, kind_label
from devicecheck.core.report.model import (
    CLIENT_WORDS,
    PHONE_TARGET,
    AttachmentRow,
    FindingGroup,
    FindingRow,
    IncidentRow,
    ReportData,
    ScanRow,
)

STEP_LABELS = {
    "walkthrough": "the guided checks",
    "scan": "the scan of this computer",
    "evidence": "saving to the evidence log",
    "report": "producing this report",
    "phone-scan": "the check of a phone",
}
HOW_LABELS = {
    "in-person": "in person",
    "phone": "phone call",
    "text": "text message",
    "email": "email",
    "social-media": "social media",
    "device": "a device or app",
    "other": "other",
}
ALTERED = "ALTERED"
CHAIN_MARK = "From the evidence log"
SESSION_ONLY_MARK = "Session file only: not in the evidence log"
SHORT_WHAT = 70
_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


@dataclass(frozen=True)
class Field:
    label: str
    value: str
    mono: bool = False  # hashes, paths and commands: monospace, shown exactly


@dataclass(frozen=True)
class Image:
    jpeg: bytes
    caption: str


@dataclass(frozen=True)
class Record:
    heading: str
    fields: tuple[Field, ...] = ()
    text: str = ""  # free text (a note), shown as written
    tone: str = ""  # high | medium | low | unsure | "" (for colour and labels)
    images: tuple[Image, ...] = ()


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # relative column widths
    marked: tuple[bool, ...] = ()  # rows to draw as altered


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    records: tuple[Record, ...] = ()
    empty: str = ""  # said when there are no records, items or table rows
    items: tuple[str, ...] = ()  # a plain bulleted list
    table: Table | None = None
    number: int = 0
    keep_together: bool = False  # drawn on one page where it fits

    @property
    def heading(self) -> str:
        return f"{self.number}. {self.title}" if self.number else self.title


@dataclass(frozen=True)
class Document:
    title: str
    generated_at: str  # in words
    session_id: str
    banner: tuple[str, ...]  # page 1, under the title
    sections: tuple[Section, ...]
    alert: str = ""  # on page 1 and in every page footer when the log was altered
    footer: str = ""


def _fields(*pairs: tuple[str, str] | tuple[str, str, bool]) -> tuple[Field, ...]:
    """Fields with a value; empty values are left out rather than shown blank."""
    return tuple(Field(*pair) for pair in pairs if pair[1])


def layout(data: ReportData) -> Document:
    region = data.region_code
    builders = [
        _about_section,
        _integrity_section,
        _diary_table_section,
        _incidents_section,
        _summary_section,
        _answers_section,
        _scan_section,
        _phone_section,
        _attachments_section,
        _notes_section,
        _actions_section,
        _consent_section,
        _help_section,
        _limits_section,
        _sources_section,
        _signature_section,
    ]
    sections = [build(data) for build in builders]
    sections = [replace(s, number=n) for n, s in enumerate(sections, 1)]
    integrity_number = next(s.number for s in sections if s.id == "integrity")
    alert = ""
    if data.integrity.exists and not data.integrity.ok:
        alert = f"THIS EVIDENCE LOG HAS BEEN ALTERED: see section {integrity_number}"
    banner = [alert] if alert else []
    banner.append(data.help.emergency)
    if data.redacted and data.redaction:
        banner.append(
            "REDACTED COPY. Removed: "
            + "; ".join(data.redaction.removed)
            + ". Free text (notes, descriptions) may still identify people: read it before "
            "sharing. The full report stays with the case."
        )
    if data.include_unsessioned:
        banner.append(
            f"This report also includes {data.unsessioned_count} evidence entr"
            f"{'y' if data.unsessioned_count == 1 else 'ies'} recorded outside any session "
            "(--include-unsessioned); they may concern another person using this computer."
        )
    made = format_moment(data.generated_at, region)
    footer = f"devicecheck record, session {data.session.id}, made {made}"
    return Document(
        data.title, made, data.session.id, tuple(banner), tuple(sections), alert, footer
    )


def _when(data: ReportData, text: str, *, zone: bool = True) -> str:
    return format_moment(text, data.region_code, zone=zone)


def _author(author: str) -> str:
    """Who wrote an entry: "self", "client" and the like are the client."""
    return "the client" if author.strip().casefold() in CLIENT_WORDS else author


def _chain_note(in_chain: bool, applies: bool) -> str:
    if not applies:
        return ""
    return CHAIN_MARK if in_chain else SESSION_ONLY_MARK


# --- sections --------------------------------------------------------------------------------


def _about_section(data: ReportData) -> Section:
    s = data.session
    details = Record(
        "This record",
        _fields(
            ("Session", s.id, True),
            ("Kind", "with a caseworker" if s.mode == "caseworker" else "the person alone"),
            ("Started", _when(data, s.created_at)),
            ("Ended", _when(data, s.ended_at) if s.ended_at else "not ended"),
            ("Region", s.region),
            ("Organisation", s.organisation or ""),
            ("Caseworker", s.caseworker or ""),
            ("Client reference", s.client_ref or ""),
            ("Devices", "; ".join(s.devices)),
        ),
    )
    scope = (
        "This record holds the evidence of this session only."
        if not data.include_unsessioned
        else "This record holds this session's evidence and also entries recorded outside any "
        "session."
    )
    chain = (
        "Incidents, attachments, scan results and log notes come from the evidence log, a "
        "hash-chained record that shows whether anything was changed (see the integrity "
        "section). Checklist answers, consent, caseworker notes and the action plan are "
        "marked one by one: “From the evidence log”, or “Session file only” where the log "
        "holds no matching entry (the session file is a working copy that can be edited)."
    )
    paragraphs = [f"Made {_when(data, data.generated_at)} by devicecheck.", scope, chain]
    if data.chain.applies and data.chain.missing:
        paragraphs.append(
            f"{len(data.chain.missing)} session item(s) have no matching entry in the "
            "evidence log and rest on the session file alone: " + "; ".join(data.chain.missing)
        )
    return Section("about", "About this record", tuple(paragraphs), (details,))


def _integrity_section(data: ReportData) -> Section:
    integrity = data.integrity
    receipt = integrity.receipt
    state = "no evidence log yet"
    if integrity.exists:
        state = "intact" if integrity.ok else "NOT INTACT: ALTERED"
    fields = _fields(
        ("State", state),
        ("Entries checked", str(integrity.entries) if integrity.exists else ""),
        ("Where it fails", integrity.first_bad),
        (
            "Receipt: entry" if integrity.ok else "Receipt: entry (the last that checks out)",
            str(receipt.seq) if receipt else "",
        ),
        ("Receipt: hash", receipt.head_hash if receipt else "", True),
        ("Receipt: short form", receipt.short_form if receipt else "", True),
        ("Receipt: entry recorded", _when(data, receipt.recorded_at) if receipt else ""),
    )
    proves = (
        "What the receipt proves: if the log later still holds this entry with this hash, and "
        "every entry after it links back to it, then nothing up to this entry has been changed, "
        "removed or reordered since this record was made. Write the short form down or send it "
        "to someone you trust: a receipt kept away from this computer is what catches a log "
        "that was rebuilt or cut short."
    )
    cannot = (
        "What it cannot prove: that what was written was true, or that nothing was changed "
        "before the entry was written. A check without a receipt kept elsewhere shows only "
        "that the entries fit together; someone with the data folder could rebuild them."
    )
    again = (
        f"How to check again: `devicecheck log verify --receipt {receipt.short_form}` on the "
        "computer that holds the log; or, in an evidence pack, `python3 verify.py` in the "
        "unpacked folder."
        if receipt
        else "How to check again: `devicecheck log verify`."
    )
    paragraphs = (
        (integrity.words, proves, cannot, again) if integrity.exists else (integrity.words,)
    )
    return Section(
        "integrity",
        "Is the record intact?",
        paragraphs,
        (Record("Evidence log", fields, tone="" if integrity.ok else "high"),),
        keep_together=True,
    )


def _short(text: str, limit: int = SHORT_WHAT) -> str:
    first = text.strip().split("\n", 1)[0]
    for stop in (". ", "; "):
        if stop in first[:limit]:
            first = first[: first.index(stop, 0)]
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"


def _reported(row: IncidentRow) -> str:
    to = row.reported_to or ("police" if row.police_ref else "")
    return ", ref ".join(part for part in (to, row.police_ref) if part)


def _evidence_held(row: IncidentRow) -> str:
    if not row.attachments:
        return ""
    return f"{len(row.attachments)} file{'s' if len(row.attachments) > 1 else ''}"


def _diary_table_section(data: ReportData) -> Section:
    rows = tuple(
        (
            str(row.number),
            _when(data, row.when, zone=False) if row.when else "not given",
            row.where,
            (f"[{ALTERED}] " if row.altered else "")
            + _short(row.what)
            + (" [CORRECTED later: see the incident in full]" if row.amendments else ""),
            HOW_LABELS.get(row.how, row.how),
            row.witnesses,
            _evidence_held(row),
            _reported(row),
        )
        for row in data.incidents
    )
    table = Table(
        ("No.", "When", "Where", "What happened", "How", "Witnesses", "Evidence", "Reported to"),
        rows,
        (0.5, 2.0, 1.3, 3.0, 1.1, 1.3, 1.2, 1.4),
        tuple(row.altered for row in data.incidents),
    )
    return Section(
        "diary",
        "Incidents at a glance",
        ("One line per incident, in the order they happened; full descriptions follow.",)
        if data.incidents
        else (),
        table=table,
        empty="No incidents are recorded in the evidence log for this session.",
    )


def _attachment_lines(
    rows: tuple[AttachmentRow, ...],
) -> tuple[tuple[Field, ...], tuple[Image, ...]]:
    fields: tuple[Field, ...] = ()
    images: list[Image] = []
    for number, attachment in enumerate(rows, 1):
        fields += _fields(
            (f"File {number}", attachment.name, True),
            (f"File {number} SHA-256", attachment.sha256, True),
        )
        if attachment.thumbnail:
            images.append(Image(attachment.thumbnail, f"File {number}: {attachment.name}"))
    return fields, tuple(images)


def _incident_record(data: ReportData, row: IncidentRow) -> Record:
    fields = _fields(
        ("When it happened", _when(data, row.when, zone=False) if row.when else "not given"),
        ("Where", row.where),
        ("How", HOW_LABELS.get(row.how, row.how)),
        ("Who", row.who),
        ("Witnesses", row.witnesses),
        ("Impact", row.impact),
        ("Reported to", _reported(row)),
        ("Recorded", f"{_when(data, row.recorded_at)}, log entry {row.seq}"),
        ("Recorded by", _author(row.author)),
        ("Scope", "" if row.sessioned else "recorded outside any session"),
    )
    files, images = _attachment_lines(row.attachments)
    fields += files
    for amendment in row.amendments:
        who = _author(amendment.author)
        mark = f" [{ALTERED}]" if amendment.altered else ""
        fields += (
            Field(
                f"Correction ({_when(data, amendment.recorded_at)}, {who}){mark}", amendment.note
            ),
        )
    heading = f"Incident {row.number}: {_short(row.what, 60)}"
    if row.altered:
        heading = f"[{ALTERED}] {heading}"
    return Record(
        heading,
        fields,
        text=f"What happened: {row.what}",
        tone="high" if row.altered else "",
        images=images,
    )


def _incidents_section(data: ReportData) -> Section:
    return Section(
        "incidents",
        "Incidents in full",
        (
            "Each incident as recorded in the evidence log. Corrections are later entries, "
            "shown with the incident they correct; nothing is ever rewritten.",
        )
        if data.incidents
        else (),
        tuple(_incident_record(data, row) for row in data.incidents),
        empty="No incidents are recorded in the evidence log for this session.",
    )


def _summary_section(data: ReportData) -> Section:
    total = sum(row.total for row in data.summary)
    items: tuple[str, ...] = ()
    phone = any(s.target == PHONE_TARGET for s in data.scans) or any(
        f.target == PHONE_TARGET for f in data.findings
    )
    scans = "the scans of this computer and phone" if phone else "the scan"
    if total:
        items = tuple(
            f"{row.severity.capitalize()}: {row.total} "
            f"({row.checklist} from the checklists, {row.scan} from {scans})"
            for row in data.summary
        )
    if data.answers:
        items += (f"Not sure: {data.unsure_count} checklist answer(s) worth a second look",)
    return Section("summary", "Summary of concerns", (_summary_words(data, total),), items=items)


def _summary_words(data: ReportData, total: int) -> str:
    """What the counts add up to; never "no concerns" where nothing was looked at."""
    answered = [row for row in data.answers if row.value in ("yes", "no", "unsure")]
    checks = [
        "the scan of this computer" if any(s.target != PHONE_TARGET for s in data.scans) else "",
        "the phone check" if any(s.target == PHONE_TARGET for s in data.scans) else "",
    ]
    ran = " and ".join(c for c in checks if c)
    if total:
        return f"{total} concern(s) in all."
    if not answered and not ran:
        return (
            "No checks were answered and no scan was run in this session, so nothing can be "
            "said about concerns."
        )
    if not answered:
        return f"No checks were answered in this session; {ran} found nothing to report."
    if data.unsure_count:
        return (
            f"No concern was confirmed, but {data.unsure_count} answer(s) were “not sure”: "
            "look at them again. That does not mean nobody is watching."
        )
    return (
        "These checks found no concerns. That does not mean nobody is watching: see what the "
        "checks cannot rule out."
    )


def _answers_section(data: ReportData) -> Section:
    applies = data.chain.applies
    records = tuple(
        Record(
            f"{row.label}: {row.title}",
            _fields(
                ("Area", row.area),
                ("Question", row.question),
                ("Severity", row.severity),
                ("Answered", _when(data, row.answered_at)),
                ("Kept in", _chain_note(row.in_chain, applies)),
                ("The evidence log recorded instead", row.logged),
            ),
            text=f"Note: {row.note}" if row.note else "",
            tone=_answer_tone(row.value, row.severity),
        )
        for row in data.answers
    )
    return Section(
        "answers",
        "Checklist answers",
        ("Concerns found come first, then answers the person was not sure of.",),
        records,
        empty="No checks were answered in this session.",
    )


def _answer_tone(value: str, severity: str) -> str:
    if value == "yes":
        return severity or "medium"
    return "unsure" if value == "unsure" else ""


def _finding_record(data: ReportData, row: FindingRow) -> Record:
    process = f"{row.process_name} (process {row.pid})" if row.pid else row.process_name
    phone = row.target == PHONE_TARGET
    detail = tuple(
        (name.capitalize(), _detail_when(data, value), len(value) > 40)
        for name, value in row.detail
    )
    what = category_label(row.category) if row.category else kind_label(row.kind, phone=phone)
    heading = f"{row.app}: {what} ({row.severity or 'unknown'} severity)"
    if row.altered:
        heading = f"[{ALTERED}] {heading}"
    return Record(
        heading,
        _fields(
            ("Found as", kind_label(row.kind, phone=phone)),
            ("Found by", _found_by(data, row)),
            ("What matched", row.matched, len(row.matched) > 60),
            ("Confidence", row.confidence),
            ("Program", process),
            ("Started", _when(data, row.started_at)),
            ("User", row.username),
            ("Program file", row.exe, True),
            ("Command line", row.cmdline, True),
            ("SHA-256", row.exe_sha256, True),
            *detail,
            ("Indicator source", row.source),
            ("Recorded", f"{_when(data, row.recorded_at)}, log entry {row.seq}" if row.seq else ""),
        ),
        tone="high" if row.altered else row.severity,
    )


def _found_by(data: ReportData, row: FindingRow) -> str:
    """Which numbered scan or phone check (as the section lists them) found this."""
    phone = row.target == PHONE_TARGET
    scans = [s for s in data.scans if (s.target == PHONE_TARGET) == phone]
    for number, scan in enumerate(scans, 1):
        if row.scan_entry and scan.entry_id == row.scan_entry:
            return f"Phone check {number} ({scan.machine})" if phone else f"Scan {number}"
    return ""


def _detail_when(data: ReportData, value: str) -> str:
    """A detail that is a time ("2026-10-14 22:43:50", ISO 8601) written as a date."""
    return _when(data, value) if _MOMENT.match(value) else value


def _group_records(data: ReportData, groups: tuple[FindingGroup, ...]) -> tuple[Record, ...]:
    records: list[Record] = []
    for group in groups:
        count = len(group.findings)
        records.append(
            Record(
                f"What to do about the {count} finding{'s' if count > 1 else ''} below",
                text=group.advice or "No advice was recorded with these findings.",
            )
        )
        records += [_finding_record(data, row) for row in group.findings]
    return tuple(records)


def _scan_record(data: ReportData, row: ScanRow, number: int) -> Record:
    what = "Phone check" if row.target == PHONE_TARGET else "Scan"
    heading = f"{what} {number}: {_when(data, row.started_at)}"
    if row.interrupted:
        heading += " (INCOMPLETE)"
    if row.altered:
        heading = f"[{ALTERED}] {heading}"
    examined = ", ".join(f"{count} {label}" for label, count in row.examined)
    not_examined = "; ".join(f"{what}: {why}" for what, why in row.not_examined)
    indicators = "; ".join(f"{name} (version {v})" if v else name for name, v in row.indicators)
    return Record(
        heading,
        _fields(
            ("Phone" if row.target == PHONE_TARGET else "Computer", row.machine),
            ("System", row.platform),
            *((label.capitalize(), value) for label, value in row.device),
            ("Finished", _when(data, row.finished_at)),
            ("INCOMPLETE", row.interrupted),
            ("Examined", examined or "nothing was recorded as examined"),
            ("Not examined", not_examined or "nothing was left out"),
            ("Compared with", indicators),
            ("Findings", str(row.finding_count)),
            ("Log entry", str(row.seq) if row.seq else "session file only"),
        ),
        tone="high" if row.altered else "",
    )


def _scan_section(data: ReportData) -> Section:
    scans = [s for s in data.scans if s.target != PHONE_TARGET]
    records = tuple(_scan_record(data, row, n) for n, row in enumerate(scans, 1))
    findings = _group_records(data, data.finding_groups)
    paragraphs = [
        "What was looked at, what could not be, and what matched known monitoring "
        "software. Findings that share advice are listed under it once."
    ]
    if scans and not data.finding_groups:
        paragraphs.append(
            "The scans matched no known monitoring software. That does not rule monitoring out."
        )
    return Section(
        "scan",
        "Scan of this computer",
        tuple(paragraphs) if scans or findings else (),
        records + findings,
        empty="No scan of this computer was run in this session.",
    )


def _phone_section(data: ReportData) -> Section:
    scans = [s for s in data.scans if s.target == PHONE_TARGET]
    records = tuple(_scan_record(data, row, n) for n, row in enumerate(scans, 1))
    records += _group_records(data, data.phone_finding_groups)
    return Section(
        "phone",
        "Phone check",
        ("An Android phone read over USB; nothing on it was changed.",) if records else (),
        records,
        empty="No phone was checked in this session.",
    )


def _attachment_record(data: ReportData, row: AttachmentRow) -> Record:
    images = (Image(row.thumbnail, row.name),) if row.thumbnail else ()
    heading = f"[{ALTERED}] {row.name}" if row.altered else row.name
    return Record(
        heading,
        _fields(
            ("SHA-256", row.sha256, True),
            ("Size (bytes)", row.size),
            ("Note", row.note),
            ("Recorded", f"{_when(data, row.recorded_at)}, log entry {row.seq}"),
        ),
        tone="high" if row.altered else "",
        images=images,
    )


def _attachments_section(data: ReportData) -> Section:
    return Section(
        "attachments",
        "Other files kept as evidence",
        (
            "The SHA-256 fingerprint shows a copy is identical to the one recorded. Images are "
            "shown small; the full files are in the evidence pack.",
        )
        if data.attachments
        else (),
        tuple(_attachment_record(data, row) for row in data.attachments),
        empty="No other files are attached (files attached to an incident are listed with it).",
    )


def _notes_section(data: ReportData) -> Section:
    applies = data.chain.applies
    records = tuple(
        Record(
            f"Caseworker note on {note.about}",
            _fields(
                ("By", note.author),
                ("Written", _when(data, note.written_at)),
                ("Kept in", _chain_note(note.in_chain, applies)),
            ),
            note.text,
        )
        for note in data.caseworker_notes
    )
    records += tuple(
        Record(
            f"[{ALTERED}] Note" if note.altered else "Note",
            _fields(
                ("By", _author(note.author)),
                ("Recorded", f"{_when(data, note.written_at)}, log entry {note.seq}"),
                ("Scope", "" if note.sessioned else "recorded outside any session"),
            ),
            note.text,
            tone="high" if note.altered else "",
        )
        for note in data.log_notes
    )
    return Section(
        "notes",
        "Notes",
        ("Caseworker notes are the caseworker's own words, kept apart from the person's answers.",),
        records,
        empty="No notes.",
    )


def _actions_section(data: ReportData) -> Section:
    applies = data.chain.applies
    records = tuple(
        Record(
            f"{number}. {step.what}",
            _fields(
                ("Who", step.who),
                ("By", format_moment(step.by_when, data.region_code, time=False)),
                ("Caution", step.caution),
                ("Agreed", _when(data, step.agreed_at)),
                ("Kept in", _chain_note(step.in_chain, applies)),
            ),
        )
        for number, step in enumerate(data.action_plan, 1)
    )
    return Section(
        "actions",
        "Action plan",
        (
            "Before removing anyone's access, changing a password, deleting an app or turning off a "
            "tracker: the other person may notice. Record it first and talk to a helpline.",
        ),
        records,
        empty="No next steps were agreed in this session.",
    )


def _consent_section(data: ReportData) -> Section:
    applies = data.chain.applies
    records = tuple(
        Record(
            f"Consent for {STEP_LABELS.get(c.step, c.step)}: {c.answer}",
            _fields(
                ("Recorded", _when(data, c.recorded_at)),
                ("Recorded by", c.recorded_by),
                ("Kept in", _chain_note(c.in_chain, applies)),
            ),
            text=f"What was explained: {c.explained}" if c.explained else "",
            tone="" if c.answer == "given" else "unsure",
        )
        for c in data.consents
    )
    return Section(
        "consent",
        "Consent",
        (),
        records,
        empty="The person acted for themself; no consent was needed."
        if data.session.mode != "caseworker"
        else "No consent was recorded.",
    )


def _help_section(data: ReportData) -> Section:
    help_rows = data.help
    items = (help_rows.emergency, *help_rows.emergency_notes)
    items += tuple(
        f"{line.name}: {line.number}. {line.about}" + (f" {line.hours}." if line.hours else "")
        for line in help_rows.lines
    )
    return Section("help", f"Help: {help_rows.region}", items=items)


def _limits_section(data: ReportData) -> Section:
    return Section("limits", "What these checks cannot rule out", items=data.limits)


def _sources_section(data: ReportData) -> Section:
    records = tuple(
        Record(
            row.name,
            _fields(
                ("Licence", row.licence),
                ("Attribution", row.attribution),
                ("Where", row.url),
                ("Version", row.version, True),
                ("Used by this session's scans", "yes" if row.used else "no (installed)"),
            ),
        )
        for row in data.sources
    )
    return Section(
        "sources",
        "Indicator sources and licences",
        ("The lists of known monitoring software the scan compares against, and their licences.",),
        records,
    )


def _signature_section(data: ReportData) -> Section:
    blank = "_" * 34
    signers = [("Client", "the person this record is about")]
    if data.session.mode == "caseworker":
        signers.append(("Caseworker", "who helped make this record"))
    records = tuple(
        Record(
            f"{who} ({about})",
            (
                Field("Signed", blank),
                Field("Name", blank),
                Field("Date", blank),
            ),
        )
        for who, about in signers
    )
    return Section(
        "statement",
        "Statement of truth",
        (
            "I believe that the facts stated in this record are true. The incidents are described "
            "as I remember them and as recorded at the time shown.",
        ),
        records,
        keep_together=True,
    )
