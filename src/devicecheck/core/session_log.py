"""The whole session in the evidence chain: answers, consents, caseworker notes and actions.

The session file is the working copy; the evidence log is the record. Each of these session
items is appended to the log as it is given, linked to the session, under its own kind:

| kind | data |
| --- | --- |
| `answer` | `item_id`, `value`, `note`, `answered_at` |
| `consent` | `step`, `explained`, `answer`, `recorded_at`, `recorded_by`, `text` |
| `case-note` | `text`, `item_id` (null: the whole session), `written_at` |
| `action` | `what`, `who`, `by_when`, `caution`, `agreed_at` |

When the log may be kept (`may_keep_evidence`):
- a session of the person alone: always. Their answers are evidence they chose to record, and
  the session file already holds the same words on this computer, so the log adds no exposure;
- a caseworker session: only while the client's latest "evidence" consent is "given". A consent
  change is also written when it withdraws that agreement, so the withdrawal is on record.
  When the agreement is first given, the items recorded before it are written then
  (`catch_up`), each keeping the time it was given in its data.

`item_key` is what a report matches on to say which session items are in the chain.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.sessions import (
    ActionStep,
    Answer,
    CaseworkerNote,
    Consent,
    Session,
    SessionStore,
)
from devicecheck.errors import DeviceCheckError

CHAIN_KINDS = ("answer", "consent", "case-note", "action")


class NotInLog(DeviceCheckError):
    """The session item is saved in the session file, but the evidence log refused it."""


def may_keep_evidence(session: Session) -> bool:
    """Whether this session's items may be written to the evidence log."""
    if session.mode != "caseworker":
        return True
    consent = session.consent_for("evidence")
    return consent is not None and consent.answer == "given"


def answer_data(item_id: str, answer: Answer) -> dict[str, Any]:
    return {
        "item_id": item_id,
        "value": answer.value,
        "note": answer.note,
        "answered_at": answer.answered_at,
    }


def consent_data(consent: Consent, text: str) -> dict[str, Any]:
    return {
        "step": consent.step,
        "explained": consent.explained,
        "answer": consent.answer,
        "recorded_at": consent.recorded_at,
        "recorded_by": consent.recorded_by,
        "text": text,
    }


def note_data(note: CaseworkerNote) -> dict[str, Any]:
    return {"text": note.text, "item_id": note.item_id, "written_at": note.written_at}


def action_data(step: ActionStep) -> dict[str, Any]:
    return {
        "what": step.what,
        "who": step.who,
        "by_when": step.by_when,
        "caution": step.caution,
        "agreed_at": step.agreed_at,
    }


def item_key(kind: str, data: dict[str, Any]) -> tuple[str, ...] | None:
    """What identifies one session item, from a log entry's kind and data (None: not one)."""
    if kind == "note" and isinstance(data.get("consent"), dict):
        kind, data = "consent", data["consent"]  # how consent was logged before its own kind
    fields = {
        "answer": ("item_id", "value", "answered_at"),
        "consent": ("step", "answer", "recorded_at"),
        "case-note": ("written_at", "text"),
        "action": ("agreed_at", "what"),
    }.get(kind)
    if fields is None:
        return None
    return (kind, *(str(data.get(name)) for name in fields))


def session_items(session: Session) -> Iterator[tuple[str, dict[str, Any], str]]:
    """(kind, data, author) for every item of the session that belongs in the chain."""
    caseworker = session.caseworker.name if session.caseworker else "self"
    for consent in session.consents:
        yield "consent", consent_data(consent, consent_text(consent)), consent.recorded_by
    for item_id, answer in session.answers.items():
        yield "answer", answer_data(item_id, answer), answer.author
    for note in session.caseworker_notes:
        yield "case-note", note_data(note), note.author
    for step in session.action_plan:
        yield "action", action_data(step), caseworker


def consent_text(consent: Consent) -> str:
    from devicecheck.core.casework import STEP_NAMES

    step = STEP_NAMES.get(consent.step, consent.step)
    return f"Consent for {step}: {consent.answer}. Explained: {consent.explained}"


def append_item(
    data_dir: DataDir,
    session: Session,
    kind: str,
    data: dict[str, Any],
    author: str,
    *,
    force: bool = False,
) -> Any:
    """Append one session item when the log may be kept (or `force`); the entry, or None."""
    if not (force or may_keep_evidence(session)):
        return None
    from devicecheck.core.evidence import EvidenceLog

    try:
        with EvidenceLog(data_dir) as log:
            return log.append(kind, data, session=session.id, author=author)
    except DeviceCheckError as error:
        raise NotInLog(
            f"saved in session {session.id}, but not added to the evidence log: {error.message}"
        ) from None


def record_answer(
    data_dir: DataDir, session: Session, item_id: str, value: str, note: str = ""
) -> Answer:
    """Record an answer in the session, save it, then add it to the evidence log when allowed.

    Raises `NotInLog` (after the session is saved) when the log refused the entry; the walk
    can say so and go on.
    """
    answer = session.record_answer(item_id, value, note)
    SessionStore(data_dir).save(session)
    append_item(data_dir, session, "answer", answer_data(item_id, answer), answer.author)
    return answer


def catch_up(data_dir: DataDir, session: Session) -> int:
    """Write every item of the session that the log does not hold yet; how many were written."""
    if not may_keep_evidence(session):
        return 0
    from devicecheck.core.evidence import EvidenceLog

    with EvidenceLog(data_dir) as log:
        held = chain_keys(log.entries(session=session.id))
    written = 0
    for kind, data, author in session_items(session):
        if item_key(kind, data) not in held:
            append_item(data_dir, session, kind, data, author)
            written += 1
    return written


def chain_keys(entries: Iterable[Any]) -> set[tuple[str, ...]]:
    return {key for entry in entries if (key := item_key(entry.kind, entry.data)) is not None}


def unsessioned_warning(data_dir: DataDir) -> str | None:
    """What to say when evidence is added without a session on a computer that holds more than
    one caseworker session: an entry with no session is left out of every session's report."""
    listing = SessionStore(data_dir).list()
    clients = [s for s in listing.sessions if s.mode == "caseworker"]
    if len(clients) < 2:
        return None
    return (
        f"this data folder holds {len(clients)} caseworker sessions and this entry names none: "
        "it will not appear in any client's report (add --session ID to link it; "
        "`devicecheck session list` shows them)"
    )
