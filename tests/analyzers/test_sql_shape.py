"""The shape cache: a cached verdict is the verdict a fresh parse would give."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlglot.tokenizer_core import TokenType
from tests.analyzers.corpus import load

from guardian.analyzers import check_sql
from guardian.analyzers.sql_facts import MAX_SHAPE_CHARS, QueryFacts
from guardian.analyzers.sql_parse import tokenize
from guardian.analyzers.sql_shape import SHAPES, ShapeCache, shape_of

DEFAULTS, CASES = load("sql")
SENSITIVE = {"users": ["ssn", "email"], "payroll": ["*"], "orders": ["card_number"]}
#: Replacement values meant to change the facts if a literal ever reached them.
STRINGS = ["payroll", "users", "x", "", "it''s", "orders.card_number", "1 day", "$.a.b"]


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    SHAPES.clear()
    yield
    SHAPES.clear()


def _fresh(query: str, **options: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """check_sql's verdict on `query` from a parse, with no shape known beforehand."""
    saved = dict(SHAPES._facts)
    SHAPES.clear()
    try:
        verdict = check_sql(query, **options)
    finally:
        SHAPES.clear()
        SHAPES._facts.update(saved)
    return verdict.decision.value, verdict.codes, tuple(f.message for f in verdict.findings)


def _cached(query: str, **options: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    verdict = check_sql(query, **options)
    return verdict.decision.value, verdict.codes, tuple(f.message for f in verdict.findings)


def _with_literals(query: str, dialect: str, values: st.DataObject) -> str:
    """`query` with each string and number literal replaced by a drawn value."""
    out, at = [], 0
    for token in tokenize(query, dialect):
        if token.token_type not in (TokenType.STRING, TokenType.NUMBER):
            continue
        if token.token_type is TokenType.STRING:  # the token's span includes its quotes
            new = "'" + values.draw(st.sampled_from(STRINGS)) + "'"
        else:
            new = str(values.draw(st.integers(min_value=0, max_value=10**7)))
        out.append(query[at : token.start] + new)
        at = token.end + 1
    return "".join(out) + query[at:]


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(CASES), values=st.data())
def test_a_cached_verdict_is_the_verdict_of_a_fresh_parse(
    case: dict[str, Any], values: st.DataObject
) -> None:
    """Every corpus query, then the same query with other literal values: whether the shape
    was cached or not, the second verdict is what a parse of it alone gives."""
    options: dict[str, Any] = {"sensitive": case.get("sensitive", SENSITIVE)}
    for key in ("max_rows", "sensitive_patterns", "dialect"):
        if key in case:
            options[key] = case[key]
    query = case["query"]
    if not isinstance(query, str) or len(query) > MAX_SHAPE_CHARS:
        return
    try:
        variant = _with_literals(query, options.get("dialect", "postgres"), values)
    except Exception:  # a query that does not tokenize has no literals to vary
        return
    _cached(query, **options)
    assert _cached(variant, **options) == _fresh(variant, **options)


@pytest.mark.parametrize(
    ("first", "second", "code"),
    [
        # sqlglot makes names out of strings: those shapes are never cached.
        ("SELECT * FROM 'refunds' WHERE id = 1", "SELECT * FROM 'payroll' WHERE id = 1",
         "sql_sensitive_table"),
        ("SELECT x.ssn FROM orders AS 'x' JOIN users AS 'y' ON true WHERE x.id = 1",
         "SELECT x.ssn FROM orders AS 'y' JOIN users AS 'x' ON true WHERE x.id = 1",
         "sql_sensitive_column"),
        # The row bound is read from LIMIT / FETCH counts: their values stay in the shape.
        ("SELECT id FROM orders LIMIT 10", "SELECT id FROM orders LIMIT 100000", "sql_unbounded"),
        ("SELECT id FROM orders FETCH FIRST 5 ROWS ONLY",
         "SELECT id FROM orders FETCH FIRST 50000 ROWS ONLY", "sql_unbounded"),
        ("SELECT id FROM orders UNION ALL (SELECT id FROM refunds LIMIT 3) LIMIT 9",
         "SELECT id FROM orders UNION ALL (SELECT id FROM refunds LIMIT 3) LIMIT 90000",
         "sql_unbounded"),
    ],
)  # fmt: skip
def test_literals_that_decide_facts_are_not_left_out(first: str, second: str, code: str) -> None:
    assert _cached(first, sensitive=SENSITIVE)[0] == "ALLOW"
    assert code in _cached(second, sensitive=SENSITIVE)[1]
    assert _cached(second, sensitive=SENSITIVE) == _fresh(second, sensitive=SENSITIVE)


def test_one_shape_serves_other_values_and_keeps_none_of_them() -> None:
    base = "SELECT id FROM orders WHERE note = '{}' AND total > {} LIMIT 5"
    assert check_sql(base.format("hunter2", 10)).decision.value == "ALLOW"
    assert len(SHAPES) == 1
    assert check_sql(base.format("s3cr3t-token", 99)).decision.value == "ALLOW"
    assert len(SHAPES) == 1  # the same shape: no second entry
    kept = [item for (_, shape) in SHAPES._facts for item in shape if isinstance(item, str)]
    assert "5" in kept  # the LIMIT count stays
    assert not {"hunter2", "s3cr3t-token", "10", "99"} & set(kept)


def test_the_shape_leaves_out_literal_values_but_row_counts() -> None:
    shape, left_out = shape_of(tokenize("SELECT 'a', 7 FROM t FETCH FIRST 3 ROWS ONLY", "postgres"))
    assert [token.text for token in left_out] == ["a", "7"]
    assert [item for item in shape if isinstance(item, str)] == [
        "SELECT", ",", "FROM", "t", "FETCH", "FIRST", "3", "ROWS", "ONLY",
    ]  # fmt: skip


def test_long_queries_and_queries_that_fail_are_not_cached() -> None:
    long_query = "SELECT id FROM orders WHERE " + " OR ".join(["id = 1"] * (MAX_SHAPE_CHARS // 8))
    assert check_sql(long_query).decision.value == "ALLOW"
    assert check_sql("SELECT * FROM (").codes == ("sql_parse_error",)
    assert check_sql("SELECT 'unterminated").codes == ("sql_parse_error",)
    assert len(SHAPES) == 0


def test_the_cache_is_bounded_and_drops_the_oldest() -> None:
    cache = ShapeCache(2)
    for n in range(3):
        cache.put("postgres", (n,), QueryFacts(tables=(f"t{n}",)))
    assert len(cache) == 2
    assert ("postgres", (0,)) not in cache._facts


def test_tokens_that_touch_make_another_shape() -> None:
    """sqlglot reads touching tokens as one in places (`tbl*`, `x.1a`): spacing is shape."""
    touching, _ = shape_of(tokenize("SELECT a.b FROM t", "postgres"))
    apart, _ = shape_of(tokenize("SELECT a. b FROM t", "postgres"))
    assert touching != apart


def test_a_number_read_as_a_name_is_not_left_out() -> None:
    sensitive = {"t": ["2"]}
    assert _cached("SELECT t.1 FROM t WHERE id = 1", sensitive=sensitive)[0] == "ALLOW"
    assert _cached("SELECT t.2 FROM t WHERE id = 1", sensitive=sensitive)[1] == (
        "sql_sensitive_column",
    )
