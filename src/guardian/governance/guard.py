"""The one path every action takes: checks in order, a verdict, a ledger entry, then the caller.

The policy step decides; every check after it may only tighten the verdict (the guard enforces
this rather than trusting each check). A check that raises turns the verdict into DENY, saying why.
The decision is appended to the ledger before it is returned, so no unrecorded decision exists.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from guardian.core.canonical import sha256_hex
from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.core.decision import Decision, Reason
from guardian.core.ids import new_id
from guardian.core.intent import Intent, check_size
from guardian.core.principal import Principal
from guardian.core.record import DecisionRecord, decision_payload
from guardian.ledger.store import Ledger
from guardian.policy.evaluate import CompiledPolicy, Evaluation, RateCounter
from guardian.policy.model import Policy


@dataclass(frozen=True, slots=True)
class CheckContext:
    intent: Intent
    principal: Principal
    policy: Policy
    evaluation: Evaluation


#: A check after the policy step: returns a stricter Evaluation, or None to leave it as it is.
Check = Callable[[CheckContext], "Evaluation | None"]


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
    ) -> None:
        self._compiled = CompiledPolicy(policy)
        self._ledger = ledger
        self._counter = counter
        self._checks = tuple(checks)
        self._clock = clock
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
        principal = principal or Principal.for_agent(intent.actor)
        intent_hash = "sha256:" + sha256_hex(check_size(intent))
        compiled = self._compiled
        evaluation = compiled.evaluate(
            intent, principal, self._counter, self._clock.now().timestamp()
        )
        evaluation = self._run_checks(CheckContext(intent, principal, compiled.policy, evaluation))
        payload = decision_payload(
            new_id(), intent, intent_hash, evaluation.decision, evaluation.rule_id,
            evaluation.reasons, compiled.policy.policy_hash, principal, None,
        )  # fmt: skip
        entry = self._ledger.append("decision", payload, has_float=intent.has_float)
        return DecisionRecord(payload, entry.seq, entry.ts, entry.hash, entry.prev_hash, intent,
                              principal, evaluation.decision, evaluation.reasons)  # fmt: skip

    def _run_checks(self, context: CheckContext) -> Evaluation:
        evaluation = context.evaluation
        for check in self._checks:
            if evaluation.decision is Decision.DENY:
                break
            try:
                tighter = check.run(
                    CheckContext(context.intent, context.principal, context.policy, evaluation)
                )
            except Exception as exc:  # fail closed: a broken check can only deny
                reason = Reason(
                    check.error_code, f"{check.name} failed: {type(exc).__name__}: {exc}"
                )
                return Evaluation(Decision.DENY, evaluation.rule, (*evaluation.reasons, reason))
            if (
                tighter is not None
                and tighter.decision.strictness >= evaluation.decision.strictness
            ):
                evaluation = tighter
        return evaluation
