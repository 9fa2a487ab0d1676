"""Caseworker actions on a session: `session consent | note | action | end ID ...`.

Registered into `devicecheck session` by `session_cmd.register`, so they sit beside
`session new | list | show`.
"""

from __future__ import annotations

import argparse
import dataclasses

from devicecheck.cli.context import add_json_flag, data_dir_of, print_json, tell


def register_actions(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from devicecheck.core.sessions import CONSENT_ANSWERS, CONSENT_STEPS

    consent = actions.add_parser(
        "consent",
        help="record the client's consent for a step, before it happens (caseworker sessions)",
        parents=[common],
    )
    consent.add_argument("id", help="the session id")
    consent.add_argument("--step", required=True, choices=CONSENT_STEPS, help="the step")
    consent.add_argument(
        "--explained", required=True, metavar="TEXT", help="what was explained to the client"
    )
    consent.add_argument("--answer", required=True, choices=CONSENT_ANSWERS, help="their answer")
    add_json_flag(consent)
    consent.set_defaults(handler=record_consent)

    note = actions.add_parser(
        "note", help="a caseworker's note, kept apart from the client's answers", parents=[common]
    )
    note.add_argument("id", help="the session id")
    note.add_argument("text", help="the note")
    note.add_argument("--item", metavar="ITEM_ID", help="the checklist item it is about")
    add_json_flag(note)
    note.set_defaults(handler=add_note)

    action = actions.add_parser("action", help="add an agreed next step", parents=[common])
    action.add_argument("id", help="the session id")
    action.add_argument("--what", required=True, metavar="TEXT", help="what is to be done")
    action.add_argument("--who", required=True, metavar="TEXT", help="who does it")
    action.add_argument("--by", required=True, metavar="DATE", help="by when (YYYY-MM-DD)")
    action.add_argument(
        "--caution", default="", metavar="TEXT", help="what to watch out for (who may notice)"
    )
    add_json_flag(action)
    action.set_defaults(handler=add_action)

    end = actions.add_parser("end", help="record that the session has ended", parents=[common])
    end.add_argument("id", help="the session id")
    add_json_flag(end)
    end.set_defaults(handler=end_session)


def _load(args: argparse.Namespace):
    from devicecheck.core.sessions import SessionStore

    data_dir = data_dir_of(args)
    return data_dir, SessionStore(data_dir).load(args.id)


def _done(args: argparse.Namespace, record: object, message: str) -> int:
    if args.json:
        print_json(dataclasses.asdict(record))  # type: ignore[call-overload]
    else:
        tell(message)
    return 0


def record_consent(args: argparse.Namespace) -> int:
    from devicecheck.core import casework

    data_dir, session = _load(args)
    consent = casework.record_consent(data_dir, session, args.step, args.explained, args.answer)
    return _done(args, consent, f"Recorded: consent for {args.step} {consent.answer}.")


def add_note(args: argparse.Namespace) -> int:
    from devicecheck.core import casework

    data_dir, session = _load(args)
    note = casework.add_note(data_dir, session, args.text, args.item)
    return _done(args, note, f"Saved your note to session {session.id}.")


def add_action(args: argparse.Namespace) -> int:
    from devicecheck.core import casework

    data_dir, session = _load(args)
    step = casework.add_action(data_dir, session, args.what, args.who, args.by, args.caution)
    return _done(
        args, step, f"Added to the action plan: {step.what} ({step.who}, by {step.by_when})."
    )


def end_session(args: argparse.Namespace) -> int:
    from devicecheck.core import casework

    data_dir, session = _load(args)
    entry = casework.end_session(data_dir, session)
    if args.json:
        print_json(
            {
                "id": session.id,
                "ended_at": session.ended_at,
                "log_entry": entry.id if entry else None,
            }
        )
        return 0
    logged = " and in the evidence log" if entry else ""
    tell(f"Session {session.id} ended at {session.ended_at}; recorded in the session{logged}.")
    return 0
