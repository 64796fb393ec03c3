"""The one path every action takes: checks in order, a verdict, a ledger entry, then the caller.

The policy step decides; every check after it may only tighten the verdict (the guard enforces
this rather than trusting each check). A check that raises turns the verdict into DENY, saying why.
The decision is appended to the ledger before it is returned, so no unrecorded decision exists.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from guardian.core.clock import SYSTEM_CLOCK, Clock, SystemClock
from guardian.core.decision import Decision, Reason
from guardian.core.ids import new_id
from guardian.core.intent import Intent, sized_canonical
from guardian.core.principal import Principal
from guardian.core.record import DecisionRecord, canonical_decision_payload, decision_payload
from guardian.governance.approvals import Approvals
from guardian.ledger.store import Ledger
from guardian.policy.evaluate import CompiledPolicy, Evaluation, RateCounter
from guardian.policy.model import Policy


class CheckContext(NamedTuple):
    """What a check sees. A NamedTuple (immutable all the same): one is built per decision, where a
    frozen dataclass's per-field cost was measurable."""

    intent: Intent
    principal: Principal
    policy: Policy
    evaluation: Evaluation


#: A check after the policy step: returns a stricter Evaluation, or None to leave it as it is.
Check = Callable[[CheckContext], "Evaluation | None"]
#: The first check (kill switch, paused agent): a DENY, or None to go on to the policy.
Gate = Callable[[Intent, Principal], "Evaluation | None"]
#: The last step for an ALLOW (budgets): None if it may go ahead, else why not.
Reserve = Callable[[Intent, str], "str | None"]


@dataclass(frozen=True, slots=True)
class NamedCheck:
    name: str
    run: Check
    error_code: str = "check_error"


class Guard:
    def __init__(
        self,
        policy: Policy,
        ledger: Ledger,
        counter: RateCounter | None,
        *,
        checks: Sequence[NamedCheck] = (),
        clock: Clock = SYSTEM_CLOCK,
        approvals: Approvals | None = None,
        gate: Gate | None = None,
        reserve: Reserve | None = None,
    ) -> None:
        self._compiled = CompiledPolicy(policy)
        self._approvals = approvals
        self._gate = gate
        self._reserve = reserve
        self._ledger = ledger
        self._counter = counter
        self._checks = tuple(checks)
        self._clock = clock
        self._lazy_now = type(clock) is SystemClock
        self._swap = threading.Lock()
        self._record_policy(policy)

    @property
    def policy(self) -> Policy:
        return self._compiled.policy

    def reload(self, policy: Policy) -> None:
        """Swap the policy atomically: a decision sees the old one or the new one, never a mix."""
        compiled = CompiledPolicy(policy)
        with self._swap:
            self._record_policy(policy)
            self._compiled = compiled

    def _record_policy(self, policy: Policy) -> None:
        self._ledger.append(
            "policy",
            {
                "policy_hash": policy.policy_hash,
                "document": policy.document,
                "source": policy.source,
            },
        )

    def decide(self, intent: Intent, principal: Principal | None = None) -> DecisionRecord:
        if principal is None:
            principal = Principal.for_agent(intent.actor)
        as_dict, intent_json = sized_canonical(intent)
        intent_hash = "sha256:" + _sha256(intent_json).hexdigest()
        compiled = self._compiled
        decision_id = new_id()
        links = None
        gated = self._gate(intent, principal) if self._gate is not None else None
        if gated is not None:
            evaluation = gated
        else:
            # The system clock has no side effects, so it is read only if a rate limit asks;
            # any other clock is read once per decision, as it always was.
            now = self._seconds if self._lazy_now else self._clock.now().timestamp()
            evaluation = compiled.evaluate(intent, principal, self._counter, now)
            if self._checks and evaluation.decision is not _DENY:  # (no check loosens a DENY)
                context = _new(CheckContext, (intent, principal, compiled.policy, evaluation))
                evaluation = apply_checks(self._checks, context)
            if evaluation.decision is _ASK and self._approvals is not None:
                evaluation, links = self._ask(intent, intent_hash, decision_id, evaluation)
            if evaluation.decision is _ALLOW and self._reserve is not None:
                evaluation = self._reserved(intent, decision_id, evaluation)
        payload = decision_payload(
            decision_id, as_dict, intent_hash, evaluation.decision, evaluation.rule_id,
            evaluation.reasons, compiled.policy.policy_hash, principal, links,
        )  # fmt: skip
        entry = self._ledger.append(
            "decision", payload, payload_json=canonical_decision_payload(payload, intent_json)
        )
        return DecisionRecord(payload, entry.seq, entry.ts, entry.hash, entry.prev_hash, intent,
                              principal, evaluation.decision, evaluation.reasons)  # fmt: skip

    def _seconds(self) -> float:
        return self._clock.now().timestamp()

    def _ask(self, intent: Intent, intent_hash: str, decision_id: str,
             evaluation: Evaluation) -> tuple[Evaluation, dict[str, str]]:  # fmt: skip
        """An ASK either uses an approval of exactly this intent (ALLOW) or opens a proposal."""
        assert self._approvals is not None
        used = self._approvals.consume(intent_hash, decision_id)
        if used is not None:
            note = Reason(
                "approved",
                f"approved by {used.decided_by}: {used.decision_reason or ''}".rstrip(": "),
            )
            allowed = Evaluation(Decision.ALLOW, evaluation.rule, (*evaluation.reasons, note))
            return allowed, {"approval_id": used.id}
        granted = self._approvals.use_grant(intent.actor, intent.action, intent.target,
                                            evaluation.rule)  # fmt: skip
        if granted is not None:
            note = Reason("granted", f"granted by {granted.created_by} until {granted.expires_at}")
            allowed = Evaluation(Decision.ALLOW, evaluation.rule, (*evaluation.reasons, note))
            return allowed, {"grant_id": granted.id}
        proposal = self._approvals.open(
            new_id(), decision_id, intent.to_dict(), intent_hash, evaluation.rule,
            [r.to_dict() for r in evaluation.reasons],
        )  # fmt: skip
        return evaluation, {"proposal_id": proposal.id}

    def _reserved(self, intent: Intent, decision_id: str, evaluation: Evaluation) -> Evaluation:
        """An ALLOW must also fit the budget; a reservation that fails or errors is DENY."""
        assert self._reserve is not None
        try:
            why = self._reserve(intent, decision_id)
        except Exception as exc:  # fail closed, saying why
            why = f"{type(exc).__name__}: {exc}"
            return Evaluation(
                Decision.DENY, evaluation.rule, (*evaluation.reasons, Reason("budget_error", why))
            )
        if why is None:
            return evaluation
        return Evaluation(
            Decision.DENY, evaluation.rule, (*evaluation.reasons, Reason("budget_exhausted", why))
        )


_ALLOW, _ASK, _DENY = Decision.ALLOW, Decision.ASK, Decision.DENY
_sha256 = hashlib.sha256
_new = tuple.__new__  # a NamedTuple without its Python-level __new__


def apply_checks(checks: Sequence[NamedCheck], context: CheckContext) -> Evaluation:
    """Run the checks after the policy step in order; each may only tighten the verdict."""
    evaluation = context.evaluation
    for check in checks:
        if evaluation.decision is _DENY:
            break
        if evaluation is not context.evaluation:
            context = CheckContext(context.intent, context.principal, context.policy, evaluation)
        try:
            tighter = check.run(context)
        except Exception as exc:  # fail closed: a broken check can only deny
            reason = Reason(check.error_code, f"{check.name} failed: {type(exc).__name__}: {exc}")
            return Evaluation(Decision.DENY, evaluation.rule, (*evaluation.reasons, reason))
        if tighter is not None and tighter.decision.strictness >= evaluation.decision.strictness:
            evaluation = tighter
    return evaluation
