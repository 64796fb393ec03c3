"""Analyzers named by a rule run on the intent's params; they only tighten and fail closed."""

import pytest

from guardian import Guardian, PolicyError, load_policy

POLICY = {
    "rules": [
        {"id": "sql", "action": "run_sql", "effect": "ALLOW",
         "analyze": {"sql": {"param": "query", "sensitive": {"users": ["email"], "api_keys": ["*"]}}}},
        {"id": "mail", "action": "send_email", "effect": "ALLOW",
         "analyze": {"email": {"internal_domains": ["example.com"]}}},
        {"id": "files", "action": "read_file", "effect": "ASK", "analyze": {"path": {"roots": ["/srv/docs"]}}},
    ]
}  # fmt: skip


@pytest.mark.parametrize(
    ("query", "decision", "code"),
    [
        ("SELECT id, name FROM users WHERE id = 3", "ALLOW", None),
        ("SELECT email FROM users LIMIT 10", "ASK", "sql_sensitive_column"),
        ("DELETE FROM orders WHERE id = 1", "DENY", "sql_write"),
        ("SELECT * FROM api_keys", "DENY", "sql_sensitive_table"),
        ("SELECT 1; DROP TABLE users", "DENY", "sql_multiple_statements"),
        ("SELECT name FROM users", "ASK", "sql_unbounded"),
    ],
)
def test_sql_findings_become_reasons(query: str, decision: str, code: str | None) -> None:
    record = Guardian(POLICY).decide("a", "run_sql", "db", {"query": query})
    assert record.decision == decision
    assert record.rule_id == "sql"
    if code:
        assert code in record.reason_codes


def test_email_analyzer() -> None:
    g = Guardian(POLICY)
    ok = g.decide(
        "a", "send_email", "x", {"to": "bob@example.com", "subject": "hi", "body": "see you"}
    )
    assert ok.decision == "ALLOW"
    external = g.decide(
        "a", "send_email", "x", {"to": "eve@evil.test", "subject": "hi", "body": "x"}
    )
    assert external.decision == "ASK" and "external_recipient" in external.reason_codes
    secret = g.decide("a", "send_email", "x", {"to": "bob@example.com", "subject": "k",
                                                "body": "ghp_" + "a1B2" * 9})  # fmt: skip
    assert secret.decision == "DENY" and "secret" in secret.reason_codes


def test_analyzers_never_loosen_an_ask() -> None:
    record = Guardian(POLICY).decide("a", "read_file", "x", {"path": "/srv/docs/readme.md"})
    assert record.decision == "ASK"
    outside = Guardian(POLICY).decide("a", "read_file", "x", {"path": "/srv/docs/../../etc/passwd"})
    assert outside.decision == "DENY" and "path_outside_roots" in outside.reason_codes


@pytest.mark.parametrize("params", [{}, {"query": 42}, {"query": ["SELECT 1"]}])
def test_missing_or_mistyped_param_is_deny(params: dict) -> None:
    record = Guardian(POLICY).decide("a", "run_sql", "db", params)
    assert record.decision == "DENY"


def test_analyzer_options_are_validated_at_load() -> None:
    with pytest.raises(PolicyError, match="unknown option 'tables'"):
        load_policy([{"effect": "ALLOW", "analyze": {"sql": {"tables": {}}}}])
    with pytest.raises(PolicyError, match="needs roots"):
        load_policy([{"effect": "ALLOW", "analyze": {"path": {}}}])


def test_an_analyzer_that_raises_is_deny_analyzer_error() -> None:
    g = Guardian(
        [{"id": "r", "effect": "ALLOW", "analyze": {"sql": {"sensitive": "not-a-mapping"}}}]
    )
    record = g.decide("a", "run_sql", "db", {"query": "SELECT 1"})
    assert record.decision == "DENY"
    assert any(code in ("analyzer_error", "input_invalid") for code in record.reason_codes)
