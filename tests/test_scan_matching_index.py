"""Path rules filed by three characters find exactly what trying every rule would find."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devicecheck.core.indicators.model import (
    PatternRule,
    compile_cmdline_pattern,
    compile_path_pattern,
    normalise_path,
)
from devicecheck.core.scan.matching import _ORDINARY_PATHS, Matcher, _Rules

PIECES = ["c:/", "program files/", "anydesk/", "any", "desk.exe", "/usr/bin/", "*", "?", "ab"]
PIECES += ["[ab]", "%appdata%/", "/applications/", "x.app/", "/", "", "remote", "net"]
patterns = st.lists(st.sampled_from(PIECES), min_size=1, max_size=5).map("".join)
texts = st.lists(st.sampled_from([p for p in PIECES if p not in "*?[ab]"]), max_size=6).map("".join)


def every_rule(rules: _Rules, text: str) -> list[PatternRule]:
    """What the filing must not change: every rule tried in order."""
    return [
        rule
        for literal, rule in rules.rules
        if literal in text and rule.regex.match(text) and not rules._is_broad(rule)
    ]


@settings(max_examples=300, deadline=None)
@given(st.lists(patterns, min_size=1, max_size=12), st.lists(texts, min_size=1, max_size=5))
def test_filed_rules_match_as_every_rule_would(written, observed):
    for compiler, normalise in (
        (compile_path_pattern, normalise_path),
        (compile_cmdline_pattern, str.lower),
    ):
        made = tuple(PatternRule(p, compiler, n) for n, p in enumerate(written))
        rules = _Rules(made, normalise, _ORDINARY_PATHS)
        for text in observed:
            assert rules.matching(text) == every_rule(rules, text)


def test_a_rule_is_found_wherever_its_three_characters_sit():
    from devicecheck.core.indicators.model import AppIndicator, IndicatorSet, SourceInfo

    source = SourceInfo("t", "T", "CC0", "", "", "1")
    spy = AppIndicator(
        "t:spy",
        "Spy",
        "stalkerware",
        "t",
        exe_paths=("C:\\Program Files\\AnyDesk\\AnyDesk.exe", "/usr/lib/spy/agent-*"),
    )
    matcher = Matcher(IndicatorSet((source,), (spy,)))
    assert [m.match.indicator for m in matcher.path("C:\\Program Files\\AnyDesk\\AnyDesk.exe")] == [
        "C:\\Program Files\\AnyDesk\\AnyDesk.exe"
    ]
    assert [m.match.value for m in matcher.path("/usr/lib/spy/agent-7")] == ["/usr/lib/spy/agent-7"]
    assert matcher.path("/usr/lib/other/agent-7") == []
