"""Checklist items as plain text, for `checklists show` and the plain walkthrough."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable

from devicecheck.core.checklists import PLATFORM_LABELS, Checklist, Item
from devicecheck.core.dates import format_moment
from devicecheck.core.helplines import Region, fill_help

WIDTH = 78


_LIST_MARKER = re.compile(r"^(\d+[.)]|[-*+])\s+")


def _paragraphs(text: str) -> list[str]:
    """Join hard-wrapped lines back into paragraphs; a list item starts a new one."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.strip().splitlines():
        stripped = line.strip()
        if not stripped or _LIST_MARKER.match(stripped):
            if current:
                paragraphs.append(" ".join(current))
            current = [stripped] if stripped else []
            if not stripped:
                paragraphs.append("")
            continue
        current.append(stripped)
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def plain(text: str) -> str:
    """Markdown emphasis and code marks removed: noise to a screen reader."""
    return re.sub(
        r"\*\*(.+?)\*\*|`([^`]+)`", lambda m: m.group(1) or m.group(2), text, flags=re.DOTALL
    )


def wrap(text: str, indent: str = "") -> str:
    """Wrap prose to the terminal width, keeping numbered and bulleted steps apart."""
    out: list[str] = []
    for paragraph in _paragraphs(plain(text)):
        if not paragraph:
            out.append("")
            continue
        marker = _LIST_MARKER.match(paragraph)
        hanging = " " * len(marker.group(0)) if marker else ""
        out.append(
            textwrap.fill(
                paragraph, width=WIDTH, initial_indent=indent, subsequent_indent=indent + hanging
            )
        )
    return "\n".join(out)


def item_text(
    item: Item, platforms: Iterable[str] = (), heading: str = "", region_code: str | None = None
) -> str:
    """The whole of an item: question, why, caution, steps for the chosen platforms, what to
    record; help named by role is filled in for the region (the default region when None)."""

    def prose(text: str, indent: str = "") -> str:
        return wrap(fill_help(text, region_code), indent)

    parts = [
        f"{heading}{fill_help(item.title, region_code)}",
        prose(item.question),
        "",
        "Why this matters:",
        prose(item.why, "  "),
    ]
    if item.caution:  # before the steps: read it before changing anything
        parts += ["", "CAUTION:", prose(item.caution, "  ")]
    for platform, steps in item.steps_for(platforms):
        parts += ["", f"Steps ({PLATFORM_LABELS[platform]}):", prose(steps, "  ")]
    parts += ["", "If you find something:", prose(item.if_yes, "  ")]
    parts += ["", "What to record:", prose(item.evidence_hint, "  ")]
    return "\n".join(parts)


def checklist_text(checklist: Checklist, region_code: str | None = None) -> str:
    lines = [checklist.title, "=" * len(checklist.title), wrap(checklist.summary)]
    reviewed = format_moment(checklist.reviewed.isoformat(), region_code or "GB", time=False)
    lines.append(f"Reviewed {reviewed}; {len(checklist.items)} questions.")
    for number, item in enumerate(checklist.items, start=1):
        lines += ["", "-" * WIDTH, item_text(item, heading=f"{number}. ", region_code=region_code)]
        lines += ["", "Sources:", *(f"  {url}" for url in item.sources)]
        for follow_up in item.follow_ups:
            heading = f"{number}. (only if yes) "
            lines += ["", item_text(follow_up, heading=heading, region_code=region_code)]
    return "\n".join(lines)


def help_lines_text(region: Region) -> str:
    """The region's emergency line and help lines, one per line, for the end of a plain walk."""
    lines = [f"Help ({region.name}):", f"  Emergency: {region.emergency.number}"]
    for line in region.lines:
        hours = f" ({line.hours})" if line.hours else ""
        lines.append(f"  {line.name}: {line.number}{hours}")
    return "\n".join(lines)
