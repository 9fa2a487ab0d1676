"""The report as a document: sections of records of labelled fields, shared by every renderer.

`ReportData` says what is true; `layout` decides the order, the headings and the wording once,
so HTML, PDF, Markdown and plain text differ only in how they draw the same blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from devicecheck.core.report.model import (
    AttachmentRow,
    FindingRow,
    IncidentRow,
    ReportData,
)

STEP_LABELS = {
    "walkthrough": "the guided checks",
    "scan": "the scan of this computer",
    "evidence": "saving to the evidence log",
    "report": "producing this report",
}


@dataclass(frozen=True)
class Field:
    label: str
    value: str
    mono: bool = False  # hashes, paths and commands: monospace, shown exactly


@dataclass(frozen=True)
class Record:
    heading: str
    fields: tuple[Field, ...] = ()
    text: str = ""  # free text (a note), shown as written
    tone: str = ""  # high | medium | low | unsure | "" (for colour and labels)


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    paragraphs: tuple[str, ...] = ()
    records: tuple[Record, ...] = ()
    empty: str = ""  # said when there are no records
    items: tuple[str, ...] = ()  # a plain bulleted list


@dataclass(frozen=True)
class Document:
    title: str
    generated_at: str
    session_id: str
    banner: tuple[str, ...]
    sections: tuple[Section, ...]


def _fields(*pairs: tuple[str, str] | tuple[str, str, bool]) -> tuple[Field, ...]:
    """Fields with a value; empty values are left out rather than shown blank."""
    return tuple(Field(*pair) for pair in pairs if pair[1])


def layout(data: ReportData) -> Document:
    banner = [f"{data.help.emergency}"]
    if data.redacted:
        banner.append(
            "Redacted copy: client reference, people's and computers' names and file paths are "
            "left out. The full report stays with the case."
        )
    sections = (
        _session_section(data),
        _summary_section(data),
        _answers_section(data),
        _findings_section(data),
        _incidents_section(data),
        _attachments_section(data),
        _notes_section(data),
        _actions_section(data),
        _help_section(data),
        Section("limits", "What these checks cannot rule out", items=data.limits),
        _sources_section(data),
        _integrity_section(data),
    )
    return Document(data.title, data.generated_at, data.session.id, tuple(banner), sections)


def _session_section(data: ReportData) -> Section:
    s = data.session
    details = Record(
        "Session",
        _fields(
            ("Session", s.id, True),
            ("Kind", "with a caseworker" if s.mode == "caseworker" else "the person alone"),
            ("Started", s.created_at),
            ("Last saved", s.updated_at),
            ("Ended", s.ended_at or "not ended"),
            ("Region", s.region),
            ("Devices and platforms", ", ".join(s.platforms) or "all"),
            ("Organisation", s.organisation or ""),
            ("Caseworker", s.caseworker or ""),
            ("Client reference", s.client_ref or ""),
            ("Devices examined", "; ".join(s.devices)),
        ),
    )
    consents = tuple(
        Record(
            f"Consent for {STEP_LABELS.get(c.step, c.step)}: {c.answer}",
            _fields(("Recorded", c.recorded_at), ("Recorded by", c.recorded_by)),
            text=f"What was explained: {c.explained}" if c.explained else "",
            tone="" if c.answer == "given" else "unsure",
        )
        for c in data.consents
    )
    paragraphs = (f"Report made {data.generated_at}.",)
    return Section("session", "Session details", paragraphs, (details, *consents))


def _summary_section(data: ReportData) -> Section:
    items = tuple(
        f"{row.severity.capitalize()}: {row.total} "
        f"({row.checklist} from the checklists, {row.scan} from the scan)"
        for row in data.summary
    )
    items += (f"Not sure: {data.unsure_count} checklist answer(s) worth a second look",)
    total = sum(row.total for row in data.summary)
    paragraph = (
        f"{total} concern(s) in all."
        if total
        else "These checks found no concerns. That does not "
        "mean nobody is watching: see what the checks cannot rule out."
    )
    return Section("summary", "Summary of concerns by severity", (paragraph,), items=items)


def _answers_section(data: ReportData) -> Section:
    records = tuple(
        Record(
            f"{row.label}: {row.title}",
            _fields(
                ("Question", row.question),
                (
                    "Item",
                    f"{row.checklist_id}/{row.item_id}" if row.checklist_id else row.item_id,
                    True,
                ),
                ("Severity", row.severity),
                ("Answered", row.answered_at),
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
        empty="No checklist questions were answered in this session.",
    )


def _answer_tone(value: str, severity: str) -> str:
    if value == "yes":
        return severity or "medium"
    return "unsure" if value == "unsure" else ""


def _finding_record(row: FindingRow) -> Record:
    process = f"{row.process_name} (pid {row.pid})" if row.pid else row.process_name
    detail = tuple((name.replace("_", " ").capitalize(), value, True) for name, value in row.detail)
    return Record(
        f"{row.app}: {row.category or row.kind} ({row.severity or 'unknown'} severity)",
        _fields(
            ("Found as", row.kind),
            ("What matched", row.matched, True),
            ("Confidence", row.confidence),
            ("Process", process),
            ("Started", row.started_at),
            ("User", row.username),
            ("Program file", row.exe, True),
            ("Command line", row.cmdline, True),
            ("SHA-256", row.exe_sha256, True),
            *detail,
            ("Indicator source", row.source),
            ("Recorded", row.recorded_at),
            ("Evidence entry", row.entry_id, True),
        ),
        text=row.advice,
        tone=row.severity,
    )


def _findings_section(data: ReportData) -> Section:
    return Section(
        "findings",
        "Scan findings",
        (
            "What the scan of this computer matched against known monitoring software, with the "
            "evidence for each match.",
        ),
        tuple(_finding_record(row) for row in data.findings),
        empty="The scans in this session matched no known monitoring software (or no scan was "
        "run). That does not rule monitoring out.",
    )


def _attachment_fields(row: AttachmentRow) -> tuple[Field, ...]:
    return _fields(
        ("File", row.name, True),
        ("SHA-256", row.sha256, True),
        ("Size (bytes)", row.size),
        ("Note", row.note),
        ("Recorded", row.recorded_at),
        ("Evidence entry", row.entry_id, True),
    )


def _incident_record(row: IncidentRow) -> Record:
    fields = _fields(
        ("When it happened", row.when or "not given"),
        ("Recorded", row.recorded_at),
        ("Where", row.where),
        ("How", row.how),
        ("Who", row.who),
        ("Witnesses", row.witnesses),
        ("Impact", row.impact),
        ("Police reference", row.police_ref),
        ("Recorded by", row.author),
        ("Evidence entry", row.entry_id, True),
    )
    for number, attachment in enumerate(row.attachments, 1):
        fields += _fields(
            (f"Attachment {number}", attachment.name, True),
            (f"Attachment {number} SHA-256", attachment.sha256, True),
        )
    for amendment in row.amendments:
        fields += (
            Field(f"Correction ({amendment.recorded_at}, {amendment.author})", amendment.note),
        )
    return Record(row.what or "(no description)", fields)


def _incidents_section(data: ReportData) -> Section:
    return Section(
        "incidents",
        "Incidents, in the order they happened",
        (
            "From the evidence log: this session's incidents and those recorded outside any "
            "session. Corrections are later entries, shown with the incident they correct.",
        ),
        tuple(_incident_record(row) for row in data.incidents),
        empty="No incidents are recorded in the evidence log.",
    )


def _attachments_section(data: ReportData) -> Section:
    return Section(
        "attachments",
        "Attachments",
        (
            "Files kept in the evidence log. The SHA-256 fingerprint shows a copy is identical to "
            "the one recorded.",
        ),
        tuple(Record(row.name, _attachment_fields(row)) for row in data.attachments),
        empty="No other files are attached (files attached to an incident are listed with it).",
    )


def _notes_section(data: ReportData) -> Section:
    records = tuple(
        Record(
            f"Caseworker note on {note.about}",
            _fields(("By", note.author), ("Written", note.written_at)),
            note.text,
        )
        for note in data.caseworker_notes
    )
    records += tuple(
        Record(
            "Note in the evidence log",
            _fields(
                ("By", note.author),
                ("Recorded", note.written_at),
                ("Evidence entry", note.about, True),
            ),
            note.text,
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
    records = tuple(
        Record(
            f"{number}. {step.what}",
            _fields(
                ("Who", step.who),
                ("By", step.by_when),
                ("Caution", step.caution),
                ("Agreed", step.agreed_at),
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


def _help_section(data: ReportData) -> Section:
    help_rows = data.help
    items = (help_rows.emergency, *help_rows.emergency_notes)
    items += tuple(
        f"{line.name}: {line.number}. {line.about}" + (f" {line.hours}." if line.hours else "")
        for line in help_rows.lines
    )
    return Section("help", f"Help: {help_rows.region}", items=items)


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


def _integrity_section(data: ReportData) -> Section:
    integrity = data.integrity
    fields = _fields(
        ("State", "intact" if integrity.ok else "NOT INTACT")
        if integrity.exists
        else ("State", "no log yet"),
        ("Entries", str(integrity.entries)),
        ("Head hash", integrity.head_hash or "none", True),
        ("First bad entry", integrity.first_bad),
        ("Check it again with", integrity.command, True),
    )
    return Section(
        "integrity",
        "Evidence log integrity",
        (
            integrity.words,
            "Anyone with the data folder can run the command below; it recomputes every hash and "
            "prints the same head hash if nothing has changed since this report was made.",
        ),
        (Record("Evidence log", fields, tone="" if integrity.ok else "high"),),
    )
