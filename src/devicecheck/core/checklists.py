"""Checklists: the schema, the loader and the validator.

Each area is one YAML file (format: docs/checklist-format.md). The validator walks PyYAML's
node tree rather than the constructed data, so every problem it reports carries the file, line
and column where it stands, and it reports every problem it can find, not just the first.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from devicecheck.core.platforms import PLATFORM_LABELS, PLATFORMS
from devicecheck.errors import InvalidDataError

__all__ = ["PLATFORMS", "PLATFORM_LABELS"]

SEVERITIES: tuple[str, ...] = ("low", "medium", "high")
SEVERITY_RANK: dict[str, int] = {"high": 0, "medium": 1, "low": 2}

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_STR_TAG = "tag:yaml.org,2002:str"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"

_TOP_REQUIRED = ("id", "title", "summary", "reviewed", "items")
_TOP_FIELDS = frozenset(_TOP_REQUIRED)
_ITEM_REQUIRED = (
    "id",
    "title",
    "question",
    "why",
    "steps",
    "if_yes",
    "evidence_hint",
    "severity",
    "sources",
)
_ITEM_FIELDS = frozenset(
    (*_ITEM_REQUIRED, "caution", "applies_to", "reviewed", "follow_ups", "essential")
)
_INT_TAG = "tag:yaml.org,2002:int"
_ITEM_TEXT_FIELDS = ("title", "question", "why", "if_yes", "evidence_hint")

# Item text names help by role ({help:stalking}); a phone number in it would be one country's.
# Digits split by any space (no-break and thin spaces too), brackets, dots or dashes of any kind.
_PHONE_NUMBER = re.compile(r"(?<![\w#*])\+?\d(?:[\d\s().\-\u2010-\u2015\u2212]){5,}\d(?![\w#*])")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_CALL_SHORT_NUMBER = re.compile(
    r"\b(?:call|dial|ring|phone|text)(?:ing)?\s+(?:\d{2,6}|\d-\d-\d)\b", re.IGNORECASE
)
_VANITY_NUMBER = re.compile(r"\b\d{3,4}[ -]?\d{3}[ -]?[A-Z]{4}\b|\b1[38]00[A-Z]{5,}\b")


def phone_numbers_in(text: str) -> list[str]:
    """Phone numbers written in text (7+ digits, a short number after "call", or a vanity one)."""
    found = [
        match.group(0)
        for match in _PHONE_NUMBER.finditer(text)
        if sum(ch.isdigit() for ch in match.group(0)) >= 7
        and not _ISO_DATE.fullmatch(match.group(0))
    ]
    found += [match.group(0) for match in _CALL_SHORT_NUMBER.finditer(text)]
    found += [match.group(0) for match in _VANITY_NUMBER.finditer(text)]
    return found


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a checklist file, at a place in it (1-based line and column)."""

    path: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.message}"


class ChecklistError(InvalidDataError):
    """One or more checklist files are invalid; `problems` lists every problem found."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        first = str(self.problems[0]) if self.problems else "invalid checklist"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more > 0 else ""
        super().__init__(first + suffix)


@dataclass(frozen=True)
class Item:
    """One question in a checklist, with its guidance."""

    id: str
    checklist_id: str
    title: str
    question: str
    why: str
    steps: tuple[tuple[str, str], ...]
    if_yes: str
    evidence_hint: str
    severity: str
    sources: tuple[str, ...]
    reviewed: dt.date
    caution: str | None = None
    applies_to: tuple[str, ...] = ()
    follow_ups: tuple[Item, ...] = ()
    essential: int | None = None  # 1-based place on the essentials path, if the item is on it

    def steps_for(self, platforms: Iterable[str] = ()) -> tuple[tuple[str, str], ...]:
        """The steps for the chosen platforms (all of them when none are chosen).

        Steps marked `any` always show; if none of the chosen platforms has steps, all show,
        so a person is never left with nothing to do.
        """
        chosen = set(platforms)
        if not chosen:
            return self.steps
        kept = tuple((p, text) for p, text in self.steps if p in chosen or p == "any")
        return kept or self.steps

    def concerns(self, platforms: Iterable[str] = ()) -> bool:
        """Whether this item is relevant to the chosen platforms."""
        chosen = set(platforms)
        if not chosen or not self.applies_to:
            return True
        return bool(chosen.intersection(self.applies_to)) or "any" in self.applies_to


@dataclass(frozen=True)
class Checklist:
    """One area: its items in order."""

    id: str
    title: str
    summary: str
    reviewed: dt.date
    items: tuple[Item, ...]
    path: str

    def all_items(self) -> Iterator[Item]:
        """Every item including follow-ups, depth first."""
        for item in self.items:
            yield from _walk_items(item)


def _walk_items(item: Item) -> Iterator[Item]:
    yield item
    for follow_up in item.follow_ups:
        yield from _walk_items(follow_up)


@dataclass(frozen=True)
class ChecklistSet:
    """Checklists loaded together; ids are unique across all of them."""

    checklists: tuple[Checklist, ...]
    _items: dict[str, Item] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for checklist in self.checklists:
            for item in checklist.all_items():
                self._items[item.id] = item

    def get(self, checklist_id: str) -> Checklist:
        for checklist in self.checklists:
            if checklist.id == checklist_id:
                return checklist
        known = ", ".join(c.id for c in self.checklists)
        raise InvalidDataError(f"no checklist with id {checklist_id!r} (known: {known})")

    def select(self, checklist_ids: Sequence[str]) -> tuple[Checklist, ...]:
        """The named checklists in the order given; all of them when none are named."""
        if not checklist_ids:
            return self.checklists
        return tuple(self.get(checklist_id) for checklist_id in checklist_ids)

    def item(self, item_id: str) -> Item:
        try:
            return self._items[item_id]
        except KeyError:
            raise InvalidDataError(f"no checklist item with id {item_id!r}") from None

    def has_item(self, item_id: str) -> bool:
        return item_id in self._items


# --- where the shipped checklists live ---------------------------------------------------


def shipped_checklist_dir() -> Path:
    """The shipped checklists: inside the installed package, or at the root of a source tree."""
    packaged = Path(str(resources.files("devicecheck"))) / "checklists"
    if packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parents[3] / "checklists"
    if source_tree.is_dir():
        return source_tree
    raise InvalidDataError("the shipped checklists are missing from this installation")


def shipped_checklist_paths() -> list[Path]:
    return sorted(shipped_checklist_dir().glob("*.yaml"))


def expand_paths(paths: Sequence[str | Path]) -> list[Path]:
    """Files as given; a directory stands for the *.yaml files in it."""
    expanded: list[Path] = []
    for given in paths:
        path = Path(given)
        if path.is_dir():
            expanded.extend(sorted(path.glob("*.yaml")))
        else:
            expanded.append(path)
    return expanded


# --- loading and validation ------------------------------------------------------------------


def load_checklists(paths: Sequence[str | Path] | None = None) -> ChecklistSet:
    """Load and validate checklists (the shipped set by default); raise ChecklistError if invalid."""
    checklists, problems = _parse_files(expand_paths(paths) if paths else shipped_checklist_paths())
    if problems:
        raise ChecklistError(problems)
    return ChecklistSet(tuple(checklists))


def validate_files(paths: Sequence[str | Path] | None = None) -> list[Problem]:
    """Every problem in the given files (the shipped set by default), in file and line order."""
    _, problems = _parse_files(expand_paths(paths) if paths else shipped_checklist_paths())
    return problems


def parse_checklist_text(text: str, path: str = "<text>") -> Checklist:
    """Parse one checklist from text; raise ChecklistError listing every problem."""
    parser = _FileParser(path)
    checklist = parser.parse_text(text)
    if parser.problems or checklist is None:
        raise ChecklistError(parser.problems or [Problem(path, 1, 1, "empty checklist")])
    return checklist


def _parse_files(paths: Sequence[Path]) -> tuple[list[Checklist], list[Problem]]:
    checklists: list[Checklist] = []
    problems: list[Problem] = []
    first_seen: dict[str, tuple[str, str]] = {}  # id -> (what, place)
    essential_seen: dict[int, str] = {}  # place on the essentials path -> where it was set
    if not paths:
        problems.append(Problem("<checklists>", 1, 1, "no checklist files given"))
    for path in paths:
        parser = _FileParser(str(path))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(str(path), 1, 1, f"cannot read file: {_reason(error)}"))
            continue
        checklist = parser.parse_text(text)
        for kind, identifier, place in parser.ids:
            previous = first_seen.get(identifier)
            if previous is not None:
                what, where = previous
                parser.problems.append(
                    Problem(
                        place.path,
                        place.line,
                        place.column,
                        f"duplicate {kind} id {identifier!r} (already used by a {what} at {where})",
                    )
                )
            else:
                first_seen[identifier] = (kind, f"{place.path}:{place.line}")
        for number, place in parser.essentials:
            if number in essential_seen:
                parser.problems.append(
                    Problem(
                        place.path,
                        place.line,
                        place.column,
                        f"essential {number} is already used at {essential_seen[number]}",
                    )
                )
            else:
                essential_seen[number] = f"{place.path}:{place.line}"
        problems.extend(parser.problems)
        if checklist is not None and not parser.problems:
            checklists.append(checklist)
    problems.sort(key=lambda p: (p.path, p.line, p.column))
    return checklists, problems


def _reason(error: BaseException) -> str:
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


class _FileParser:
    """Validates one file's node tree and builds the dataclasses when it is sound."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.problems: list[Problem] = []
        self.ids: list[tuple[str, str, Problem]] = []  # (kind, id, place)
        self.essentials: list[tuple[int, Problem]] = []  # (place on the path, where it is set)

    # reporting
    def _at(self, node: yaml.Node | None, message: str) -> None:
        line, column = (node.start_mark.line + 1, node.start_mark.column + 1) if node else (1, 1)
        self.problems.append(Problem(self.path, line, column, message))

    def parse_text(self, text: str) -> Checklist | None:
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.MarkedYAMLError as error:
            mark = error.problem_mark or error.context_mark
            line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
            detail = error.problem or error.context or "invalid YAML"
            self.problems.append(Problem(self.path, line, column, f"invalid YAML: {detail}"))
            return None
        except yaml.YAMLError as error:
            self.problems.append(Problem(self.path, 1, 1, f"invalid YAML: {error}"))
            return None
        except RecursionError:
            self.problems.append(Problem(self.path, 1, 1, "invalid YAML: nested too deeply"))
            return None
        if root is None:
            self.problems.append(Problem(self.path, 1, 1, "the file is empty"))
            return None
        return self._checklist(root)

    # structure helpers
    def _mapping(
        self, node: yaml.Node, what: str, allowed: frozenset[str], required: Sequence[str]
    ) -> dict[str, tuple[yaml.Node, yaml.Node]] | None:
        if not isinstance(node, yaml.MappingNode):
            self._at(node, f"{what} must be a mapping of fields")
            return None
        fields: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag != _STR_TAG:
                self._at(key_node, f"{what} has a field name that is not text")
                continue
            name = key_node.value
            if name in fields:
                self._at(key_node, f"{what} has the field {name!r} twice")
                continue
            if name not in allowed:
                self._at(key_node, f"unknown field {name!r} in {what}")
                continue
            fields[name] = (key_node, value_node)
        missing = [name for name in required if name not in fields]
        for name in missing:
            self._at(node, f"{what} is missing the required field {name!r}")
        return fields

    def _text(self, node: yaml.Node, what: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode) or node.tag != _STR_TAG:
            self._at(node, f"{what} must be text")
            return None
        if not node.value.strip():
            self._at(node, f"{what} must not be empty")
            return None
        return node.value

    def _slug(self, node: yaml.Node, what: str) -> str | None:
        value = self._text(node, what)
        if value is not None and not _SLUG.match(value):
            self._at(node, f"{what} {value!r} must be lowercase letters, digits and hyphens")
            return None
        return value

    def _date(self, node: yaml.Node, what: str) -> dt.date | None:
        if isinstance(node, yaml.ScalarNode) and node.tag in (_STR_TAG, _TIMESTAMP_TAG):
            try:
                return dt.date.fromisoformat(node.value.strip())
            except ValueError:
                pass
        self._at(node, f"{what} must be a date written YYYY-MM-DD")
        return None

    def _text_list(self, node: yaml.Node, what: str) -> list[tuple[yaml.Node, str]] | None:
        if not isinstance(node, yaml.SequenceNode):
            self._at(node, f"{what} must be a list")
            return None
        values = []
        for element in node.value:
            value = self._text(element, f"each entry of {what}")
            if value is not None:
                values.append((element, value))
        return values

    # the schema
    def _checklist(self, root: yaml.Node) -> Checklist | None:
        fields = self._mapping(root, "the checklist", _TOP_FIELDS, _TOP_REQUIRED)
        if fields is None:
            return None
        values: dict[str, object] = {}
        if "id" in fields:
            values["id"] = self._slug(fields["id"][1], "the checklist id")
            if values["id"]:
                self._remember("checklist", str(values["id"]), fields["id"][1])
        for name in ("title", "summary"):
            if name in fields:
                values[name] = self._text(fields[name][1], f"the checklist {name}")
        reviewed = self._date(fields["reviewed"][1], "reviewed") if "reviewed" in fields else None
        items: list[Item] = []
        if "items" in fields:
            items_node = fields["items"][1]
            if not isinstance(items_node, yaml.SequenceNode):
                self._at(items_node, "items must be a list")
            elif not items_node.value:
                self._at(items_node, "items must not be empty")
            else:
                checklist_id = values.get("id") or ""
                for item_node in items_node.value:
                    item = self._item(item_node, str(checklist_id), reviewed, depth=0)
                    if item is not None:
                        items.append(item)
        if self.problems:
            return None
        assert reviewed is not None
        return Checklist(
            id=str(values["id"]),
            title=str(values["title"]),
            summary=str(values["summary"]),
            reviewed=reviewed,
            items=tuple(items),
            path=self.path,
        )

    def _remember(self, kind: str, identifier: str, node: yaml.Node) -> None:
        place = Problem(self.path, node.start_mark.line + 1, node.start_mark.column + 1, "")
        self.ids.append((kind, identifier, place))

    def _item(
        self, node: yaml.Node, checklist_id: str, file_reviewed: dt.date | None, depth: int
    ) -> Item | None:
        what = "a follow-up item" if depth else "an item"
        before = len(self.problems)
        fields = self._mapping(node, what, _ITEM_FIELDS, _ITEM_REQUIRED)
        if fields is None:
            return None
        item_id = self._slug(fields["id"][1], "the item id") if "id" in fields else None
        if item_id:
            self._remember("item", item_id, fields["id"][1])
            what = f"item {item_id!r}"
        text = {
            name: self._text(fields[name][1], f"{name} of {what}")
            for name in _ITEM_TEXT_FIELDS
            if name in fields
        }
        caution = (
            self._text(fields["caution"][1], f"caution of {what}") if "caution" in fields else None
        )
        steps = self._steps(fields["steps"][1], what) if "steps" in fields else ()
        self._check_prose(fields, what)
        severity = None
        if "severity" in fields:
            severity = self._text(fields["severity"][1], f"severity of {what}")
            if severity is not None and severity not in SEVERITIES:
                self._at(
                    fields["severity"][1],
                    f"unknown severity {severity!r} (use low, medium or high)",
                )
        sources = self._sources(fields["sources"][1], what) if "sources" in fields else ()
        applies_to: tuple[str, ...] = ()
        if "applies_to" in fields:
            listed = self._text_list(fields["applies_to"][1], f"applies_to of {what}") or []
            for element, platform in listed:
                if platform not in PLATFORMS:
                    self._at(element, f"unknown platform {platform!r} (use {', '.join(PLATFORMS)})")
            applies_to = tuple(platform for _, platform in listed)
        essential = None
        if "essential" in fields:
            essential = self._essential(fields["essential"][1], what, depth)
        reviewed = file_reviewed
        if "reviewed" in fields:
            reviewed = self._date(fields["reviewed"][1], f"reviewed of {what}")
        follow_ups: list[Item] = []
        if "follow_ups" in fields:
            follow_node = fields["follow_ups"][1]
            if not isinstance(follow_node, yaml.SequenceNode):
                self._at(follow_node, f"follow_ups of {what} must be a list")
            else:
                for child in follow_node.value:
                    follow_up = self._item(child, checklist_id, reviewed, depth + 1)
                    if follow_up is not None:
                        follow_ups.append(follow_up)
        if len(self.problems) > before or reviewed is None:
            return None
        return Item(
            id=str(item_id),
            checklist_id=checklist_id,
            title=str(text["title"]),
            question=str(text["question"]),
            why=str(text["why"]),
            steps=steps,
            if_yes=str(text["if_yes"]),
            evidence_hint=str(text["evidence_hint"]),
            severity=str(severity),
            sources=sources,
            reviewed=reviewed,
            caution=caution,
            applies_to=applies_to,
            follow_ups=tuple(follow_ups),
            essential=essential,
        )

    def _essential(self, node: yaml.Node, what: str, depth: int) -> int | None:
        """A place on the essentials path: a whole number from 1, on a top-level item."""
        if depth:
            self._at(node, f"essential of {what}: only a top-level item can be an essential")
            return None
        if not isinstance(node, yaml.ScalarNode) or node.tag != _INT_TAG:
            self._at(node, f"essential of {what} must be a whole number (1 for the first)")
            return None
        try:
            number = int(node.value.replace("_", ""))
        except ValueError:
            number = 0
        if not 1 <= number <= 999:
            self._at(node, f"essential of {what} must be a whole number from 1 to 999")
            return None
        place = Problem(self.path, node.start_mark.line + 1, node.start_mark.column + 1, "")
        self.essentials.append((number, place))
        return number

    def _check_prose(self, fields: dict[str, tuple[yaml.Node, yaml.Node]], what: str) -> None:
        """No phone numbers in item text, and help placeholders that name known roles."""
        from devicecheck.core.helplines import malformed_placeholders, unknown_placeholder_roles

        nodes = [fields[name][1] for name in (*_ITEM_TEXT_FIELDS, "caution") if name in fields]
        if "steps" in fields and isinstance(fields["steps"][1], yaml.MappingNode):
            nodes += [value for _, value in fields["steps"][1].value]
        for node in nodes:
            if not isinstance(node, yaml.ScalarNode) or node.tag != _STR_TAG:
                continue
            for number in phone_numbers_in(node.value):
                self._at(
                    node,
                    f"{what} has a phone number ({number!r}) in its text; name help by role "
                    "with a placeholder such as {help:stalking}",
                )
            for role in unknown_placeholder_roles(node.value):
                self._at(node, f"{what} names an unknown help role {role!r} in a placeholder")
            for placeholder in malformed_placeholders(node.value):
                self._at(node, f"{what} has a misspelt placeholder {placeholder!r}")

    def _steps(self, node: yaml.Node, what: str) -> tuple[tuple[str, str], ...]:
        if not isinstance(node, yaml.MappingNode):
            self._at(node, f"steps of {what} must be a mapping of platform to text")
            return ()
        if not node.value:
            self._at(node, f"steps of {what} must name at least one platform")
            return ()
        steps: list[tuple[str, str]] = []
        seen: set[str] = set()
        for key_node, value_node in node.value:
            platform = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if platform not in PLATFORMS:
                self._at(
                    key_node, f"unknown platform {platform!r} in steps (use {', '.join(PLATFORMS)})"
                )
                continue
            if platform in seen:
                self._at(key_node, f"steps of {what} name {platform!r} twice")
                continue
            seen.add(platform)
            text = self._text(value_node, f"steps for {platform} of {what}")
            if text is not None:
                steps.append((platform, text))
        return tuple(steps)

    def _sources(self, node: yaml.Node, what: str) -> tuple[str, ...]:
        listed = self._text_list(node, f"sources of {what}")
        if listed is None:
            return ()
        if not listed and isinstance(node, yaml.SequenceNode) and not node.value:
            self._at(node, f"sources of {what} must list at least one https URL")
        for element, url in listed:
            if not re.match(r"^https://[^\s/]+\.[^\s]+$", url):
                self._at(element, f"source {url!r} must be an https:// URL")
        return tuple(url for _, url in listed)
