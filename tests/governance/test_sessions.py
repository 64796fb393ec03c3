"""Sessions: declared scope, and a signed bundle that cannot change once closed."""

import json
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian import Guardian
from guardian.governance.bundles import BundleClosed, verify_bundle
from guardian.governance.sessions import session_bundle
from guardian.runtime.wrapper import GuardianWrapper

POLICY = [{"id": "read", "action": "read_file", "effect": "ALLOW"},
          {"id": "pay", "action": "pay", "effect": "ALLOW"},
          {"id": "rm", "action": "rm", "effect": "DENY"}]  # fmt: skip


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_bundle_collects_and_verifies(key: Ed25519PrivateKey) -> None:
    g = Guardian(POLICY, signing_key=key)
    with g.session("reader", goal="read the docs") as s:
        record = s.decide("read_file", "docs/a.md")
        s.record_receipt(record.decision_id, output="text")
        s.decide("rm", "docs/a.md")
    bundle = s.bundle
    data = json.loads(bundle.to_json())
    assert data["agent_id"] == "reader" and data["goal"] == "read the docs"
    assert len(data["actions"]) == 2 and len(data["decisions"]) == 2 and len(data["outcomes"]) == 1
    assert data["decisions"][0]["hash"] == record.hash
    assert data["closed_at"] >= data["started_at"]
    assert verify_bundle(data, key.public_key()).ok
    session_entry = [e for e in g.ledger.entries() if e.kind == "session"][-1]
    assert session_entry.payload["signature"] == data["signature"]


def test_closed_bundle_cannot_change(key: Ed25519PrivateKey) -> None:
    g = Guardian(POLICY, signing_key=key)
    with g.session("a") as s:
        s.decide("read_file", "x")
    with pytest.raises(BundleClosed):
        s.bundle.add_action({"action": "sneaky"})
    with pytest.raises(BundleClosed):
        s.decide("read_file", "y")


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["decisions"][0]["payload"].update(decision="DENY"),
        lambda d: d["actions"].append({"action": "extra"}),
        lambda d: d.update(agent_id="someone-else"),
        lambda d: d["outcomes"].clear(),
    ],
)
def test_any_change_breaks_the_bundle(key: Ed25519PrivateKey, tamper) -> None:
    g = Guardian(POLICY, signing_key=key)
    with g.session("a") as s:
        r = s.decide("read_file", "x")
        s.record_receipt(r.decision_id)
    data = json.loads(s.bundle.to_json())
    tamper(data)
    assert not verify_bundle(data, key.public_key()).ok


def test_wrong_key_fails(key: Ed25519PrivateKey) -> None:
    g = Guardian(POLICY, signing_key=key)
    with g.session("a") as s:
        s.decide("read_file", "x")
    report = verify_bundle(
        json.loads(s.bundle.to_json()), Ed25519PrivateKey.generate().public_key()
    )
    assert not report.ok and "signature" in report.problems[0]


def test_declared_scope_makes_other_actions_ask(key: Ed25519PrivateKey) -> None:
    g = Guardian(POLICY, signing_key=key)
    with g.session("a", goal="read", tools=["read_*"]) as s:
        assert s.decide("read_file", "x").decision == "ALLOW"
        record = s.decide("pay", "acme")
        assert record.decision == "ASK" and record.reason_codes[-1] == "out_of_scope"
        assert s.decide("rm", "x").decision == "DENY"  # scope never loosens
    assert g.decide("a", "pay", "acme").decision == "ALLOW"  # outside the session, policy decides


def test_export_rebuilds_from_the_ledger(key: Ed25519PrivateKey) -> None:
    g = Guardian(POLICY, signing_key=key)
    first = g.decide("a", "read_file", "x", session_id="s-1")
    g.record_receipt(first.decision_id)
    g.decide("a", "pay", "y", session_id="s-1")
    g.decide("a", "pay", "z", session_id="s-2")
    bundle = session_bundle(g, "s-1")
    assert [d["payload"]["intent"]["target"] for d in bundle.decisions] == ["x", "y"]
    assert len(bundle.outcomes) == 1 and verify_bundle(bundle.to_dict(), key.public_key()).ok


def test_key_is_created_0600_on_first_use(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.key"
    g = Guardian(POLICY, signing_key=path)
    with g.session("a") as s:
        s.decide("read_file", "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.with_suffix(".pub").exists()


class Reader(GuardianWrapper):
    def _execute_action(self, action: str, params: dict) -> str:
        return "ok"


def test_wrapper_exports_its_session_bundle(key: Ed25519PrivateKey) -> None:
    agent = Reader(Guardian(POLICY, signing_key=key), agent_id="reader")
    agent.request_action("read_file", {"path": "a"})
    bundle = agent.export_audit_bundle()
    assert bundle["session_id"] == agent.session_id and len(bundle["outcomes"]) == 1
    assert verify_bundle(bundle, key.public_key()).ok
