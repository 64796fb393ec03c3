"""The event-driven YAML reader: PyYAML's values and refusals, plus the line of every value."""

from __future__ import annotations

import datetime

import pytest
import yaml

from guardian.policy.lines import LineDict, LineList, line_of
from guardian.policy.source import SourceError, parse_text


def parse(text: str) -> object:
    return parse_text(text, "yaml", "p.yaml")


def test_values_match_pyyaml_safe_load() -> None:
    text = (
        "a: [yes, no, ~, 1.5, 0x10, 2020-01-01, '1', null, true, '', -3, .inf, 0o17]\n"
        "b: {x: plain words, 'y': \"quoted: yes\", z: !!str 123, w: !!int '7'}\n"
        "c: |\n  block\n  text\n"
        "d: &anchor [1, 2]\n"
        "e: *anchor\n"
    )
    assert parse(text) == yaml.safe_load(text)
    data = parse(text)
    assert isinstance(data, dict)
    assert data["a"][5] == datetime.date(2020, 1, 1)


def test_mappings_and_lists_carry_their_lines() -> None:
    data = parse("version: 1\nrules:\n  - id: a\n    effect: allow\n  - id: b\n    effect: deny\n")
    assert isinstance(data, LineDict)
    rules = data["rules"]
    assert isinstance(rules, LineList)
    assert rules.item_lines == [3, 5]
    assert line_of(rules[1]) == 5
    assert line_of(rules[1], "effect") == 6
    assert line_of(data, "rules") == 2


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: &x [1, *x]\n", 1, "undefined alias 'x'"),
        ("a: *nope\n", 1, "undefined alias 'nope'"),
        ("a: !!set {x, y}\n", 1, "not supported in policies"),
        ("a: !!python/object:os.system x\n", 1, "could not determine a constructor"),
        ("a: 1\n---\nb: 2\n", 2, "expected a single document"),
        ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
        ("1: a\n", 1, "key 1 is not a string"),
        ("? [a]\n: b\n", 1, "is not a string"),
        ("a: " + "[" * 300 + "]" * 300 + "\n", 1, "nested deeper than 200 levels"),
        ("a: [1, 2\n", 2, "did not find expected ','"),
        ("base: &b {x: 1}\nc:\n  <<: *b\n", 3, "merge"),
    ],
)
def test_refusals_name_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(SourceError) as caught:
        parse(text)
    assert caught.value.problem.line == line
    assert message in str(caught.value)


def test_empty_documents() -> None:
    with pytest.raises(SourceError, match="empty"):
        parse("  \n")
    assert parse("# only a comment\n") is None
