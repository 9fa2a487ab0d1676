"""Sessions: one sitting of the walkthrough, alone or with a caseworker, saved as it goes.

A session is a JSON file under `<data dir>/sessions/`, replaced atomically on every save, so a
crash leaves the last saved state. The session holds answers and working notes; the evidence
log (devicecheck.core.evidence) is the permanent, append-only record.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from devicecheck.core.clock import utc_now
from devicecheck.core.datadir import DataDir
from devicecheck.core.protection import keys_for, read_private, write_private
from devicecheck.core.textsafety import without_surrogates
from devicecheck.errors import DeviceCheckError, InvalidDataError

FORMAT_VERSION = 1
MODES = ("self", "caseworker")
SESSION_PATHS = ("areas", "essentials")
ANSWER_VALUES = ("yes", "no", "unsure", "skip")
ANSWER_LABELS = {
    "yes": "Found a concern",
    "no": "No concern",
    "unsure": "Not sure",
    "skip": "Skipped",
}
CONSENT_STEPS = ("walkthrough", "scan", "evidence", "report", "phone-scan")
CONSENT_ANSWERS = ("given", "declined")
SELF = "self"
_SESSION_ID = re.compile(r"^[0-9]{8}-[0-9a-f]{6}$")


def _plain(value: Any) -> Any:
    """A session field as JSON-ready data: the frozen records as dicts, containers copied."""
    if isinstance(value, (Answer, CaseworkerDetails, Consent, CaseworkerNote, ActionStep)):
        return dict(vars(value))
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value


class SessionError(InvalidDataError):
    """A session file is missing, unreadable or not a valid session."""


@dataclass(frozen=True)
class Answer:
    value: str  # one of ANSWER_VALUES; "yes" means the person found a concern
    answered_at: str
    author: str = SELF
    note: str = ""


@dataclass(frozen=True)
class CaseworkerDetails:
    name: str
    organisation: str
    client_ref: str
    devices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Consent:
    step: str  # one of CONSENT_STEPS
    explained: str  # what the client was told
    answer: str  # "given" or "declined"
    recorded_at: str
    recorded_by: str


@dataclass(frozen=True)
class CaseworkerNote:
    text: str
    written_at: str
    author: str
    item_id: str | None = None  # None: a note on the whole session


@dataclass(frozen=True)
class ActionStep:
    what: str
    who: str
    by_when: str
    caution: str
    agreed_at: str


@dataclass
class Session:
    """Everything about one sitting. Mutate through the methods, then `SessionStore.save`."""

    id: str
    mode: str
    created_at: str
    updated_at: str
    region: str = "GB"
    platforms: list[str] = field(default_factory=list)
    checklists: list[str] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    caseworker: CaseworkerDetails | None = None
    consents: list[Consent] = field(default_factory=list)
    caseworker_notes: list[CaseworkerNote] = field(default_factory=list)
    action_plan: list[ActionStep] = field(default_factory=list)
    findings: list[dict[str, Any]] = field(default_factory=list)
    scans: list[dict[str, Any]] = field(default_factory=list)
    ended_at: str | None = None
    path: str = "areas"  # which questions: "areas" (the chosen areas) or "essentials"

    @property
    def author(self) -> str:
        """Who is answering: the person themself, even in a caseworker session."""
        return SELF

    def record_answer(self, item_id: str, value: str, note: str = "", author: str = SELF) -> Answer:
        if value not in ANSWER_VALUES:
            raise DeviceCheckError(f"answer must be one of {', '.join(ANSWER_VALUES)}")
        answer = Answer(value=value, answered_at=utc_now(), author=author, note=note.strip())
        self.answers[item_id] = answer
        return answer

    def record_consent(self, step: str, explained: str, answer: str, recorded_by: str) -> Consent:
        if step not in CONSENT_STEPS:
            raise DeviceCheckError(f"consent step must be one of {', '.join(CONSENT_STEPS)}")
        if answer not in CONSENT_ANSWERS:
            raise DeviceCheckError("consent answer must be 'given' or 'declined'")
        consent = Consent(step, explained, answer, utc_now(), recorded_by)
        self.consents.append(consent)
        return consent

    def consent_for(self, step: str) -> Consent | None:
        """The latest consent recorded for a step, if any."""
        for consent in reversed(self.consents):
            if consent.step == step:
                return consent
        return None

    def add_caseworker_note(
        self, text: str, author: str, item_id: str | None = None
    ) -> CaseworkerNote:
        note = CaseworkerNote(
            text=text.strip(), written_at=utc_now(), author=author, item_id=item_id
        )
        self.caseworker_notes.append(note)
        return note

    def add_action(self, what: str, who: str, by_when: str, caution: str = "") -> ActionStep:
        step = ActionStep(what=what, who=who, by_when=by_when, caution=caution, agreed_at=utc_now())
        self.action_plan.append(step)
        return step

    def to_dict(self) -> dict[str, Any]:
        """The session as JSON-ready data, equal to what `dataclasses.asdict` gives, built
        directly (asdict deep-copies every value through `copy.deepcopy`, the bulk of a
        save's work before the write)."""
        data = {item.name: _plain(getattr(self, item.name)) for item in fields(self)}
        data["format_version"] = FORMAT_VERSION
        return data

    def summary(self) -> dict[str, Any]:
        """The short form used by `session list --json`."""
        counts = {value: 0 for value in ANSWER_VALUES}
        for answer in self.answers.values():
            counts[answer.value] += 1
        return {
            "id": self.id,
            "mode": self.mode,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "answers": counts,
            "client_ref": self.caseworker.client_ref if self.caseworker else None,
        }


def new_session_id(now: dt.datetime | None = None) -> str:
    moment = now or dt.datetime.now(dt.timezone.utc)
    return f"{moment:%Y%m%d}-{secrets.token_hex(3)}"


# --- parsing a stored session (outside input: every field is checked) ---------------------------


def session_from_dict(data: Any) -> Session:
    """Build a Session from parsed JSON; raise SessionError (without a file name) if invalid."""
    reader = _Reader(data, "session")
    version = reader.optional_int("format_version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise SessionError(f"unsupported session format version {version}")
    session_id = reader.text("id")
    if not _SESSION_ID.match(session_id):
        raise SessionError(f"session id {session_id!r} is not valid")
    mode = reader.text("mode")
    if mode not in MODES:
        raise SessionError(f"session mode {mode!r} is not one of {', '.join(MODES)}")
    answers: dict[str, Answer] = {}
    for item_id, raw in reader.mapping("answers").items():
        answer_reader = _Reader(raw, f"answer to {item_id}")
        value = answer_reader.text("value")
        if value not in ANSWER_VALUES:
            raise SessionError(f"answer to {item_id} has unknown value {value!r}")
        answers[item_id] = Answer(
            value=value,
            answered_at=answer_reader.text("answered_at"),
            author=answer_reader.text("author"),
            note=answer_reader.text("note", allow_empty=True),
        )
    caseworker_raw = reader.optional("caseworker")
    caseworker = None
    if caseworker_raw is not None:
        details = _Reader(caseworker_raw, "caseworker")
        caseworker = CaseworkerDetails(
            name=details.text("name"),
            organisation=details.text("organisation", allow_empty=True),
            client_ref=details.text("client_ref", allow_empty=True),
            devices=tuple(details.text_list("devices")),
        )
    return Session(
        id=session_id,
        mode=mode,
        created_at=reader.text("created_at"),
        updated_at=reader.text("updated_at"),
        region=reader.text("region"),
        platforms=reader.text_list("platforms"),
        checklists=reader.text_list("checklists"),
        answers=answers,
        caseworker=caseworker,
        consents=[_record(Consent, raw, "consent") for raw in reader.list("consents")],
        caseworker_notes=[
            _record(CaseworkerNote, raw, "caseworker note", optional=("item_id",))
            for raw in reader.list("caseworker_notes")
        ],
        action_plan=[_record(ActionStep, raw, "action step") for raw in reader.list("action_plan")],
        findings=[_Reader(raw, "finding").data for raw in reader.list("findings")],
        scans=[_Reader(raw, "scan").data for raw in reader.list("scans")],
        ended_at=reader.optional_text("ended_at"),
        path=_path(reader.optional_text("path")),
    )


def _path(value: str | None) -> str:
    if value is None:
        return "areas"
    if value not in SESSION_PATHS:
        raise SessionError(f"session path {value!r} is not one of {', '.join(SESSION_PATHS)}")
    return value


def _record(kind: type, raw: Any, what: str, optional: Iterable[str] = ()) -> Any:
    reader = _Reader(raw, what)
    optional = set(optional)
    values: dict[str, Any] = {}
    for name in kind.__dataclass_fields__:
        values[name] = reader.optional_text(name) if name in optional else reader.text(name, True)
    return kind(**values)


class _Reader:
    """Typed access to one JSON object, raising SessionError with the field's name."""

    def __init__(self, data: Any, what: str) -> None:
        if not isinstance(data, dict):
            raise SessionError(f"{what} must be a JSON object")
        self.data: dict[str, Any] = data
        self.what = what

    def optional(self, name: str) -> Any:
        return self.data.get(name)

    def text(self, name: str, allow_empty: bool = False) -> str:
        value = self.data.get(name)
        if not isinstance(value, str) or (not allow_empty and not value):
            raise SessionError(
                f"{self.what}: field {name!r} must be {'' if allow_empty else 'non-empty '}text"
            )
        return value

    def optional_text(self, name: str) -> str | None:
        value = self.data.get(name)
        if value is not None and not isinstance(value, str):
            raise SessionError(f"{self.what}: field {name!r} must be text or null")
        return value

    def optional_int(self, name: str, default: int) -> int:
        value = self.data.get(name, default)
        if not isinstance(value, int) or isinstance(value, bool):
            raise SessionError(f"{self.what}: field {name!r} must be a whole number")
        return value

    def list(self, name: str) -> list[Any]:
        value = self.data.get(name, [])
        if not isinstance(value, list):
            raise SessionError(f"{self.what}: field {name!r} must be a list")
        return value

    def text_list(self, name: str) -> list[str]:
        values = self.list(name)
        if not all(isinstance(value, str) for value in values):
            raise SessionError(f"{self.what}: field {name!r} must be a list of text")
        return list(values)

    def mapping(self, name: str) -> dict[str, Any]:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise SessionError(f"{self.what}: field {name!r} must be an object")
        return value


def parse_session_bytes(raw: bytes, source: str) -> Session:
    """Parse a stored session; every failure is a SessionError that names `source`."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise SessionError(f"{source}: not a readable session file ({_short(error)})") from None
    try:
        return session_from_dict(data)
    except SessionError as error:
        raise SessionError(f"{source}: {error.message}") from None


def _short(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    return text[:120]


# --- the store -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionListing:
    """What `list` found: the sessions that load, and one line per file that does not."""

    sessions: tuple[Session, ...]
    problems: tuple[str, ...]


class SessionStore:
    """Sessions on disk under `<data dir>/sessions/<id>.json`."""

    def __init__(self, data_dir: DataDir) -> None:
        self.data_dir = data_dir
        self.directory = data_dir.sessions

    def path_for(self, session_id: str) -> Path:
        if not _SESSION_ID.match(session_id):
            raise DeviceCheckError(
                f"{session_id!r} is not a session id (they look like 20261124-a1b2c3)"
            )
        return self.directory / f"{session_id}.json"

    def create(
        self,
        mode: str = "self",
        region: str = "GB",
        platforms: Iterable[str] = (),
        checklists: Iterable[str] = (),
        caseworker: CaseworkerDetails | None = None,
        path: str = "areas",
    ) -> Session:
        if mode not in MODES:
            raise DeviceCheckError(f"mode must be one of {', '.join(MODES)}")
        if mode == "caseworker" and caseworker is None:
            raise DeviceCheckError("a caseworker session needs the caseworker's details")
        now = utc_now()
        session = Session(
            id=new_session_id(),
            mode=mode,
            created_at=now,
            updated_at=now,
            region=region,
            platforms=list(platforms),
            checklists=list(checklists),
            caseworker=caseworker,
            path=_path(path),
        )
        while self.path_for(session.id).exists():
            session.id = new_session_id()
        self.save(session)
        return session

    def save(self, session: Session) -> None:
        self.data_dir.ensure(self.directory)
        session.updated_at = utc_now()
        document = without_surrogates(session.to_dict())  # bytes that were not UTF-8, as \xNN
        payload = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True)
        write_private(self.path_for(session.id), payload.encode("utf-8") + b"\n")

    def load(self, session_id: str) -> Session:
        path = self.path_for(session_id)
        try:
            raw = read_private(path)  # decrypted in a protected folder
        except FileNotFoundError:
            raise SessionError(f"no session {session_id} in {self.directory}") from None
        except OSError as error:
            raise SessionError(f"{path}: cannot read ({error.strerror or error})") from None
        session = parse_session_bytes(raw, str(path))
        if session.id != session_id:
            raise SessionError(f"{path}: holds session {session.id}, not {session_id}")
        return session

    def list(self) -> SessionListing:
        """Every session that loads, oldest first, and one problem line per file that does not."""
        if not self.directory.is_dir():
            return SessionListing((), ())
        keys_for(self.data_dir.root)  # a locked protected folder: one error, not one per file
        sessions: list[Session] = []
        problems: list[str] = []
        for path in sorted(self.directory.glob("*.json")):
            try:
                sessions.append(self.load(path.stem))
            except DeviceCheckError as error:
                message = error.message
                problems.append(message if str(path) in message else f"{path}: {message}")
        sessions.sort(key=lambda s: (s.created_at, s.id))
        return SessionListing(tuple(sessions), tuple(problems))

    def latest(self) -> Session:
        listing = self.list()
        if not listing.sessions:
            raise DeviceCheckError("there are no saved sessions yet")
        return max(listing.sessions, key=lambda s: (s.updated_at, s.id))

    def latest_readable(self) -> tuple[Session, tuple[str, ...]]:
        """The most recently saved session that loads, and one line for each session file
        written after it that could not be read (and so was skipped)."""
        chosen = self.latest()
        chosen_time = self.path_for(chosen.id).stat().st_mtime_ns
        skipped = []
        for path in sorted(self.directory.glob("*.json")):
            if path.stat().st_mtime_ns <= chosen_time or path.stem == chosen.id:
                continue
            try:
                self.load(path.stem)
            except DeviceCheckError as error:
                skipped.append(f"{path.name}: {error.message}")
        return chosen, tuple(skipped)
