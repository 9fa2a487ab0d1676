"""STIX 2.1 bundles (JSON), the format MVT and many threat-intelligence feeds publish.

Indicators carry STIX patterns such as `[domain-name:value = 'x.com' OR ipv4-addr:value =
'1.2.3.4']`. A small parser here reads the pattern grammar (observations in brackets, comparisons
joined by AND / OR, parentheses, qualifiers) and keeps the positive equality comparisons on the
object paths a scan can use. Indicators are grouped into one app per malware or tool object they
`indicates` (as MVT's files do), or else per indicator name, and per platform: the bundle's
`x_mitre_platforms` or platform labels, else MVT's convention for process names (phones).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from devicecheck.core.indicators.common import (
    UniqueIds,
    describe,
    expect_list,
    expect_mapping,
    unique_id,
)
from devicecheck.core.indicators.model import CATEGORIES, AppIndicator, IndicatorSet, SourceInfo
from devicecheck.errors import InvalidDataError

NAME = "STIX 2 bundle"
LICENCE = "as stated by the file's publisher"
_MAX_DEPTH = 50
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<path>[A-Za-z0-9][A-Za-z0-9_-]*:[A-Za-z0-9_-]+
        (?:\.(?:'(?:[^'\\]|\\.)*'|[A-Za-z0-9_-]+)|\[(?:\d+|\*)\])*)
  | (?P<literal>[bht]'(?:[^'\\]|\\.)*')
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<word>[A-Za-z]+)
  | (?P<operator>!=|<=|>=|=|<|>)
  | (?P<punct>[\[\]\(\),])
    """,
    re.VERBOSE,
)
_SIMPLE_PATTERN = re.compile(
    r"\[\s*([A-Za-z0-9][A-Za-z0-9_-]*:[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*)\s*=\s*"
    r"'((?:[^'\\]|\\.)*)'\s*\]"
)
_COMPARISON_WORDS = frozenset({"LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET", "IN"})
_HASH_NAMES = {"sha256": "sha256", "sha1": "sha1", "md5": "md5"}


@dataclass(frozen=True)
class Comparison:
    """One `object:path <operator> value` inside a pattern."""

    path: str  # as written, e.g. "file:hashes.'SHA-256'"
    operator: str  # "=", "!=", "IN", "LIKE", ...; a NOT in front gives e.g. "NOT ="
    values: tuple[str, ...]  # string values (IN gives several)


@dataclass
class _Parser:
    text: str
    tokens: list[tuple[str, str]] = field(default_factory=list)
    position: int = 0
    comparisons: list[Comparison] = field(default_factory=list)

    def fail(self, message: str) -> InvalidDataError:
        return InvalidDataError(f"pattern {self.text[:120]!r}: {message}")

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.position] if self.position < len(self.tokens) else ("end", "")

    def take(self, kind: str | None = None, value: str | None = None) -> str:
        token_kind, token = self.peek()
        if (kind and token_kind != kind) or (value and token.upper() != value):
            wanted = value or kind
            found = token or "the end"
            raise self.fail(f"expected {wanted} but found {found!r}")
        self.position += 1
        return token

    def is_word(self, *words: str) -> bool:
        kind, token = self.peek()
        return kind == "word" and token.upper() in words

    def pattern(self, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise self.fail("nested too deeply")
        self.observation(depth)
        while self.is_word("AND", "OR", "FOLLOWEDBY"):
            self.position += 1
            self.observation(depth)

    def observation(self, depth: int) -> None:
        if self.peek() == ("punct", "["):
            self.position += 1
            self.comparison_expression(depth + 1)
            self.take("punct", "]")
        elif self.peek() == ("punct", "("):
            self.position += 1
            self.pattern(depth + 1)
            self.take("punct", ")")
        else:
            raise self.fail(f"expected '[' but found {self.peek()[1] or 'the end'!r}")
        self.qualifiers()

    def qualifiers(self) -> None:
        while self.is_word("WITHIN", "REPEATS", "START"):
            word = self.take("word").upper()
            if word == "WITHIN":
                self.take("number")
                self.take("word", "SECONDS")
            elif word == "REPEATS":
                self.take("number")
                self.take("word", "TIMES")
            else:
                self.take("literal")
                self.take("word", "STOP")
                self.take("literal")

    def comparison_expression(self, depth: int) -> None:
        if depth > _MAX_DEPTH:
            raise self.fail("nested too deeply")
        self.comparison_term(depth)
        while self.is_word("AND", "OR"):
            self.position += 1
            self.comparison_term(depth)

    def comparison_term(self, depth: int) -> None:
        if self.peek() == ("punct", "("):
            self.position += 1
            self.comparison_expression(depth + 1)
            self.take("punct", ")")
        else:
            self.comparison()

    def comparison(self) -> None:
        path = self.take("path")
        negated = self.is_word("NOT")
        if negated:
            self.position += 1
        kind, token = self.peek()
        if kind == "operator" or (kind == "word" and token.upper() in _COMPARISON_WORDS):
            self.position += 1
            operator = token.upper()
        else:
            raise self.fail(f"expected a comparison operator after {path} but found {token!r}")
        values = self.value_list() if operator == "IN" else (self.value(),)
        prefix = "NOT " if negated else ""
        strings = tuple(v for v in values if v is not None)
        self.comparisons.append(Comparison(path, prefix + operator, strings))

    def value_list(self) -> tuple[str | None, ...]:
        self.take("punct", "(")
        values = [self.value()]
        while self.peek() == ("punct", ","):
            self.position += 1
            values.append(self.value())
        self.take("punct", ")")
        return tuple(values)

    def value(self) -> str | None:
        kind, token = self.peek()
        if kind == "string":
            self.position += 1
            return _unescape(token[1:-1])
        if kind in ("number", "literal") or self.is_word("TRUE", "FALSE"):
            self.position += 1
            return None
        raise self.fail(f"expected a value but found {token or 'the end'!r}")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text, flags=re.DOTALL)


def _tokenise(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match:
            raise InvalidDataError(
                f"pattern {text[:120]!r}: unexpected {text[position : position + 10]!r} "
                f"at character {position + 1}"
            )
        kind = match.lastgroup or ""
        if kind != "space":
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


def parse_pattern(text: str) -> tuple[Comparison, ...]:
    """Every comparison in a STIX 2.1 pattern; InvalidDataError if the pattern is malformed."""
    simple = _SIMPLE_PATTERN.fullmatch(text)
    if simple:  # `[path = 'value']`, nearly every indicator in real bundles: no tokens needed
        path, value = simple.groups()
        return (Comparison(path, "=", (_unescape(value),)),)
    parser = _Parser(text, _tokenise(text))
    parser.pattern(0)
    if parser.position != len(parser.tokens):
        raise parser.fail(f"unexpected {parser.peek()[1]!r} after the pattern")
    return tuple(parser.comparisons)


def indicator_values(comparisons: tuple[Comparison, ...]) -> Iterator[tuple[str, str]]:
    """(AppIndicator field, value) for each positive equality a scan can use.

    Each value of an OR is an indicator in its own right; the parts of an AND are each kept
    too, which can only widen a match, never hide one.
    """
    for comparison in comparisons:
        if comparison.operator not in ("=", "IN"):
            continue
        target = _field_for(comparison.path)
        for value in comparison.values:
            if target is None or not value.strip():
                continue
            if target == "ips":
                address = _single_address(value)
                if address:
                    yield target, address
            elif target == "file_hashes":
                yield target, value.strip().lower()
            else:
                yield target, value.strip()


def _field_for(path: str) -> str | None:
    object_type, _, prop = path.partition(":")
    object_type, prop = object_type.lower(), prop.lower()
    if object_type == "domain-name" and prop == "value":
        return "domains"
    if object_type in ("ipv4-addr", "ipv6-addr") and prop == "value":
        return "ips"
    if object_type in ("file", "process") and prop == "name":
        return "process_names"
    if object_type == "file" and prop.startswith("hashes."):
        algorithm = prop[len("hashes.") :].strip("'").replace("-", "")
        return "file_hashes" if algorithm in _HASH_NAMES else None
    if object_type == "app" and prop == "id":
        return "packages"
    return None


def _single_address(value: str) -> str | None:
    """An address, or a network of one address; wider ranges are left out."""
    try:
        network = ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None
    return str(network.network_address) if network.num_addresses == 1 else None


def looks_like_stix2(document: Any) -> bool:
    return isinstance(document, dict) and document.get("type") == "bundle"


def parse_stix2(document: Any, where: str, source: SourceInfo) -> IndicatorSet:
    document = expect_mapping(document, where)
    if document.get("type") != "bundle":
        raise InvalidDataError(f'{where}: not a STIX 2 bundle (no "type": "bundle")')
    objects = expect_list(document.get("objects"), f"{where}: objects")
    by_id: dict[str, dict] = {}
    for number, item in enumerate(objects):
        item = expect_mapping(item, f"{where}: objects[{number}]")
        if not isinstance(item.get("type"), str) or not isinstance(item.get("id", ""), str):
            raise InvalidDataError(f"{where}: objects[{number}]: needs a text 'type' and 'id'")
        by_id[item.get("id") or f"#{number}"] = item
    groups = _group_indicators(by_id, where)
    taken = UniqueIds()
    apps = []
    for (name, category, platforms), fields in groups.items():
        if fields:
            apps.append(
                AppIndicator(
                    id=unique_id(source.id, name, taken),
                    name=name,
                    category=category,
                    source=source.id,
                    platforms=platforms,
                    **{target: tuple(found) for target, found in fields.items()},
                )
            )
    return IndicatorSet((source,), tuple(apps))


Group = tuple[str, str, tuple[str, ...]]  # name, category, platforms


def _group_indicators(by_id: dict[str, dict], where: str) -> dict[Group, dict[str, dict]]:
    """(name, category, platforms) -> field -> values (a dict as an ordered set: a repeated
    value costs one look-up, so 20,000 copies of one indicator cost no more than 20,000)."""
    targets: dict[str, list[str]] = {}
    for item in by_id.values():
        if item["type"] == "relationship" and item.get("relationship_type") == "indicates":
            source_ref, target_ref = item.get("source_ref"), item.get("target_ref")
            if isinstance(source_ref, str) and isinstance(target_ref, str) and target_ref in by_id:
                targets.setdefault(source_ref, []).append(target_ref)
    groups: dict[Group, dict[str, dict]] = {}
    for object_id, item in by_id.items():
        if item["type"] != "indicator":
            continue
        place = f"{where}: indicator {object_id}"
        pattern_type = item.get("pattern_type", "stix")
        if pattern_type != "stix":
            continue
        pattern = item.get("pattern")
        if not isinstance(pattern, str):
            raise InvalidDataError(f"{place}: 'pattern' must be text, found {describe(pattern)}")
        try:
            values = list(indicator_values(parse_pattern(pattern)))
        except InvalidDataError as error:
            raise InvalidDataError(f"{place}: {error.message}") from None
        owners = [by_id[ref] for ref in targets.get(object_id, ())] or [item]
        for owner in owners:
            platforms = platforms_of(item, owner, values)
            key = (_name_of(owner, object_id), _category_of(owner), platforms)
            fields = groups.setdefault(key, {})
            for target, value in values:
                fields.setdefault(target, {})[value] = None
    return groups


# Platform names as bundles write them (`x_mitre_platforms`, labels) -> the model's names.
_PLATFORM_WORDS = {
    "windows": "windows",
    "macos": "macos",
    "mac-os": "macos",
    "osx": "macos",
    "linux": "linux",
    "android": "android",
    "ios": "ios",
    "iphone": "ios",
    "ipados": "ios",
}
# MVT, whose STIX files are the main source of `process:name` indicators, checks phones: its
# process (and file) names are iOS and Android processes. A name with no platform stated is
# taken as such, so that an iOS process name (Pegasus's `bh`) never matches a computer's
# program of the same name; a bundle meant for computers says so with `x_mitre_platforms`.
MOBILE_BY_CONVENTION = ("android", "ios")


def platforms_of(indicator: dict, owner: dict, values: list[tuple[str, str]]) -> tuple[str, ...]:
    """Where an indicator applies, as the bundle says: `x_mitre_platforms` of the indicator,
    else of the malware or tool it indicates, else platform words in their labels; with
    nothing stated, process names follow MVT's convention (phones) and the rest is ()."""
    for item in (indicator, owner):
        stated = _platform_words(item.get("x_mitre_platforms"))
        if stated:
            return stated
    for item in (indicator, owner):
        for key in ("labels", "indicator_types", "malware_types", "tool_types"):
            stated = _platform_words(item.get(key))
            if stated:
                return stated
    if any(target == "process_names" for target, _ in values):
        return MOBILE_BY_CONVENTION
    return ()


def _platform_words(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    found: dict[str, None] = {}
    for word in value:
        if isinstance(word, str):
            # "platform:ios", "ios", "iOS" alike
            name = _PLATFORM_WORDS.get(word.strip().lower().rpartition(":")[2].strip())
            if name:
                found[name] = None
    return tuple(sorted(found))


def _name_of(item: dict, fallback: str) -> str:
    name = item.get("name")
    return name.strip() if isinstance(name, str) and name.strip() else fallback


def _category_of(item: dict) -> str:
    labels: list[str] = []
    for key in ("malware_types", "tool_types", "labels", "indicator_types"):
        value = item.get(key)
        if isinstance(value, list):
            labels += [label.lower() for label in value if isinstance(label, str)]
    for label in labels:
        if label in CATEGORIES:
            return label
    if item.get("type") == "tool" or "remote-access" in labels:
        return "remote-access"
    return "stalkerware" if "stalkerware" in " ".join(labels) else "spyware"
