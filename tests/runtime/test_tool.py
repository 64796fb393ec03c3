"""`@g.tool` and GuardianWrapper: decided before running, redacted after, receipts for every call."""

import asyncio

import pytest

from guardian import ApprovalRequired, Denied, Guardian, Principal
from guardian.runtime.wrapper import GuardianWrapper

POLICY = {
    "tools": {"read_file": {"target": "path"}},
    "rules": [
        {"id": "reads", "action": "read_file", "target": "docs/*", "effect": "ALLOW"},
        {"id": "fetch", "action": "fetch", "effect": "ALLOW"},
        {"id": "boom", "action": "explode", "effect": "ALLOW"},
        {"id": "pay", "action": "pay", "effect": "ASK"},
        {"id": "default", "effect": "DENY", "reason": "not on the list"},
    ],
}


def receipts(g: Guardian) -> list[dict]:
    return [e.payload for e in g.ledger.entries() if e.kind == "receipt"]


def test_allowed_call_runs_and_records_a_receipt() -> None:
    g = Guardian(POLICY, agent_id="reader")
    calls = []

    @g.tool()
    def read_file(path: str, encoding: str = "utf-8") -> str:
        calls.append(path)
        return f"contents of {path}"

    assert read_file("docs/a.md") == "contents of docs/a.md"
    [decision] = [e for e in g.ledger.entries() if e.kind == "decision"]
    assert decision.payload["intent"]["actor"] == "reader"
    assert decision.payload["intent"]["target"] == "docs/a.md"
    assert decision.payload["intent"]["params"] == {"path": "docs/a.md", "encoding": "utf-8"}
    [receipt] = receipts(g)
    assert (
        receipt["status"] == "success" and receipt["decision_id"] == decision.payload["decision_id"]
    )
    assert calls == ["docs/a.md"]


def test_denied_call_never_runs() -> None:
    g = Guardian(POLICY)
    calls = []

    @g.tool()
    def read_file(path: str) -> str:
        calls.append(path)
        return "secret"

    with pytest.raises(Denied) as info:
        read_file("/etc/passwd")
    assert isinstance(info.value, PermissionError)
    assert info.value.record.decision == "DENY" and info.value.reasons[0].code == "rule_deny"
    assert calls == [] and receipts(g) == []


def test_ask_raises_with_the_proposal_and_runs_after_approval() -> None:
    g = Guardian(POLICY, agent_id="billing")

    @g.tool(target="vendor")
    def pay(vendor: str, amount: int) -> str:
        return f"paid {amount} to {vendor}"

    with pytest.raises(ApprovalRequired) as info:
        pay("acme", 50)
    assert info.value.proposal_id and isinstance(info.value, PermissionError)
    g.approve(info.value.proposal_id, Principal("alice", "approver"))
    assert pay("acme", 50) == "paid 50 to acme"
    with pytest.raises(ApprovalRequired):
        pay("acme", 50)  # the approval was for one call


def test_results_are_redacted_and_the_receipt_says_where() -> None:
    g = Guardian(POLICY)

    @g.tool(action="fetch", target=lambda params: params["url"])
    def get(url: str) -> dict:
        return {"status": 200, "body": "token AKIAIOSFODNN7EXAMPLE here", "items": ["ok"]}

    result = get("https://internal/x")
    assert "AKIA" not in str(result) and "[REDACTED:" in result["body"]
    assert result["items"] == ["ok"]
    [receipt] = receipts(g)
    assert receipt["redactions"] and receipt["redactions"][0]["path"] == "/body"
    assert "AKIA" not in str(list(g.ledger.entries())[-1].payload)


def test_failures_get_an_error_receipt_and_propagate() -> None:
    g = Guardian(POLICY)

    @g.tool()
    def explode() -> None:
        raise RuntimeError("kaput")

    with pytest.raises(RuntimeError, match="kaput"):
        explode()
    [receipt] = receipts(g)
    assert receipt["status"] == "error" and receipt["error_type"] == "RuntimeError"


def test_async_tools() -> None:
    g = Guardian(POLICY)

    @g.tool(action="fetch")
    async def fetch(url: str) -> str:
        await asyncio.sleep(0)
        return url.upper()

    @g.tool()
    async def read_file(path: str) -> str:
        return path

    assert asyncio.run(fetch("a")) == "A"
    with pytest.raises(Denied):
        asyncio.run(read_file("/etc/shadow"))
    assert len(receipts(g)) == 1


def test_non_json_arguments_stop_the_call() -> None:
    from guardian import IntentError

    g = Guardian(POLICY)

    @g.tool(action="fetch")
    def fetch(thing: object) -> str:
        return "ran"

    with pytest.raises(IntentError, match=r"params\.thing"):
        fetch(object())


class Agent(GuardianWrapper):
    def __init__(self, g: Guardian) -> None:
        super().__init__(g, agent_id="example")
        self.done: list[str] = []

    def _execute_action(self, action: str, params: dict) -> str:
        self.done.append(action)
        return f"{action} ok"


def test_wrapper_allows_denies_and_asks() -> None:
    agent = Agent(Guardian(POLICY))
    assert agent.request_action("read_file", {"path": "docs/x"}) == "read_file ok"
    with pytest.raises(Denied):
        agent.request_action("write_file", {"path": "docs/x"})
    with pytest.raises(ApprovalRequired):
        agent.request_action("pay", {"amount": 3})
    assert agent.done == ["read_file"]
    decisions = [e.payload for e in agent.guardian.ledger.entries() if e.kind == "decision"]
    assert {d["intent"]["session_id"] for d in decisions} == {agent.session_id}
