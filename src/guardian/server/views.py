"""Domain objects as the JSON the API returns (shaped as the models in schemas.py say)."""

from __future__ import annotations

from typing import Any

from guardian.core.record import DecisionRecord
from guardian.governance.grants import Grant
from guardian.governance.proposals import Proposal
from guardian.ledger.entry import Entry

_LINKS = ("proposal_id", "approval_id", "grant_id")


def decision_view(payload: dict[str, Any], seq: int, ts: str, digest: str,
                  prev_hash: str) -> dict[str, Any]:  # fmt: skip
    out = {
        "decision_id": payload["decision_id"], "decision": payload["decision"],
        "rule_id": payload.get("rule_id"), "reasons": payload.get("reasons", []),
        "intent": payload["intent"], "intent_hash": payload["intent_hash"],
        "policy_hash": payload["policy_hash"], "principal": payload["principal"],
        "seq": seq, "ts": ts, "hash": digest, "prev_hash": prev_hash,
    }  # fmt: skip
    for link in _LINKS:
        out[link] = payload.get(link)
    return out


def record_view(record: DecisionRecord) -> dict[str, Any]:
    # The record's own payload, read-only: it is serialised at once, and `payload()` deep-copies
    # it, which costs more than the rest of a decide response.
    payload = record._payload
    return decision_view(payload, record.seq, record.ts, record.hash, record.prev_hash)


def entry_decision_view(entry: Entry) -> dict[str, Any]:
    return decision_view(entry.payload, entry.seq, entry.ts, entry.hash, entry.prev_hash)


def receipt_view(entry: Entry) -> dict[str, Any]:
    p = entry.payload
    return {
        "seq": entry.seq, "ts": entry.ts, "hash": entry.hash, "decision_id": p["decision_id"],
        "decision_hash": p["decision_hash"], "intent_hash": p.get("intent_hash"),
        "status": p["status"], "output_digest": p["output_digest"],
        "error_type": p.get("error_type"), "started_at": p["started_at"],
        "finished_at": p["finished_at"], "duration_ms": p["duration_ms"],
        "redactions": p.get("redactions", []),
    }  # fmt: skip


def proposal_view(proposal: Proposal) -> dict[str, Any]:
    return proposal.to_dict()


def grant_view(grant: Grant, now: str) -> dict[str, Any]:
    return {**grant.to_dict(), "status": grant.status(now)}
