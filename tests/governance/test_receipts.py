"""Receipts: only for ALLOW, once per decision, verified against their decisions."""

import threading

import pytest

from guardian import Guardian
from guardian.governance.receipts import ReceiptError, output_digest, verify_receipts


@pytest.fixture
def g() -> Guardian:
    return Guardian([
        {"id": "ok", "action": "read", "effect": "ALLOW"},
        {"id": "no", "action": "rm", "effect": "DENY"},
        {"id": "ask", "action": "pay", "effect": "ASK"},
    ])  # fmt: skip


def test_receipt_links_to_its_decision(g: Guardian) -> None:
    record = g.decide("a", "read", "f")
    entry = g.record_receipt(record.decision_id, "success", output={"bytes": 3},
                             started_at="2026-01-01T00:00:00.000000Z",
                             finished_at="2026-01-01T00:00:00.250000Z")  # fmt: skip
    assert entry.kind == "receipt"
    assert entry.payload["decision_hash"] == record.hash
    assert entry.payload["intent_hash"] == record.intent_hash
    assert entry.payload["duration_ms"] == 250.0
    assert entry.payload["output_digest"] == output_digest({"bytes": 3})
    assert g.verify_receipts().ok


def test_receipt_for_deny_second_receipt_and_unknown_id_are_refused(g: Guardian) -> None:
    denied = g.decide("a", "rm", "f")
    with pytest.raises(ReceiptError, match="was DENY"):
        g.record_receipt(denied.decision_id)
    asked = g.decide("a", "pay", "x")
    with pytest.raises(ReceiptError, match="was ASK"):
        g.record_receipt(asked.decision_id)
    allowed = g.decide("a", "read", "f")
    g.record_receipt(allowed.decision_id)
    with pytest.raises(ReceiptError, match="already has a receipt"):
        g.record_receipt(allowed.decision_id, "error")
    with pytest.raises(ReceiptError, match="no decision"):
        g.record_receipt("nope")
    kinds = [e.kind for e in g.ledger.entries()]
    assert kinds.count("receipt") == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "maybe"}, "status must be one of"),
        ({"started_at": "yesterday"}, "started_at/finished_at"),
        (
            {
                "started_at": "2026-01-02T00:00:00.000000Z",
                "finished_at": "2026-01-01T00:00:00.000000Z",
            },
            "before",
        ),
    ],
)
def test_malformed_receipts(g: Guardian, kwargs: dict, message: str) -> None:
    record = g.decide("a", "read", "f")
    with pytest.raises(ReceiptError, match=message):
        g.record_receipt(record.decision_id, **kwargs)


def test_concurrent_receipts_for_one_decision_record_exactly_one(g: Guardian) -> None:
    record = g.decide("a", "read", "f")
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            g.record_receipt(record.decision_id)
            outcomes.append("ok")
        except ReceiptError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 19


def test_verify_receipts_finds_orphans_and_violations(g: Guardian) -> None:
    from guardian.ledger.entry import Entry

    allowed = g.decide("a", "read", "f")
    denied = g.decide("a", "rm", "f")
    g.record_receipt(allowed.decision_id)
    entries = list(g.ledger.entries())
    forged = [
        Entry(90, "receipt", entries[-1].ts, {"decision_id": "ghost", "intent_hash": "x", "decision_hash": "y"}, "", ""),
        Entry(91, "receipt", entries[-1].ts, {"decision_id": denied.decision_id, "intent_hash": denied.intent_hash,
                                              "decision_hash": denied.hash}, "", ""),
        Entry(92, "receipt", entries[-1].ts, {"decision_id": allowed.decision_id, "intent_hash": "other",
                                              "decision_hash": allowed.hash}, "", ""),
    ]  # fmt: skip
    report = verify_receipts(entries + forged)
    assert not report.ok and report.orphans == [90]
    whys = [(seq, why) for seq, why in report.violations]
    assert (91, "receipt for a DENY decision") in whys
    assert (92, "second receipt for one decision") in whys
    assert (92, "intent differs from the decision's") in whys


def test_output_digest_of_bytes_and_objects() -> None:
    assert output_digest(b"abc").startswith("sha256:")
    assert output_digest(object()).startswith("sha256-repr:")
