"""`devicecheck session new | list | show`."""

from __future__ import annotations

import argparse

from devicecheck.cli import casework_cmd
from devicecheck.cli.context import add_json_flag, data_dir_of, print_json, region_of, tell
from devicecheck.core.platforms import PLATFORMS
from devicecheck.core.textsafety import one_line
from devicecheck.errors import DeviceCheckError


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("session", help="start, list or show sessions", parents=[common])
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    new = actions.add_parser(
        "new", help="start a session (alone, or with a caseworker)", parents=[common]
    )
    new.add_argument(
        "--caseworker", metavar="NAME", help="the caseworker's name (makes it a caseworker session)"
    )
    new.add_argument("--org", metavar="ORG", default="", help="the caseworker's organisation")
    new.add_argument(
        "--client-ref", metavar="REF", default="", help="a client reference (a pseudonym is fine)"
    )
    new.add_argument(
        "--device",
        dest="devices",
        action="append",
        default=[],
        metavar="TEXT",
        help="a device examined in this session (repeatable)",
    )
    new.add_argument(
        "--platform",
        dest="platforms",
        action="append",
        default=[],
        choices=PLATFORMS,
        help="a platform to cover (repeatable; default: all)",
    )
    add_json_flag(new)
    new.set_defaults(handler=new_session)

    listing = actions.add_parser("list", help="saved sessions, oldest first", parents=[common])
    add_json_flag(listing)
    listing.set_defaults(handler=list_sessions)

    show = actions.add_parser("show", help="one session in full", parents=[common])
    show.add_argument("id", help="the session id")
    add_json_flag(show)
    show.set_defaults(handler=show_session)

    casework_cmd.register_actions(actions, common)


def new_session(args: argparse.Namespace) -> int:
    from devicecheck.core.sessions import CaseworkerDetails, SessionStore

    caseworker = None
    if args.caseworker:
        caseworker = CaseworkerDetails(
            name=args.caseworker,
            organisation=args.org,
            client_ref=args.client_ref,
            devices=tuple(args.devices),
        )
    elif args.org or args.client_ref:
        raise DeviceCheckError("--org and --client-ref go with --caseworker NAME")
    session = SessionStore(data_dir_of(args)).create(
        mode="caseworker" if caseworker else "self",
        region=region_of(args).code,
        platforms=args.platforms,
        caseworker=caseworker,
    )
    if args.json:
        print_json(session.to_dict())
    else:
        print(session.id)
        tell(f"Started {session.mode} session {session.id}.")
    return 0


def list_sessions(args: argparse.Namespace) -> int:
    from devicecheck.core.sessions import SessionStore

    listing = SessionStore(data_dir_of(args)).list()
    for problem in listing.problems:
        tell(f"devicecheck: warning: {one_line(problem)} (left as it is)")
    if args.json:
        print_json([session.summary() for session in listing.sessions])
        return 0
    if not listing.sessions:
        # With only damaged files, "no saved sessions" would be untrue: they were saved.
        tell("No session can be read." if listing.problems else "No saved sessions yet.")
    for session in listing.sessions:
        summary = session.summary()
        counts = summary["answers"]
        who = f"  client {one_line(summary['client_ref'])}" if summary["client_ref"] else ""
        print(
            f"{one_line(session.id)}  {one_line(session.mode):<10} {one_line(session.created_at)}  "
            f"{counts['yes']} concern(s), {sum(counts.values())} answered{who}"
        )
    return 0


def show_session(args: argparse.Namespace) -> int:
    from devicecheck.core.sessions import ANSWER_LABELS, SessionStore

    session = SessionStore(data_dir_of(args)).load(args.id)
    if args.json:
        print_json(session.to_dict())
        return 0
    print(
        f"Session {one_line(session.id)} ({one_line(session.mode)}), started "
        f"{one_line(session.created_at)}, last saved {one_line(session.updated_at)}"
    )
    if session.caseworker:
        details = session.caseworker
        print(
            f"Caseworker: {one_line(details.name)}, {one_line(details.organisation)}; "
            f"client reference: {one_line(details.client_ref)}"
        )
    print(f"Platforms: {one_line(', '.join(session.platforms)) or 'all'}")
    for item_id, answer in session.answers.items():
        note = f" ({one_line(answer.note)})" if answer.note else ""
        print(
            f"  {one_line(item_id)}: {ANSWER_LABELS[answer.value]}{note} "
            f"[{one_line(answer.answered_at)}]"
        )
    return 0
