"""check_sql against its labelled corpus, plus the properties the corpus cannot show."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from guardian.analyzers import SUGGESTED_SENSITIVE_PATTERNS, Verdict, check_sql
from guardian.analyzers.sql_facts import extract
from guardian.core.decision import Decision

from .corpus import accuracy_report, load, mismatch

DEFAULTS, CASES = load("sql")


def judge(case: dict[str, Any]) -> Verdict:
    options: dict[str, Any] = {"sensitive": case.get("sensitive", DEFAULTS["sensitive"])}
    for key in ("max_rows", "dialect", "sensitive_patterns"):
        if key in case:
            options[key] = case[key]
    return check_sql(case["query"], **options)


def test_corpus_size_and_mix() -> None:
    assert len(CASES) >= 60
    decisions = {c["decision"] for c in CASES}
    assert decisions == {"ALLOW", "ASK", "DENY"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    problem = mismatch(case, judge(case))
    assert problem is None, problem


def test_corpus_accuracy_is_100_percent() -> None:
    accuracy, failures = accuracy_report(CASES, judge)
    assert accuracy == 1.0, f"{accuracy:.1%} accurate; failing cases:\n" + "\n".join(failures)


def test_contract_default_has_no_patterns() -> None:
    # sensitive_patterns defaults to empty, so only the map decides what is sensitive.
    assert check_sql("SELECT token FROM sessions WHERE id = 1").decision is Decision.ALLOW
    verdict = check_sql(
        "SELECT token FROM sessions WHERE id = 1", sensitive_patterns=SUGGESTED_SENSITIVE_PATTERNS
    )
    assert verdict.decision is Decision.ASK


def test_messages_name_table_and_column() -> None:
    verdict = check_sql("SELECT u.ssn FROM users u WHERE u.id = 1", sensitive={"users": ["ssn"]})
    assert [f.message for f in verdict.findings] == ["reads sensitive column users.ssn"]


def test_deterministic_and_cache_independent_of_policy() -> None:
    query = "SELECT email FROM users WHERE id = 1"
    first = check_sql(query, sensitive={"users": ["email"]})
    assert check_sql(query, sensitive={"users": ["email"]}) == first
    # The same query judged under another policy must not reuse the first verdict.
    assert check_sql(query, sensitive={}).decision is Decision.ALLOW
    assert check_sql(query, sensitive={"users": ["*"]}).codes == ("sql_sensitive_table",)


def test_long_query_bypasses_cache_but_not_checks() -> None:
    padding = " OR ".join(f"id = {i}" for i in range(2000))
    query = f"SELECT ssn FROM users WHERE {padding}"
    assert len(query) > 8192
    assert check_sql(query, sensitive={"users": ["ssn"]}).codes == ("sql_sensitive_column",)


def test_other_dialect() -> None:
    verdict = check_sql(
        "SELECT `ssn` FROM `users` WHERE id = 1", dialect="mysql", sensitive={"users": ["ssn"]}
    )
    assert verdict.decision is Decision.ASK


def test_verdict_serialises() -> None:
    data = check_sql("DROP TABLE x").to_dict()
    assert data["decision"] == "DENY"
    assert data["findings"][0]["code"] == "sql_write"
    assert set(data["findings"][0]) == {"code", "message", "decision"}


def test_reused_parser_leaves_no_trace() -> None:
    # Each thread reuses one sqlglot tokenizer and parser per dialect: a failed parse, another
    # dialect or any query in between must not change what the next query is found to be.
    query = "SELECT id FROM orders WHERE id = 1"
    assert check_sql("SELECT (").codes == ("sql_parse_error",)
    assert extract(query, "postgres") == extract(query, "postgres")
    assert extract("SELECT `a` FROM `t` LIMIT 1", "mysql").tables == ("t",)
    assert check_sql("SELECT 'unterminated").codes == ("sql_parse_error",)
    assert extract(query, "postgres").columns == (("id", ("orders",)),)


def test_threads_parse_independently() -> None:
    # Uncached extraction from several threads at once gives the sequential answers.
    cases = [(c["query"], c.get("dialect", "postgres")) for c in CASES]
    expected = [extract(q, d) for q, d in cases]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(lambda c: extract(*c), cases)) == expected
