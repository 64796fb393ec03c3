"""Sessions: one agent's run, its declared scope, and the signed bundle it leaves.

    with g.session(agent_id="a", goal="summarise docs", tools=["read_file"]) as s:
        s.decide("read_file", "docs/x.md")
    s.bundle.to_json()

Task scope (seed 002's intent alignment, made deterministic): a session that declares the tools it
needs gets ASK `out_of_scope` for any other action, whatever the policy says it could do.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guardian.core.decision import Decision, Reason
from guardian.core.errors import GuardianError
from guardian.core.ids import new_id
from guardian.core.record import DecisionRecord
from guardian.governance.bundles import AuditBundle
from guardian.governance.guard import CheckContext, NamedCheck
from guardian.policy.evaluate import Evaluation
from guardian.policy.patterns import Pattern, compile_pattern

if TYPE_CHECKING:
    from guardian.facade import Guardian


class ScopeRegistry:
    """Declared tools per open session; read on every decision of a scoped session."""

    def __init__(self) -> None:
        self._scopes: dict[str, tuple[str | None, tuple[Pattern, ...]]] = {}

    def declare(self, session_id: str, goal: str | None, tools: list[str]) -> None:
        self._scopes[session_id] = (goal, tuple(compile_pattern(t) for t in tools))

    def end(self, session_id: str) -> None:
        self._scopes.pop(session_id, None)

    def check(self, context: CheckContext) -> Evaluation | None:
        session_id = context.intent.session_id
        if session_id is None or session_id not in self._scopes:
            return None
        goal, tools = self._scopes[session_id]
        if any(p.matches(context.intent.action) for p in tools):
            return None
        reason = Reason("out_of_scope", f"{context.intent.action!r} is not among the tools session "
                        f"{session_id} declared for its goal{f' ({goal})' if goal else ''}")  # fmt: skip
        if context.evaluation.decision is Decision.DENY:
            return None
        return Evaluation(
            Decision.ASK, context.evaluation.rule, (*context.evaluation.reasons, reason)
        )

    def as_check(self) -> NamedCheck:
        return NamedCheck("scope", self.check)


class Session:
    def __init__(self, guardian: Guardian, agent_id: str, *, session_id: str | None = None,
                 goal: str | None = None, tools: list[str] | None = None) -> None:  # fmt: skip
        self.guardian = guardian
        self.agent_id = agent_id
        self.session_id = session_id or new_id()
        self.bundle = AuditBundle(agent_id, self.session_id, guardian.clock.now_iso(), goal)
        if tools is not None:
            guardian.scopes.declare(self.session_id, goal, tools)
            # Recorded so that replay can rebuild the scope the session's decisions were made in.
            guardian.ledger.append(
                "scope",
                {"session_id": self.session_id, "agent_id": agent_id, "goal": goal, "tools": tools},
            )

    def decide(self, action: str, target: str | None = "", params: dict[str, Any] | None = None,
               metadata: dict[str, Any] | None = None, task_id: str | None = None) -> DecisionRecord:  # fmt: skip
        record = self.guardian.decide(self.agent_id, action, target, params, metadata,
                                      self.session_id, task_id)  # fmt: skip
        self.bundle.add_action(record.intent.to_dict())
        entry = self.guardian.ledger.find("decision", record.decision_id)
        if entry is not None:
            self.bundle.add_decision(entry)
        return record

    def record_receipt(self, decision_id: str, status: str = "success", output: Any = None,
                       **details: Any) -> None:  # fmt: skip
        entry = self.guardian.record_receipt(decision_id, status, output, **details)
        self.bundle.add_outcome(entry)

    def close(self) -> AuditBundle:
        if self.bundle.closed:
            raise GuardianError(f"session {self.session_id} is already closed")
        self.guardian.scopes.end(self.session_id)
        self.bundle.close(self.guardian.clock.now_iso(), self.guardian.signing_key())
        self.guardian.ledger.append("session", {
            "session_id": self.session_id, "agent_id": self.agent_id,
            "started_at": self.bundle.started_at, "closed_at": self.bundle.closed_at,
            "decisions": len(self.bundle.decisions), "outcomes": len(self.bundle.outcomes),
            "signature": self.bundle.signature, "public_key": self.bundle.public_key,
        })  # fmt: skip
        return self.bundle

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.bundle.closed:
            self.close()


def session_bundle(guardian: Guardian, session_id: str, agent_id: str | None = None) -> AuditBundle:
    """Rebuild and sign the bundle of a session from the ledger (for export after the fact)."""
    decisions = {}
    bundle: AuditBundle | None = None
    for entry in guardian.ledger.entries():
        if entry.kind == "decision" and entry.payload["intent"].get("session_id") == session_id:
            if bundle is None:
                actor = agent_id or entry.payload["intent"]["actor"]
                bundle = AuditBundle(actor, session_id, entry.ts)
            bundle.add_action(entry.payload["intent"])
            bundle.add_decision(entry)
            decisions[entry.payload["decision_id"]] = entry
        elif entry.kind == "receipt" and entry.payload.get("decision_id") in decisions:
            assert bundle is not None
            bundle.add_outcome(entry)
    if bundle is None:
        raise GuardianError(f"no decisions of session {session_id!r} in the ledger")
    return bundle.close(guardian.clock.now_iso(), guardian.signing_key())
