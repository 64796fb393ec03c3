"""Replay: decide every recorded intent again, under the policy that decided it, and compare.

The policy text in force is itself a ledger entry (content-addressed), so the ledger alone (a
database or its JSONL file) is enough. Rate-limit counters and session scopes are rebuilt from
earlier entries in order. What is compared is the whole outcome: decision, rule id, reason codes.

With `policy=` a new policy replaces the recorded ones: the mismatches are then the answer to
"what would this policy have changed".

Pauses are rebuilt from pause/resume entries; budget state is not in the ledger, so a recorded
budget DENY is taken as given. Known limits: the path analyzer resolves symlinks on the machine that replays, so a changed file
system can change its findings; rate limits enforced by several processes each with their own
counters are replayed as if one process had decided everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from guardian.core.clock import parse_iso_utc
from guardian.core.decision import Decision, Reason
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.governance.analysis import ANALYZER_CHECK
from guardian.governance.guard import CheckContext, apply_checks
from guardian.governance.pause import pause_gate
from guardian.governance.sessions import ScopeRegistry
from guardian.ledger.entry import Entry
from guardian.policy.evaluate import CompiledPolicy, Evaluation
from guardian.policy.load import build_policy
from guardian.policy.model import Policy
from guardian.policy.ratelimit import MemoryRateCounter

#: Links that turn a recorded ASK into ALLOW (an approval or a standing grant), and their codes.
_OVERRIDES = {"approval_id": "approved", "grant_id": "granted"}


@dataclass
class Mismatch:
    seq: int
    decision_id: str
    recorded: dict[str, Any]
    replayed: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "decision_id": self.decision_id, "recorded": self.recorded,
                "replayed": self.replayed}  # fmt: skip


@dataclass
class ReplayReport:
    decisions: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {"result": self.verdict, "decisions": self.decisions,
                "mismatches": [m.to_dict() for m in self.mismatches]}  # fmt: skip


def outcome(decision: str, rule_id: str | None, codes: Iterable[str]) -> dict[str, Any]:
    return {"decision": decision, "rule_id": rule_id, "reasons": list(codes)}


class Replayer:
    def __init__(self, policy: Policy | None = None) -> None:
        self._override = CompiledPolicy(policy) if policy is not None else None
        self._policies: dict[str, CompiledPolicy] = {}
        self._counter = MemoryRateCounter()
        self._scopes = ScopeRegistry()
        self._checks = (ANALYZER_CHECK, self._scopes.as_check())
        self._paused: dict[tuple[str, str], str] = {}
        self._principals: dict[tuple[str, str, int], Principal] = {}
        self.report = ReplayReport()

    def feed(self, entry: Entry) -> None:
        kind, payload = entry.kind, entry.payload
        if kind == "policy":
            self._remember_policy(payload)
        elif kind == "scope":
            self._scopes.declare(payload["session_id"], payload.get("goal"), list(payload["tools"]))
        elif kind == "session":
            self._scopes.end(payload["session_id"])
        elif kind == "pause":
            self._paused[(payload["scope"], payload["key"])] = payload["reason"]
        elif kind == "resume":
            self._paused.pop((payload["scope"], payload["key"]), None)
        elif kind == "decision":
            self._decision(entry)

    def _remember_policy(self, payload: dict[str, Any]) -> None:
        digest = payload["policy_hash"]
        if digest not in self._policies:
            self._policies[digest] = CompiledPolicy(
                build_policy(payload["document"], str(payload.get("source")))
            )

    def _decision(self, entry: Entry) -> None:
        payload = entry.payload
        self.report.decisions += 1
        recorded = outcome(
            payload["decision"], payload.get("rule_id"), (r["code"] for r in payload["reasons"])
        )
        try:
            replayed = self._replay(entry)
        except Exception as exc:  # a record that cannot be replayed is a mismatch, not a crash
            replayed = {"error": f"{type(exc).__name__}: {exc}"}
        if replayed != recorded:
            self.report.mismatches.append(
                Mismatch(entry.seq, str(payload.get("decision_id")), recorded, replayed)
            )

    def _replay(self, entry: Entry) -> dict[str, Any]:
        payload = entry.payload
        raw = payload["intent"]
        intent = Intent.create(raw["actor"], raw["action"], raw["target"], raw["params"],
                               raw["metadata"], raw["session_id"], raw["task_id"])  # fmt: skip
        raw_principal = payload["principal"]
        key = (raw_principal["id"], raw_principal["role"], raw_principal["authority"])
        principal = self._principals.get(key)
        if principal is None:  # a handful of principals make a million decisions: build each once
            principal = self._principals[key] = Principal(*key)
        compiled = self._override or self._policies.get(payload["policy_hash"])
        if compiled is None:
            raise LookupError(
                f"policy {payload['policy_hash']} is not in the ledger before seq {entry.seq}"
            )
        gated = pause_gate(self._paused, intent)
        if gated is not None:
            return outcome(gated.decision.value, gated.rule_id, (r.code for r in gated.reasons))
        now = parse_iso_utc(entry.ts).timestamp()
        evaluation = compiled.evaluate(intent, principal, self._counter, now)
        evaluation = apply_checks(
            self._checks, CheckContext(intent, principal, compiled.policy, evaluation)
        )
        evaluation = self._budget(self._approval(evaluation, payload), payload)
        return outcome(
            evaluation.decision.value, evaluation.rule_id, (r.code for r in evaluation.reasons)
        )

    @staticmethod
    def _budget(evaluation: Evaluation, payload: dict[str, Any]) -> Evaluation:
        """Budget state is not in the ledger; a recorded budget DENY of an ALLOW is taken as given
        (a budget can only tighten, so this never hides a looser verdict)."""
        last = payload["reasons"][-1]["code"] if payload["reasons"] else None
        if evaluation.decision is Decision.ALLOW and last in ("budget_exhausted", "budget_error"):
            note = Reason(last, payload["reasons"][-1]["message"])
            return Evaluation(Decision.DENY, evaluation.rule, (*evaluation.reasons, note))
        return evaluation

    @staticmethod
    def _approval(evaluation: Evaluation, payload: dict[str, Any]) -> Evaluation:
        if evaluation.decision is not Decision.ASK:
            return evaluation
        for link, code in _OVERRIDES.items():
            if link in payload:
                recorded = next((r for r in payload["reasons"] if r["code"] == code), None)
                note = Reason(code, recorded["message"] if recorded else code)
                return Evaluation(Decision.ALLOW, evaluation.rule, (*evaluation.reasons, note))
        return evaluation


def replay(entries: Iterable[Entry], policy: Policy | None = None) -> ReplayReport:
    replayer = Replayer(policy)
    for entry in entries:
        replayer.feed(entry)
    return replayer.report
