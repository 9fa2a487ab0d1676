"""Checklist items as plain text, for `checklists show` and the plain walkthrough."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from devicecheck.core.checklists import PLATFORM_LABELS, Checklist, Item

WIDTH = 78


def wrap(text: str, indent: str = "") -> str:
    """Wrap prose paragraph by paragraph; keep list and step lines as they are."""
    out: list[str] = []
    for line in text.strip().splitlines():
        stripped = line.strip()
        if not stripped:
            out.append("")
            continue
        lead = line[: len(line) - len(line.lstrip())]
        out.append(
            textwrap.fill(
                stripped,
                width=WIDTH,
                initial_indent=indent + lead,
                subsequent_indent=indent
                + lead
                + ("   " if stripped[:2].rstrip(".").isdigit() else ""),
            )
        )
    return "\n".join(out)


def item_text(item: Item, platforms: Iterable[str] = (), heading: str = "") -> str:
    """The whole of an item: question, why, steps for the chosen platforms, caution, what to record."""
    parts = [
        f"{heading}{item.title}",
        wrap(item.question),
        "",
        "Why this matters:",
        wrap(item.why, "  "),
    ]
    for platform, steps in item.steps_for(platforms):
        parts += ["", f"Steps ({PLATFORM_LABELS[platform]}):", wrap(steps, "  ")]
    if item.caution:
        parts += ["", "CAUTION:", wrap(item.caution, "  ")]
    parts += ["", "If you find something:", wrap(item.if_yes, "  ")]
    parts += ["", "What to record:", wrap(item.evidence_hint, "  ")]
    return "\n".join(parts)


def checklist_text(checklist: Checklist) -> str:
    lines = [checklist.title, "=" * len(checklist.title), wrap(checklist.summary)]
    lines.append(f"Reviewed {checklist.reviewed.isoformat()}; {len(checklist.items)} questions.")
    for number, item in enumerate(checklist.items, start=1):
        lines += ["", "-" * WIDTH, item_text(item, heading=f"{number}. ")]
        lines.append("Sources: " + ", ".join(item.sources))
        for follow_up in item.follow_ups:
            lines += ["", item_text(follow_up, heading=f"{number}. (only if yes) ")]
    return "\n".join(lines)
