from guardian.policy.lint import lint
from guardian.policy.load import load_policy


def codes(rules: list[dict]) -> list[tuple[str, str]]:
    return [(w.code, w.rule_id) for w in lint(load_policy(rules))]


def test_shadowed_and_unreachable_rules_are_reported() -> None:
    assert codes([
        {"id": "writes", "action": "write_*", "effect": "ASK"},
        {"id": "write-file", "action": "write_file", "effect": "ALLOW"},
        {"id": "all", "effect": "DENY"},
        {"id": "after", "action": "read", "effect": "ALLOW"},
    ]) == [("shadowed", "write-file"), ("unreachable", "after")]  # fmt: skip


def test_conditional_rules_shadow_nothing() -> None:
    assert codes([
        {"id": "cond", "action": "pay", "when": "params.amount > 1", "effect": "ASK"},
        {"id": "pay", "action": "pay", "effect": "ALLOW"},
        {"id": "auth", "action": "x", "min_authority": 4, "effect": "ALLOW"},
        {"id": "x", "action": "x", "effect": "DENY"},
    ]) == []  # fmt: skip


def test_narrower_earlier_rule_does_not_shadow_broader_later_one() -> None:
    assert codes([
        {"id": "one", "action": "write_file", "effect": "ASK"},
        {"id": "many", "action": "write_*", "effect": "ALLOW"},
    ]) == []  # fmt: skip
