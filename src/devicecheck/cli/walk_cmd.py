"""`devicecheck walk --plain`: the walkthrough as numbered plain text, one answer per line.

This is the screen-reader mode (Textual has no screen-reader support) and the scriptable mode.
Each answer is saved the moment it is given; end of input saves and exits 0.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from devicecheck.cli.context import data_dir_of, region_of, tell
from devicecheck.core.platforms import PLATFORMS
from devicecheck.core.textsafety import escape_undecodable

if TYPE_CHECKING:
    from devicecheck.core.sessions import Session

ANSWER_KEYS = {"y": "yes", "n": "no", "u": "unsure", "s": "skip"}
# Two lines, each under 80 columns: a terminal would otherwise break a word in two.
PROMPT = (
    "Answer y (found a concern), n (no), u (not sure), s (skip) or q (stop);\n"
    "a note may follow after a space."
)
STOP = object()  # the person typed q
STOP_NOTICE = (
    "What this walk prints stays in this terminal window and its scrollback. To stop at any "
    "time, type q or press Ctrl+C: your answers so far are kept, and in a terminal the screen "
    "and its scrollback are cleared. Otherwise close the window when you finish, or clear it "
    "yourself (the command is clear, or Cmd+K on a Mac)."
)


ANSWERS_KEPT_AS_EVIDENCE = (
    "Each answer (and any note) is also added to your evidence log on this computer: a "
    "dated record that cannot be removed later."
)
ANSWERS_NOT_KEPT_AS_EVIDENCE = (
    "The client has not agreed to evidence being kept, so answers stay in this session only "
    "and are not added to the evidence log."
)


def wrapped_lines(text: str, width: int = 79) -> str:
    """`text` with every line longer than `width` wrapped at spaces (indent kept)."""
    import textwrap

    out = []
    for line in text.split("\n"):
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.append(textwrap.fill(line, width, subsequent_indent=indent, break_long_words=False))
    return "\n".join(out)


def evidence_notice(session: Session) -> str:
    """What this walk keeps, in one sentence: a plain walk writes every answer to the evidence
    log, except in a caseworker session whose client has not agreed to evidence being kept."""
    from devicecheck.core.session_log import may_keep_evidence

    if may_keep_evidence(session):
        return ANSWERS_KEPT_AS_EVIDENCE
    return ANSWERS_NOT_KEPT_AS_EVIDENCE


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
        "--essentials",
        action="store_true",
        help="only the essentials: a short path of the most important questions (with --plain)",
    )
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
    if args.essentials and not args.plain:
        from devicecheck.errors import DeviceCheckError

        raise DeviceCheckError(
            "--essentials goes with --plain; in the walkthrough, choose the essentials on the "
            "first screen"
        )
    if not args.plain:
        from devicecheck.tui.app import run_walkthrough

        return run_walkthrough(
            data_dir=getattr(args, "data_dir", None),
            region=getattr(args, "region", None),
            session_id=args.session,
        )
    return plain_walk(args, sys.stdin, sys.stdout)


def plain_walk(
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    checklist_paths: Sequence[str | Path] | None = None,
) -> int:
    """The walk as plain text. On a terminal, q or Ctrl+C stops and clears the screen and its
    scrollback (the quick exit); from a pipe or file, q or end of input just stops."""
    from devicecheck.core.terminal import clear_terminal, is_terminal

    on_terminal = is_terminal(stdin) and is_terminal(stdout)
    try:
        stopped_by_person = _walk(args, stdin, stdout, checklist_paths, on_terminal)
    except KeyboardInterrupt:
        stopped_by_person = True
        if not on_terminal:
            raise
    if stopped_by_person and on_terminal:
        clear_terminal(stdout)
    return 0


def _walk(
    args: argparse.Namespace,
    stdin: TextIO,
    stdout: TextIO,
    checklist_paths: Sequence[str | Path] | None,
    on_terminal: bool = False,
) -> bool:
    """Ask until every question is answered or the person stops. On a terminal, q returns
    True at once (the caller clears the screen); elsewhere q stops as end of input does."""
    from devicecheck.cli.item_text import help_lines_text, item_text
    from devicecheck.core.casework import require_consent
    from devicecheck.core.checklists import load_checklists
    from devicecheck.core.session_log import NotInLog, record_answer
    from devicecheck.core.sessions import SessionStore
    from devicecheck.core.walkthrough import (
        first_unanswered,
        path_order,
        progress_at,
        reading_minutes,
    )

    region = region_of(args)

    def emit(text: str) -> None:
        """Write `text`, each line wrapped to 79 columns so no terminal breaks a word."""
        stdout.write(wrapped_lines(text))

    emit(f"{region.emergency.text}\n")
    for note in region.emergency.notes:
        emit(f"{note}\n")
    emit(STOP_NOTICE + "\n\n")

    checklist_set = load_checklists(checklist_paths)
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
            region=region.code,
            platforms=platforms,
            checklists=[c.id for c in checklists],
            path="essentials" if args.essentials else "areas",
        )
    path = "essentials" if args.essentials else session.path
    first_stops = path_order(path, checklists, platforms, session.answers)
    if not first_stops:
        emit("No questions on this path concern the devices chosen.\n")
        return False
    minutes = reading_minutes(first_stops, platforms, region.code)
    what = "The essentials" if path == "essentials" else "This walk"
    emit(
        f"{what}: {len(first_stops)} questions, about {minutes} minutes to read "
        "(more if a question asks you to look something up).\n"
    )
    emit(f"Session {session.id}: each answer is saved as you give it.\n")
    emit(evidence_notice(session) + "\n")

    while True:
        stops = path_order(path, checklists, platforms, session.answers)
        index = first_unanswered(stops, session.answers)
        if index is None:
            emit(
                "\nAll questions answered. Thank you. These checks can show signs that someone "
                "is watching your accounts and devices; they cannot prove that nobody is.\n"
            )
            if path == "essentials":
                emit(
                    "To go through every area later: devicecheck walk --plain "
                    f"--session {session.id} (the essentials you answered are kept).\n"
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
        if answer is STOP and on_terminal:
            return True
        if answer is None or answer is STOP:
            emit("\nStopped. Your answers so far are saved.\n")
            break
        value, note = answer
        try:
            record_answer(store.data_dir, session, stop.item.id, value, note)
        except NotInLog as refused:
            tell(refused.message)
        if value == "yes":
            emit(
                "Saved as a concern. See 'If you find something' above; record it before you "
                "change anything.\n"
            )
    emit(f"To see this session again: devicecheck session show {session.id}\n\n")
    emit(help_lines_text(region) + "\n")
    stdout.flush()
    tell(f"Session {session.id} saved.")
    return False


def _read_answer(stdin: TextIO, stdout: TextIO) -> tuple[str, str] | object | None:
    """One answer from a line: a key and an optional note. STOP when the person types q;
    None at the end of input."""
    while True:
        stdout.write(PROMPT + "\n> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            return None
        line = escape_undecodable(line)  # bytes that are not UTF-8 kept as \xNN, never lost
        key, _, note = line.strip().partition(" ")
        key = key.lower()
        if key in ("q", "quit"):
            return STOP
        if key in ANSWER_KEYS:
            return ANSWER_KEYS[key], note.strip()
        # A whole word answers only on its own: "no idea really" is a sentence, not a "no".
        if key in ANSWER_KEYS.values() and not note.strip():
            return key, ""
        stdout.write("Please type y, n, u, s or q.\n")
