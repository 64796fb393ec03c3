"""One model, several spellings: native YAML/JSON/TOML/dicts, seed 000 typed policies, seed 001 lists."""

import json
from pathlib import Path

import pytest

from guardian import Guardian, load_policy

NATIVE = {
    "version": 1,
    "agents": {"mailer": {"tools": ["send_email", "read_*"]}},
    "rules": [
        {"id": "mail", "action": "send_email", "target": "internal_*", "effect": "ALLOW"},
        {"id": "big", "action": "pay", "when": "params.amount > 100", "effect": "ASK"},
        {"id": "small", "action": "pay", "effect": "ALLOW"},
    ],
}

YAML = """
version: 1
agents:
  mailer: {tools: [send_email, "read_*"]}
rules:
  - {id: mail, action: send_email, target: "internal_*", effect: ALLOW}
  - {id: big, action: pay, when: "params.amount > 100", effect: ASK}
  - {id: small, action: pay, effect: ALLOW}
"""

TOML = """
version = 1
[agents.mailer]
tools = ["send_email", "read_*"]

[[rules]]
id = "mail"
action = "send_email"
target = "internal_*"
effect = "ALLOW"

[[rules]]
id = "big"
action = "pay"
when = "params.amount > 100"
effect = "ASK"

[[rules]]
id = "small"
action = "pay"
effect = "ALLOW"
"""


@pytest.mark.parametrize("kind", ["dict", "yaml", "json", "toml"])
def test_every_format_loads_the_same_policy(tmp_path: Path, kind: str) -> None:
    if kind == "dict":
        source: object = NATIVE
    else:
        text = {"yaml": YAML, "json": json.dumps(NATIVE), "toml": TOML}[kind]
        source = tmp_path / f"policy.{kind}"
        source.write_text(text)  # type: ignore[union-attr]
    policy = load_policy(source)  # type: ignore[arg-type]
    assert policy.policy_hash == load_policy(NATIVE).policy_hash
    g = Guardian(policy)
    assert g.decide("mailer", "send_email", "internal_list").decision == "ALLOW"
    assert g.decide("mailer", "pay", "x", {"amount": 500}).reason_codes == ("not_in_allowlist",)
    assert g.decide("billing", "pay", "x", {"amount": 500}).rule_id == "big"
    assert g.decide("billing", "pay", "x", {"amount": 5}).rule_id == "small"


def test_seed_001_rule_list_loads_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "default_policy.json"
    path.write_text(json.dumps([
        {"actor": "*", "action": "send_email", "target": "*", "effect": "ALLOW"},
        {"actor": "*", "action": "delete_*", "target": "*", "effect": "DENY"},
        {"actor": "ops", "action": "deploy", "target": "prod", "effect": "ESCALATE"},
    ]))  # fmt: skip
    g = Guardian(path)
    record = g.decide(actor="notification_agent", action="send_email", target="internal_list")
    assert record["decision"] == "ALLOW" and record["rule_id"] == "rule-1"
    assert g.decide("ops", "deploy", "prod").decision == "ASK"
    assert g.decide("ops", "delete_db", "prod").decision == "DENY"
    assert g.decide("ops", "reboot", "prod").reason_codes == ("no_rule_matched",)


def test_seed_000_typed_policies_keep_first_match_order() -> None:
    # Seed 000 let a later ALLOW beat an earlier REQUIRE_APPROVAL; here order decides.
    policy = {
        "policies": [
            {"name": "approvals", "type": "REQUIRE_APPROVAL", "rules": [{"action": "write_file"}]},
            {"name": "allowed", "type": "ALLOW_LIST", "rules": [{"action": "write_file"}, {"action": "read_file"}]},
            {"name": "blocked", "type": "DENY_LIST", "rules": [{"action": "rm"}]},
            {"name": "limited", "type": "RATE_LIMIT", "rate_limit": {"max": 2, "per": "session+action"},
             "rules": [{"action": "search"}]},
        ]
    }  # fmt: skip
    g = Guardian(policy)
    record = g.decide("a", "write_file", "x")
    assert record.decision == "ASK" and record.rule_id == "approvals.1"
    assert g.decide("a", "read_file", "x").rule_id == "allowed.3"
    assert g.decide("a", "rm", "x").decision == "DENY"
    decisions = [g.decide("a", "search", session_id="s1").decision for _ in range(3)]
    assert decisions == ["ALLOW", "ALLOW", "DENY"]
    assert g.decide("a", "search", session_id="s2").decision == "ALLOW"


def test_seed_000_decision_field_is_an_alias_of_effect() -> None:
    g = Guardian([{"action": "read_file", "decision": "ALLOW"}])
    assert g.decide("a", "read_file").decision == "ALLOW"


def test_seed_policy_with_unknown_type() -> None:
    from guardian import PolicyError

    with pytest.raises(PolicyError, match="unknown type 'MAYBE_LIST'"):
        load_policy({"policies": [{"name": "x", "type": "MAYBE_LIST", "rules": []}]})


def test_policy_hash_ignores_formatting_but_not_content() -> None:
    a = load_policy([{"action": "x", "effect": "ALLOW"}])
    b = load_policy([{"effect": "ALLOW", "action": "x"}])
    c = load_policy([{"action": "x", "effect": "DENY"}])
    assert a.policy_hash == b.policy_hash != c.policy_hash
