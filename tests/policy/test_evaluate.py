"""The semantics of the policy steps: first match wins, default DENY, conditions, authority, limits."""

import pytest

from guardian import Authority, Guardian, Principal


def test_first_match_wins_even_when_a_later_rule_is_more_permissive() -> None:
    g = Guardian([
        {"id": "ask-writes", "action": "write_*", "effect": "ASK"},
        {"id": "allow-all", "effect": "ALLOW"},
    ])  # fmt: skip
    assert g.decide("a", "write_file").rule_id == "ask-writes"
    assert g.decide("a", "read_file").rule_id == "allow-all"


def test_no_match_is_deny_with_code() -> None:
    g = Guardian([{"action": "x", "effect": "ALLOW"}])
    record = g.decide("a", "y")
    assert record.decision == "DENY" and record.rule_id is None
    assert record.reason_codes == ("no_rule_matched",)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("send_*", "send_email", True),
        ("send_*", "send_", True),
        ("send_*", "resend_email", False),
        ("*_email", "send_email", True),
        ("a?c", "abc", True),
        ("a?c", "abbc", False),
        ("db.*.read", "db.users.read", True),
        ("db.*.read", "db.users.write", False),
        ("*", "", True),
        ("exact", "exact", True),
        ("exact", "Exact", False),
    ],
)
def test_glob_patterns(pattern: str, value: str, matches: bool) -> None:
    g = Guardian([{"target": pattern, "effect": "ALLOW"}])
    assert (g.decide("a", "act", value).decision == "ALLOW") is matches


def test_pattern_lists_match_any() -> None:
    g = Guardian([{"actor": ["a1", "b*"], "action": "x", "effect": "ALLOW"}])
    assert g.decide("a1", "x").allowed and g.decide("bob", "x").allowed
    assert not g.decide("a2", "x").allowed


def test_condition_over_params_metadata_intent_principal() -> None:
    g = Guardian([
        {"id": "r", "action": "pay",
         "when": "params.amount < 100 && metadata.channel == 'api' && intent.target.startsWith('acme') "
                 "&& principal.authority >= 1",
         "effect": "ALLOW"},
    ])  # fmt: skip
    assert g.decide("a", "pay", "acme-1", {"amount": 5}, {"channel": "api"}).allowed
    assert g.decide("a", "pay", "acme-1", {"amount": 500}, {"channel": "api"}).reason_codes == (
        "no_rule_matched",
    )


def test_condition_runtime_error_is_deny_condition_error_never_allow() -> None:
    g = Guardian([
        {"id": "needs-amount", "action": "pay", "when": "params.amount < 100", "effect": "ALLOW"},
        {"id": "fallback", "action": "pay", "effect": "ALLOW"},
    ])  # fmt: skip
    record = g.decide("a", "pay", "x", {"currency": "EUR"})
    assert record.decision == "DENY"
    assert record.reason_codes == ("condition_error",)
    assert record.rule_id == "needs-amount"
    assert "needs-amount" in record.reasons[0].message


def test_condition_with_non_boolean_result_is_condition_error() -> None:
    g = Guardian([{"id": "r", "when": "params.n + 1", "effect": "ALLOW"}])
    assert g.decide("a", "x", params={"n": 1}).reason_codes == ("condition_error",)


def test_condition_dividing_by_zero_is_deny() -> None:
    g = Guardian([{"id": "r", "when": "params.n / params.d > 1", "effect": "ALLOW"}])
    assert g.decide("a", "x", params={"n": 1, "d": 0}).decision == "DENY"


def test_seed_003_word_operators() -> None:
    g = Guardian(
        [
            {
                "id": "r",
                "when": "params.a > 1 AND NOT (params.b == 'x' OR params.b == 'y')",
                "effect": "ALLOW",
            }
        ]
    )
    assert g.decide("a", "x", params={"a": 2, "b": "z"}).allowed
    assert not g.decide("a", "x", params={"a": 2, "b": "x"}).allowed
    # AND inside a string literal is left alone
    g2 = Guardian([{"id": "r", "when": "params.s == 'A AND B'", "effect": "ALLOW"}])
    assert g2.decide("a", "x", params={"s": "A AND B"}).allowed


def test_min_authority_skips_the_rule_for_weaker_principals() -> None:
    g = Guardian([
        {"id": "guardians", "action": "cancel_task", "min_authority": 4, "effect": "ALLOW"},
        {"id": "others", "action": "cancel_task", "effect": "DENY"},
    ])  # fmt: skip
    weak = Principal("w", "agent", Authority.MONITOR)
    strong = Principal("g", "guardian", Authority.GUARDIAN)
    system = Principal("s", "system", Authority.SYSTEM)
    assert g.decide("w", "cancel_task", principal=weak).rule_id == "others"
    assert g.decide("g", "cancel_task", principal=strong).rule_id == "guardians"
    assert g.decide("s", "cancel_task", principal=system).rule_id == "guardians"
    assert g.decide("g", "cancel_task").rule_id == "others"  # default principal: WORKER


def test_allowlist_denies_unlisted_actions_before_rules() -> None:
    g = Guardian({
        "agents": {"mailer": {"tools": ["send_email"]}},
        "rules": [{"id": "all", "effect": "ALLOW"}],
    })  # fmt: skip
    assert g.decide("mailer", "send_email").allowed
    record = g.decide("mailer", "delete_file")
    assert record.decision == "DENY" and record.reason_codes == ("not_in_allowlist",)
    assert g.decide("someone_else", "delete_file").allowed  # no allowlist: rules decide


def test_rate_limit_per_actor_with_window() -> None:
    from guardian.testing import FakeClock

    clock = FakeClock()
    g = Guardian([{"id": "r", "action": "search", "effect": "ALLOW",
                   "rate_limit": {"max": 2, "window": "60s", "per": "actor"}}], clock=clock)  # fmt: skip
    assert [g.decide("a", "search").decision for _ in range(3)] == ["ALLOW", "ALLOW", "DENY"]
    denied = g.decide("a", "search")
    assert denied.reason_codes == ("rate_limited",) and denied.rule_id == "r"
    assert g.decide("b", "search").allowed
    clock.advance(61)
    assert g.decide("a", "search").allowed


@pytest.mark.parametrize(
    ("per", "calls", "expected"),
    [
        ("actor", [("a", "x", "s1"), ("a", "y", "s2")], ["ALLOW", "DENY"]),
        (
            "session",
            [("a", "x", "s1"), ("b", "y", "s1"), ("a", "x", "s2")],
            ["ALLOW", "DENY", "ALLOW"],
        ),
        (
            "actor+action",
            [("a", "x", "s1"), ("a", "y", "s1"), ("a", "x", "s2")],
            ["ALLOW", "ALLOW", "DENY"],
        ),
    ],
)
def test_rate_limit_scopes(per: str, calls: list, expected: list) -> None:
    g = Guardian([{"id": "r", "effect": "ALLOW", "rate_limit": {"max": 1, "per": per}}])
    assert [g.decide(a, x, session_id=s).decision for a, x, s in calls] == expected


def test_ask_rule_fields_are_kept() -> None:
    g = Guardian([{"id": "pay", "action": "pay", "effect": "REQUIRE_APPROVAL", "never_auto_approve": True,
                   "approval_timeout": "15m", "reason": "money"}])  # fmt: skip
    record = g.decide("a", "pay")
    assert record.decision == "ASK" and record.reasons[0].message == "money"
    rule = g.policy.rule("pay")
    assert rule is not None and rule.never_auto_approve and rule.approval_timeout_seconds == 900


def test_denies_outright() -> None:
    from guardian.policy.evaluate import CompiledPolicy
    from guardian.policy.load import load_policy

    compiled = CompiledPolicy(load_policy({
        "agents": {"limited": {"tools": ["read_*"]}},
        "rules": [
            {"action": "rm", "effect": "DENY"},
            {"action": "write", "target": "/tmp/*", "effect": "ALLOW"},
            {"action": "maybe", "when": "params.x == 1", "effect": "DENY"},
            {"action": "maybe", "effect": "ALLOW"},
            {"action": "admin", "min_authority": 4, "effect": "ALLOW"},
            {"action": "read_*", "effect": "ALLOW"},
        ],
    }))  # fmt: skip
    assert compiled.denies_outright("a", "rm")
    assert compiled.denies_outright("a", "unknown_tool")
    assert not compiled.denies_outright("a", "write")
    assert not compiled.denies_outright("a", "maybe")
    assert compiled.denies_outright("a", "admin")
    assert not compiled.denies_outright("a", "admin", Principal("g", "guardian", 4))
    assert compiled.denies_outright("limited", "write")
    assert not compiled.denies_outright("limited", "read_file")


def test_now_may_be_a_function_called_only_for_a_rate_limit() -> None:
    from guardian.core.intent import Intent
    from guardian.core.principal import Principal
    from guardian.policy.evaluate import CompiledPolicy
    from guardian.policy.load import load_policy
    from guardian.policy.ratelimit import MemoryRateCounter

    compiled = CompiledPolicy(load_policy([
        {"id": "r", "action": "search", "effect": "ALLOW", "rate_limit": {"max": 1, "window": "60s"}},
        {"id": "all", "effect": "ALLOW"},
    ]))  # fmt: skip
    calls: list[float] = []

    def now() -> float:
        calls.append(1000.0)
        return 1000.0

    counter, reference = MemoryRateCounter(), MemoryRateCounter()
    for action in ("read", "search", "search", "read"):
        intent = Intent.create("a", action)
        principal = Principal.for_agent("a")
        lazy = compiled.evaluate(intent, principal, counter, now)
        assert lazy == compiled.evaluate(intent, principal, reference, 1000.0)
    assert len(calls) == 2  # the two searches; the reads never read the clock


def test_the_system_clock_still_drives_rate_limits_when_read_lazily() -> None:
    g = Guardian([{"id": "r", "effect": "ALLOW", "rate_limit": {"max": 1, "window": "1h"}}])
    assert [g.decide("a", "x").decision for _ in range(2)] == ["ALLOW", "DENY"]
