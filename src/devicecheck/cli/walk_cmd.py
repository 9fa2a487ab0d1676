"""`devicecheck walk --plain`: the walkthrough as numbered plain text, one answer per line.

This is the screen-reader mode (Textual has no screen-reader support) and the scriptable mode.
Each answer is saved the moment it is given; end of input saves and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from devicecheck.cli.context import data_dir_of, region_of, tell
from devicecheck.core.platforms import PLATFORMS

ANSWER_KEYS = {"y": "yes", "n": "no", "u": "unsure", "s": "skip"}
PROMPT = "Answer y (found a concern), n (no), u (not sure), s (skip) or q (stop); a note may follow after a space."


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "walk",
        help="the guided walkthrough (--plain for plain text on stdin/stdout)",
        parents=[common],
    )
    parser.add_argument(
        "--plain", action="store_true", help="plain numbered text; answers read line by line"
    )
    parser.add_argument(
        "--checklist",
        dest="checklists",
        action="append",
        default=[],
        metavar="ID",
        help="only this area (repeatable; default: all)",
    )
    parser.add_argument("--session", metavar="ID", help="continue this saved session")
    parser.add_argument(
        "--platform",
        dest="platforms",
        action="append",
        default=[],
        choices=PLATFORMS,
        help="only steps for this platform (repeatable; default: all)",
    )
    parser.set_defaults(handler=walk)


def walk(args: argparse.Namespace) -> int:
    if not args.plain:
        from devicecheck.tui.app import run_walkthrough

        return run_walkthrough(
            data_dir=getattr(args, "data_dir", None),
            region=getattr(args, "region", None),
            session_id=args.session,
        )
    return plain_walk(args, sys.stdin, sys.stdout)


def plain_walk(args: argparse.Namespace, stdin: TextIO, stdout: TextIO) -> int:
    from devicecheck.cli.item_text import help_lines_text, item_text
    from devicecheck.core.casework import require_consent
    from devicecheck.core.checklists import load_checklists
    from devicecheck.core.session_log import NotInLog, record_answer
    from devicecheck.core.sessions import SessionStore
    from devicecheck.core.walkthrough import first_unanswered, progress_at, walk_order

    region = region_of(args)
    emit = stdout.write
    emit(f"{region.emergency.text}\n")
    for note in region.emergency.notes:
        emit(f"{note}\n")
    emit("To stop at any time, type q (or close the input); your answers so far are kept.\n\n")

    checklist_set = load_checklists()
    store = SessionStore(data_dir_of(args))
    if args.session:
        session = store.load(args.session)
        require_consent(session, "walkthrough")
        checklists = checklist_set.select(args.checklists or session.checklists)
        platforms = args.platforms or session.platforms
    else:
        checklists = checklist_set.select(args.checklists)
        platforms = args.platforms
        session = store.create(
            region=region.code, platforms=platforms, checklists=[c.id for c in checklists]
        )
    emit(f"Session {session.id}: each answer is saved as you give it.\n")

    while True:
        stops = walk_order(checklists, platforms, session.answers)
        index = first_unanswered(stops, session.answers)
        if index is None:
            emit(
                "\nAll questions answered. Thank you. These checks can show signs that someone "
                "is watching your accounts and devices; they cannot prove that nobody is.\n"
            )
            break
        stop = stops[index]
        progress = progress_at(stops, session.answers, index)
        follow = "Follow-up: " if stop.is_follow_up else ""
        emit(
            f"\n[{progress.answered + 1}/{progress.total}] {stop.checklist.title} "
            f"(question {progress.area_answered + 1} of {progress.area_total})\n"
        )
        emit(item_text(stop.item, platforms, heading=follow, region_code=region.code) + "\n\n")
        answer = _read_answer(stdin, stdout)
        if answer is None:
            emit("\nStopped. Your answers so far are saved.\n")
            break
        value, note = answer
        try:
            record_answer(store.data_dir, session, stop.item.id, value, note)
        except NotInLog as refused:
            tell(refused.message)
        if value == "yes":
            emit(
                "Saved as a concern. See 'If you find something' above; record it before you change anything.\n"
            )
    emit(f"To see this session again: devicecheck session show {session.id}\n\n")
    emit(help_lines_text(region) + "\n")
    stdout.flush()
    tell(f"Session {session.id} saved.")
    return 0


def _read_answer(stdin: TextIO, stdout: TextIO) -> tuple[str, str] | None:
    """One answer from a line: a key and an optional note. None means stop (q or end of input)."""
    while True:
        stdout.write(PROMPT + "\n> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            return None
        key, _, note = line.strip().partition(" ")
        key = key.lower()
        if key in ("q", "quit"):
            return None
        if key in ANSWER_KEYS:
            return ANSWER_KEYS[key], note.strip()
        if key in ANSWER_KEYS.values():
            return key, note.strip()
        stdout.write("Please type y, n, u, s or q.\n")
