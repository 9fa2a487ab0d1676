"""`devicecheck checklists list | show ID | validate [PATH ...]`."""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

from devicecheck.cli.context import add_json_flag, print_json, tell
from devicecheck.errors import EXIT_FOUND_OR_INVALID


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "checklists", help="list, show or validate checklists", parents=[common]
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    listing = actions.add_parser(
        "list", help="the areas and how many questions each has", parents=[common]
    )
    add_json_flag(listing)
    listing.set_defaults(handler=list_checklists)

    show = actions.add_parser("show", help="print one area readably", parents=[common])
    show.add_argument("id", help="the checklist id, e.g. shared-accounts")
    add_json_flag(show)
    show.set_defaults(handler=show_checklist)

    validate = actions.add_parser(
        "validate", help="check checklist files (the shipped ones by default)", parents=[common]
    )
    validate.add_argument("paths", nargs="*", metavar="PATH", help="files or folders of YAML files")
    validate.set_defaults(handler=validate_checklists)


def list_checklists(args: argparse.Namespace) -> int:
    from devicecheck.core.checklists import load_checklists

    checklists = load_checklists().checklists
    if args.json:
        print_json(
            [
                {
                    "id": c.id,
                    "title": c.title,
                    "items": len(c.items),
                    "reviewed": c.reviewed.isoformat(),
                }
                for c in checklists
            ]
        )
    else:
        for checklist in checklists:
            print(f"{checklist.id:<20} {len(checklist.items):>3} questions  {checklist.title}")
    return 0


def show_checklist(args: argparse.Namespace) -> int:
    from devicecheck.cli.item_text import checklist_text
    from devicecheck.core.checklists import load_checklists
    from devicecheck.core.helplines import region_for

    checklist = load_checklists().get(args.id)
    region_code = region_for(
        getattr(args, "region", None)
    ).code  # an unknown region: one line, exit 2
    if args.json:
        print_json(_as_json(checklist, region_code))
    else:
        print(checklist_text(checklist, region_code))
    return 0


def _as_json(value: Any, region_code: str) -> Any:
    """Dataclasses as JSON, with help named by role filled in for the region."""
    from devicecheck.core.helplines import fill_help

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        data = {
            f.name: _as_json(getattr(value, f.name), region_code) for f in dataclasses.fields(value)
        }
        if "steps" in data:
            data["steps"] = {
                platform: fill_help(text, region_code)
                for platform, text in value.steps  # type: ignore[union-attr]
            }
        return data
    if isinstance(value, tuple):
        return [_as_json(v, region_code) for v in value]
    if isinstance(value, str):
        return fill_help(value, region_code)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def validate_checklists(args: argparse.Namespace) -> int:
    from devicecheck.core.checklists import expand_paths, shipped_checklist_paths, validate_files

    paths = expand_paths(args.paths) if args.paths else shipped_checklist_paths()
    problems = validate_files(paths)
    for problem in problems:
        print(problem)
    if problems:
        tell(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {len(paths)} file(s)")
        return EXIT_FOUND_OR_INVALID
    tell(f"{len(paths)} checklist file(s) valid")
    return 0
