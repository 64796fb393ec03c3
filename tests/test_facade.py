"""The public face: seed 001's `Guardian().decide`, records, reload."""

import sqlite3
import threading
from pathlib import Path

import pytest

from guardian import Decision, Guardian, IntentError, PolicyError


def test_seed_001_quickstart_with_the_packaged_default_policy() -> None:
    g = Guardian()
    record = g.decide(actor="notification_agent", action="send_email", target="internal_list",
                      metadata={"subject": "Status update"})  # fmt: skip
    assert record["decision"] == "ALLOW"
    assert record.decision is Decision.ALLOW
    assert record["decision_hash"] == record.hash and len(record.hash) == 64
    assert record["actor"] == "notification_agent" and record["intent"]["metadata"] == {
        "subject": "Status update"
    }
    assert record.ts.endswith("Z")


def test_records_chain_in_the_ledger() -> None:
    g = Guardian([{"effect": "ALLOW"}])
    first = g.decide("a", "x")
    second = g.decide("a", "x")
    assert second.prev_hash == first.hash and second.seq == first.seq + 1
    kinds = [e.kind for e in g.ledger.entries()]
    assert kinds == ["policy", "decision", "decision"]
    policy_entry = next(g.ledger.entries())
    assert policy_entry.payload["policy_hash"] == first.policy_hash


def test_identical_decisions_in_the_same_instant_have_distinct_ids_and_hashes() -> None:
    from guardian.testing import FakeClock

    g = Guardian([{"effect": "ALLOW"}], clock=FakeClock())
    a, b = g.decide("a", "x"), g.decide("a", "x")
    assert a.ts == b.ts and a.decision_id != b.decision_id and a.hash != b.hash


def test_reload_swaps_atomically_and_records_the_new_policy() -> None:
    g = Guardian([{"id": "old", "effect": "ALLOW"}])
    assert g.decide("a", "x").rule_id == "old"
    g.reload([{"id": "new", "effect": "DENY"}])
    record = g.decide("a", "x")
    assert record.rule_id == "new" and record.policy_hash == g.policy.policy_hash
    assert [e.kind for e in g.ledger.entries()].count("policy") == 2


def test_failed_reload_keeps_the_old_policy() -> None:
    g = Guardian([{"id": "old", "effect": "ALLOW"}])
    with pytest.raises(PolicyError):
        g.reload([{"id": "new", "effect": "sometimes"}])
    assert g.decide("a", "x").rule_id == "old"


def test_concurrent_decides_and_reloads_see_whole_policies() -> None:
    g = Guardian([{"id": "a", "effect": "ALLOW"}])
    seen: set[tuple[str | None, str]] = set()

    def work() -> None:
        for _ in range(300):
            r = g.decide("x", "y")
            seen.add((r.rule_id, r.policy_hash))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(20):
        g.reload([{"id": "b" if i % 2 else "a", "effect": "ALLOW"}])
    for t in threads:
        t.join()
    hashes = {rule: h for rule, h in seen}
    assert len(hashes) == len(seen)  # each rule id always came with its own policy's hash
    seqs = [e.seq for e in g.ledger.entries()]
    assert seqs == list(range(1, len(seqs) + 1))


def test_bad_intents_raise_and_leave_no_record() -> None:
    g = Guardian([{"effect": "ALLOW"}])
    with pytest.raises(IntentError):
        g.decide("a", "x", params={"when": object()})
    assert [e.kind for e in g.ledger.entries()] == ["policy"]


def test_record_is_a_read_only_mapping() -> None:
    record = Guardian([{"effect": "ALLOW"}]).decide("a", "x")
    assert set(record) >= {
        "decision_id",
        "decision",
        "rule_id",
        "reasons",
        "policy_hash",
        "seq",
        "ts",
    }
    with pytest.raises(AttributeError):
        record.extra = 1  # type: ignore[attr-defined]
    assert dict(record)["reasons"] == [
        {"code": "rule_allow", "message": "rule 'rule-1' matched: ALLOW"}
    ]


def test_validate_ledger_says_valid_then_invalid_after_a_row_is_changed(tmp_path: Path) -> None:
    g = Guardian([{"effect": "ALLOW"}], ledger=f"sqlite:///{tmp_path / 'g.db'}")
    for _ in range(3):
        g.decide("a", "x")
    assert g.validate_ledger() == "VALID"
    with sqlite3.connect(tmp_path / "g.db") as conn:
        conn.execute("UPDATE ledger_entries SET payload = '{}' WHERE seq = 2")
    assert g.validate_ledger() == "INVALID"
    assert g.verify_ledger().first_bad_seq == 2
    g.close()
