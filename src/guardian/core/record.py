"""DecisionRecord: the governance artifact of one decision, as written to and read from the ledger."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

import orjson

from guardian.core.decision import Decision, Reason
from guardian.core.intent import Intent
from guardian.core.principal import Principal


class DecisionRecord(Mapping[str, Any]):
    """Attribute access (`record.decision`) and mapping access (`record["decision"]`) both work.

    Read-only: a plain slotted class rather than a frozen dataclass, because one is built on every
    decision and frozen dataclasses pay for each field on construction.
    """

    __slots__ = (
        "_payload",
        "decision",
        "hash",
        "intent",
        "prev_hash",
        "principal",
        "reasons",
        "seq",
        "ts",
    )  # fmt: skip

    def __init__(
        self,
        payload: dict[str, Any],
        seq: int,
        ts: str,
        hash: str,
        prev_hash: str,
        intent: Intent,
        principal: Principal,
        decision: Decision,
        reasons: tuple[Reason, ...],
    ) -> None:
        self._payload = payload
        self.seq = seq
        self.ts = ts
        self.hash = hash
        self.prev_hash = prev_hash
        self.intent = intent
        self.principal = principal
        self.decision = decision
        self.reasons = reasons

    @property
    def decision_id(self) -> str:
        return str(self._payload["decision_id"])

    @property
    def intent_hash(self) -> str:
        return str(self._payload["intent_hash"])

    @property
    def rule_id(self) -> str | None:
        rule_id = self._payload["rule_id"]
        return None if rule_id is None else str(rule_id)

    @property
    def policy_hash(self) -> str:
        return str(self._payload["policy_hash"])

    @property
    def proposal_id(self) -> str | None:
        """For an ASK: the proposal a human must decide."""
        found = self._payload.get("proposal_id")
        return None if found is None else str(found)

    @property
    def approval_id(self) -> str | None:
        """For an ALLOW that used an approval: the approved proposal's id."""
        found = self._payload.get("approval_id")
        return None if found is None else str(found)

    def __repr__(self) -> str:
        return (f"DecisionRecord(seq={self.seq}, decision={self.decision.value}, "
                f"rule_id={self.rule_id!r}, decision_id={self.decision_id!r})")  # fmt: skip

    def __eq__(self, other: object) -> bool:
        return isinstance(other, DecisionRecord) and other.hash == self.hash

    def __hash__(self) -> int:
        return hash(self.hash)

    @property
    def decision_hash(self) -> str:
        """Seed 001's name for the hash that links the record to its ledger entry."""
        return self.hash

    @property
    def reason_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def payload(self) -> dict[str, Any]:
        """The ledger payload: everything but the entry's own seq/ts/hashes (a copy)."""
        return copy.deepcopy(self._payload)

    def to_dict(self) -> dict[str, Any]:
        out = self.payload()
        out.update(
            seq=self.seq,
            ts=self.ts,
            hash=self.hash,
            prev_hash=self.prev_hash,
            decision_hash=self.hash,
            actor=self.intent.actor,
            action=self.intent.action,
            target=self.intent.target,
        )
        return out

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.to_dict())

    def __len__(self) -> int:
        return len(self.to_dict())

    @classmethod
    def from_entry(cls, seq: int, ts: str, payload: Mapping[str, Any], hash: str,
                   prev_hash: str) -> DecisionRecord:  # fmt: skip
        """Rebuild a record from a decision entry's parts (raises KeyError/ValueError if malformed)."""
        raw = payload["intent"]
        intent = Intent.create(
            raw["actor"], raw["action"], raw["target"], raw["params"], raw["metadata"],
            raw["session_id"], raw["task_id"],
        )  # fmt: skip
        principal = Principal(**payload["principal"])
        reasons = tuple(Reason(r["code"], r["message"]) for r in payload["reasons"])
        return cls(dict(payload), seq, ts, hash, prev_hash, intent, principal,
                   Decision(payload["decision"]), reasons)  # fmt: skip


#: Each verdict's plain string (`Decision.value` is a property, and costs a call per decision).
_VALUES = {d: d.value for d in Decision}


def decision_payload(
    decision_id: str,
    intent: dict[str, Any],
    intent_hash: str,
    decision: Decision,
    rule_id: str | None,
    reasons: tuple[Reason, ...],
    policy_hash: str,
    principal: Principal,
    links: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The ledger payload of a decision; `intent` is the intent's `to_dict()`, which it keeps."""
    if len(reasons) == 1:  # the usual case, without a comprehension's own frame
        (only,) = reasons
        listed = [{"code": only.code, "message": only.message}]
    else:
        listed = [{"code": r.code, "message": r.message} for r in reasons]
    payload: dict[str, Any] = {
        "decision_id": decision_id,
        "intent": intent,
        "intent_hash": intent_hash,
        "decision": _VALUES[decision],
        "rule_id": rule_id,
        "reasons": listed,
        "policy_hash": policy_hash,
        "principal": principal.to_dict(),
    }
    if links:
        payload.update(links)  # proposal_id (an ASK) or approval_id (an approved ASK, now ALLOW)
    return payload


def canonical_decision_payload(payload: dict[str, Any], intent_json: bytes) -> bytes:
    """RFC 8785 bytes of a decision payload, splicing in the intent's canonical bytes (computed
    for its hash already) rather than encoding the intent twice. Outside the intent a decision
    payload holds only strings, ints, None and fixed ASCII keys, where orjson's sorted output is
    RFC 8785 (core/canonical.py); a property test pins the two together."""
    spliced = {**payload, "intent": orjson.Fragment(intent_json)}
    return orjson.dumps(spliced, option=orjson.OPT_SORT_KEYS)
