"""`devicecheck indicators info [--json] | import FILE [--format F] | update [--url URL] [--yes]`."""

from __future__ import annotations

import argparse

from devicecheck.cli.context import add_json_flag, data_dir_of, print_json, tell
from devicecheck.core.textsafety import one_line

FORMAT_CHOICES = ("echap", "lolrmm", "stix2", "curated", "misp", "tinycheck")


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "indicators",
        help="the lists of monitoring software the scan looks for",
        parents=[common],
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    info = actions.add_parser("info", help="sources, dates, licences and counts", parents=[common])
    add_json_flag(info)
    info.set_defaults(handler=show_info)

    importing = actions.add_parser(
        "import",
        help="add an indicator file (Echap ioc.yaml or misp_event.json, LOLRMM YAML, STIX 2, "
        "TinyCheck JSON); no network",
        parents=[common],
    )
    importing.add_argument("file", metavar="FILE", help="the indicator file to check and keep")
    importing.add_argument(
        "--format", choices=FORMAT_CHOICES, help="the file's format (detected if not given)"
    )
    add_json_flag(importing)
    importing.set_defaults(handler=import_indicators)

    update = actions.add_parser(
        "update",
        help="download a newer list (the only command that uses the internet)",
        parents=[common],
    )
    update.add_argument(
        "--url", help="where to download from (default: Echap's stalkerware-indicators ioc.yaml)"
    )
    update.add_argument(
        "--format", choices=FORMAT_CHOICES, help="the file's format (detected if not given)"
    )
    update.add_argument(
        "--timeout",
        type=timeout_seconds,
        default=None,
        metavar="SECONDS",
        help="give up if the whole download and check take longer than this (default 60)",
    )
    update.add_argument(
        "--yes",
        action="store_true",
        help="install even a list that loses more than a third of its apps or changes format "
        "(otherwise you are asked, and without a terminal it is refused)",
    )
    add_json_flag(update)
    update.set_defaults(handler=update_indicators)


def show_info(args: argparse.Namespace) -> int:
    from devicecheck.core.indicators.manage import describe_sources

    sources = describe_sources(data_dir_of(args))
    if args.json:
        print_json({"sources": sources, "apps": sum(s["counts"]["apps"] for s in sources)})
        return 0
    for source in sources:
        counts = source["counts"]
        tally = ", ".join(f"{value} {kind.replace('_', ' ')}" for kind, value in counts.items())
        print(f"{source['name']} [{source['id']}, {source['kind']}]")
        print(f"  licence: {source['licence']}; attribution: {source['attribution']}")
        version = source["version"] or "unknown"
        print(f"  version: {version}; date: {source['date'] or 'unknown'}")
        if source["url"]:
            print(f"  from: {source['url']}")
        print(f"  {tally}")
    return 0


def import_indicators(args: argparse.Namespace) -> int:
    from devicecheck.core.indicators.manage import import_file, indicator_total

    result = import_file(data_dir_of(args), args.file, args.format)
    apps = len(result.indicators.apps)
    total = indicator_total(result.indicators)
    if args.json:
        print_json(
            {
                "id": result.source_id,
                "format": result.format,
                "path": str(result.path),
                "apps": apps,
                "indicators": total,
                "usable": result.usable.to_dict(),
            }
        )
    tell(f"Imported {one_line(args.file)} ({result.format}): {apps} app(s), {total} indicator(s).")
    for line in result.usable.sentences():
        tell("  " + line)
    tell("The scan will use them from now on.")
    return 0


def timeout_seconds(text: str) -> float:
    """--timeout: a finite number of seconds above 0 (not -1, nan or inf), at most an hour."""
    from devicecheck.core.indicators.update import check_timeout
    from devicecheck.errors import DeviceCheckError

    try:
        return check_timeout(float(text))
    except (ValueError, DeviceCheckError):
        raise argparse.ArgumentTypeError(
            f"{one_line(text)!r} is not a number of seconds between 0 and 3600"
        ) from None


def update_indicators(args: argparse.Namespace) -> int:
    from devicecheck.core.indicators import update

    options = {"timeout": args.timeout} if args.timeout else {}
    result = update.update_indicators(
        data_dir_of(args),
        args.url or update.DEFAULT_URL,
        format=args.format,
        announce=tell,
        confirm=(lambda question: True) if args.yes else ask_on_terminal,
        **options,
    )
    if args.json:
        print_json(result.to_dict())
    tell(
        f"Installed the list from {update.shown(result.final_url)} ({result.format}): "
        f"{result.apps_before} -> {result.apps_after} app(s), "
        f"{result.indicators_before} -> {result.indicators_after} indicator(s)."
    )
    for label, names in (("added", result.apps_added), ("removed", result.apps_removed)):
        if names:
            shown = ", ".join(update.shown(name) for name in names[:20]) + (
                f" and {len(names) - 20} more" if len(names) > 20 else ""
            )
            tell(f"  {label}: {shown}")
    tell("The list it replaces is kept beside it as the previous version.")
    return 0


def ask_on_terminal(question: str) -> bool:
    """A yes/no question on the terminal; without a terminal, no (use --yes)."""
    import sys

    if not (sys.stdin.isatty() and sys.stderr.isatty()):
        return False
    tell(question + " [y/N]")
    try:
        answer = input()
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")
