"""Caseworker-assisted sessions: consent before each step, the caseworker's notes, the action plan.

Consent is recorded per step (walkthrough, scan, evidence, report) before the step happens.
`require_consent` is the one gate every step calls; in a session without a caseworker it lets
everything through, because the person is acting for themself. Consents (and their withdrawal),
caseworker notes and action-plan items are also written to the evidence log as they are given,
when the client has agreed to it being kept (`core.session_log` holds the rule and the entry
shapes), so the record shows what was agreed and when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from devicecheck.core.datadir import DataDir
from devicecheck.core.dates import format_moment
from devicecheck.core.session_log import (
    action_data,
    append_item,
    catch_up,
    consent_data,
    consent_text,
    may_keep_evidence,
    note_data,
)
from devicecheck.core.sessions import (
    CONSENT_STEPS,
    ActionStep,
    CaseworkerNote,
    Consent,
    Session,
    SessionStore,
    utc_now,
)
from devicecheck.errors import DeviceCheckError

STEP_NAMES = {
    "walkthrough": "the guided checks",
    "scan": "the scan of this computer",
    "evidence": "saving to the evidence log",
    "report": "producing a report",
    "phone-scan": "the check of an Android phone",
}


def require_consent(session: Session, step: str) -> None:
    """Raise DeviceCheckError unless this step may go ahead in this session.

    A caseworker session needs the client's latest consent for the step to be "given".
    """
    if step not in CONSENT_STEPS:
        raise DeviceCheckError(f"consent step must be one of {', '.join(CONSENT_STEPS)}")
    if session.mode != "caseworker":
        return
    consent = session.consent_for(step)
    how = (
        f"explain it, then record the answer: devicecheck session consent {session.id} "
        f'--step {step} --explained "WHAT YOU SAID" --answer given'
    )
    if consent is None:
        raise DeviceCheckError(
            f"no consent recorded for {STEP_NAMES[step]} in caseworker session {session.id}; {how}"
        )
    if consent.answer != "given":
        when = format_moment(consent.recorded_at, session.region or "GB")
        raise DeviceCheckError(
            f"the client declined {STEP_NAMES[step]} ({when}); nothing was done. If they "
            f"change their mind, record that first: devicecheck session consent {session.id} "
            f'--step {step} --explained "WHAT YOU SAID" --answer given'
        )


def _caseworker_name(session: Session) -> str:
    if session.mode != "caseworker" or session.caseworker is None:
        raise DeviceCheckError(
            f"session {session.id} has no caseworker; start one with "
            "`devicecheck session new --caseworker NAME --org ORG --client-ref REF`"
        )
    return session.caseworker.name


def _log_if_allowed(
    data_dir: DataDir, session: Session, kind: str, data: dict[str, Any], *, force: bool = False
) -> Any:
    """Append to the evidence log if the client agreed (or `force`); else None."""
    author = session.caseworker.name if session.caseworker else "self"
    return append_item(data_dir, session, kind, data, author, force=force)


def record_consent(
    data_dir: DataDir, session: Session, step: str, explained: str, answer: str
) -> Consent:
    """Record the client's answer for a step, save the session, and note it in the log.

    The log gets a `consent` entry when the client has agreed to evidence being kept, and also
    when that agreement is withdrawn, so the withdrawal is on the record too. When the agreement
    is first given, the session's earlier items are written too (`session_log.catch_up`).
    """
    name = _caseworker_name(session)
    if not explained.strip():
        raise DeviceCheckError("say what was explained to the client (--explained TEXT)")
    evidence_before = may_keep_evidence(session)
    consent = session.record_consent(step, explained.strip(), answer, recorded_by=name)
    SessionStore(data_dir).save(session)
    if not evidence_before and may_keep_evidence(session):
        catch_up(data_dir, session)
    else:
        data = consent_data(consent, consent_text(consent))
        _log_if_allowed(data_dir, session, "consent", data, force=evidence_before)
    return consent


def add_note(
    data_dir: DataDir, session: Session, text: str, item_id: str | None = None
) -> CaseworkerNote:
    """A caseworker's note on the session or one checklist item, attributed to them."""
    name = _caseworker_name(session)
    if not text.strip():
        raise DeviceCheckError("the note is empty")
    if item_id is not None:
        from devicecheck.core.checklists import load_checklists

        if not load_checklists().has_item(item_id):
            raise DeviceCheckError(
                f"no checklist item {item_id!r} (see `devicecheck checklists show ID`)"
            )
    note = session.add_caseworker_note(text, author=name, item_id=item_id)
    SessionStore(data_dir).save(session)
    _log_if_allowed(data_dir, session, "case-note", note_data(note))
    return note


def add_action(
    data_dir: DataDir, session: Session, what: str, who: str, by_when: str, caution: str = ""
) -> ActionStep:
    """One agreed next step; `by_when` is a date (YYYY-MM-DD)."""
    if not what.strip() or not who.strip():
        raise DeviceCheckError(
            "an action needs what is to be done (--what) and who does it (--who)"
        )
    try:
        dt.date.fromisoformat(by_when.strip())
    except ValueError:
        raise DeviceCheckError(f"--by must be a date like 2026-12-01, not {by_when!r}") from None
    step = session.add_action(what.strip(), who.strip(), by_when.strip(), caution.strip())
    SessionStore(data_dir).save(session)
    _log_if_allowed(data_dir, session, "action", action_data(step))
    return step


def end_session(data_dir: DataDir, session: Session) -> Any:
    """Record when the session ended; add a `session-end` entry to the log when allowed.

    Returns the log entry, or None when none was written (no consent to keep evidence). Ending twice is refused so the recorded end time stays the first one.
    """
    if session.ended_at:
        raise DeviceCheckError(f"session {session.id} already ended at {session.ended_at}")
    session.ended_at = utc_now()
    SessionStore(data_dir).save(session)
    counts = session.summary()["answers"]
    data = {"ended_at": session.ended_at, "answers": counts, "findings": len(session.findings)}
    return _log_if_allowed(data_dir, session, "session-end", data)
