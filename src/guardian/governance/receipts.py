"""Receipts: what happened when an allowed intent was executed, linked to its decision.

A receipt is accepted only for an ALLOW decision (an approved ASK is decided again and becomes one),
at most once per decision; the store enforces "once" atomically. The output itself never enters the
ledger: only its digest, and which fields were redacted and why.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from guardian.core.canonical import canonical_json
from guardian.core.clock import Clock, parse_iso_utc
from guardian.core.errors import GuardianError
from guardian.ledger.entry import Entry
from guardian.ledger.errors import DuplicateEntry
from guardian.ledger.store import Ledger

STATUSES = ("success", "error")


class ReceiptError(GuardianError):
    """A receipt that cannot be accepted: unknown decision, not allowed, already recorded, bad data."""

    code = "receipt_refused"


def output_digest(output: Any) -> str:
    """SHA-256 of the output's canonical JSON (bytes are hashed as they are, other objects by repr)."""
    if isinstance(output, (bytes, bytearray)):
        return "sha256:" + hashlib.sha256(output).hexdigest()
    try:
        data = canonical_json(output)
    except (TypeError, ValueError):
        return "sha256-repr:" + hashlib.sha256(repr(output).encode()).hexdigest()
    return "sha256:" + hashlib.sha256(data).hexdigest()


def record_receipt(
    ledger: Ledger,
    clock: Clock,
    decision_id: str,
    *,
    status: str = "success",
    output: Any = None,
    started_at: str | None = None,
    finished_at: str | None = None,
    error_type: str | None = None,
    redactions: list[dict[str, str]] | None = None,
) -> Entry:
    if status not in STATUSES:
        raise ReceiptError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    if not isinstance(decision_id, str) or not decision_id:
        raise ReceiptError("decision_id must be a non-empty string")
    finished_at = finished_at or clock.now_iso()
    started_at = started_at or finished_at
    try:
        duration_ms = (
            parse_iso_utc(finished_at) - parse_iso_utc(started_at)
        ).total_seconds() * 1000
    except ValueError as exc:
        raise ReceiptError(f"started_at/finished_at: {exc}") from None
    if duration_ms < 0:
        raise ReceiptError("finished_at is before started_at")
    decision = ledger.find("decision", decision_id)
    if decision is None:
        raise ReceiptError(f"no decision {decision_id!r} in the ledger")
    verdict = decision.payload.get("decision")
    if verdict != "ALLOW":
        raise ReceiptError(
            f"decision {decision_id} was {verdict}: only an allowed decision may be executed"
        )
    payload = {
        "decision_id": decision_id,
        "decision_hash": decision.hash,
        "intent_hash": decision.payload.get("intent_hash"),
        "status": status,
        "output_digest": output_digest(output),
        "error_type": error_type,
        "started_at": started_at,
        "finished_at": finished_at,
        "duration_ms": round(duration_ms, 3),
        "redactions": list(redactions or []),
    }
    try:
        return ledger.append("receipt", payload, once_per_decision=True)
    except DuplicateEntry:
        raise ReceiptError(f"decision {decision_id} already has a receipt") from None


@dataclass
class ReceiptReport:
    """What `verify_receipts` found: receipts checked, orphans and violations (seq: why)."""

    checked: int = 0
    orphans: list[int] = field(default_factory=list)
    violations: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.orphans and not self.violations

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "orphans": self.orphans,
            "violations": [{"seq": s, "why": w} for s, w in self.violations],
        }


def verify_receipts(entries: Any) -> ReceiptReport:
    """Check every receipt against its decision: it exists, came first, was ALLOW, same intent."""
    report = ReceiptReport()
    decisions: dict[str, Entry] = {}
    seen: set[str] = set()
    for entry in entries:
        if entry.kind == "decision":
            decisions[entry.payload.get("decision_id")] = entry
            continue
        if entry.kind != "receipt":
            continue
        report.checked += 1
        decision_id = entry.payload.get("decision_id")
        decision = decisions.get(decision_id)
        if decision is None:
            report.orphans.append(entry.seq)
            continue
        if decision_id in seen:
            report.violations.append((entry.seq, "second receipt for one decision"))
        seen.add(decision_id)
        if decision.payload.get("decision") != "ALLOW":
            report.violations.append(
                (entry.seq, f"receipt for a {decision.payload.get('decision')} decision")
            )
        if entry.payload.get("intent_hash") != decision.payload.get("intent_hash"):
            report.violations.append((entry.seq, "intent differs from the decision's"))
        if entry.payload.get("decision_hash") != decision.hash:
            report.violations.append((entry.seq, "does not link to the decision's ledger entry"))
    return report
