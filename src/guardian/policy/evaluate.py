"""Evaluation: the policy steps of the one path (allowlist, first matching rule, its rate limit).

Deterministic and side-effect free except for the rate counter it is handed, so replay can run it
again with a counter rebuilt from the ledger and get the same answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from guardian.core.decision import Decision, Reason
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.policy.conditions import ConditionError
from guardian.policy.index import RuleIndex
from guardian.policy.model import Policy, Rule
from guardian.policy.patterns import Pattern


class RateCounter(Protocol):
    def hit(self, key: str, limit: int, window: float | None, now: float) -> bool:
        """Count one use of `key` at `now` if fewer than `limit` fall in the window; say if it did."""
        ...


@dataclass(frozen=True, slots=True)
class Evaluation:
    decision: Decision
    rule: Rule | None
    reasons: tuple[Reason, ...]

    @property
    def rule_id(self) -> str | None:
        return self.rule.id if self.rule is not None else None


NO_MATCH = Evaluation(Decision.DENY, None, (Reason("no_rule_matched", "no rule matched"),))
_EFFECT_CODES = {Decision.ALLOW: "rule_allow", Decision.ASK: "rule_ask", Decision.DENY: "rule_deny"}


class CompiledPolicy:
    """A policy plus its index; build once per policy, share between threads."""

    def __init__(self, policy: Policy, *, cache: bool = True) -> None:
        self.policy = policy
        self.index = RuleIndex(policy.rules, cache=cache)
        self._agents = policy.agents  # the same mapping, one attribute lookup nearer
        # A matched rule's verdict never changes: build each once, not once per decision.
        self._verdicts = {
            rule.id: Evaluation(
                rule.effect,
                rule,
                (Reason(_EFFECT_CODES[rule.effect],
                        rule.reason or f"rule {rule.id!r} matched: {rule.effect.value}"),),
            )
            for rule in policy.rules
        }  # fmt: skip

    def evaluate(
        self,
        intent: Intent,
        principal: Principal,
        counter: RateCounter | None,
        now: float | Callable[[], float],
    ) -> Evaluation:
        """The policy's verdict. `now` (epoch seconds) matters only to a rule with a rate limit, so
        it may be given as a function, called only then (reading the clock costs a microsecond)."""
        allowlist = self._agents.get(intent.actor)
        if allowlist is not None and not allowlist.permits(intent.action):
            return Evaluation(
                Decision.DENY,
                None,
                (
                    Reason(
                        "not_in_allowlist",
                        f"{intent.action!r} is not in the tool allowlist of agent {intent.actor!r}",
                    ),
                ),
            )
        context: dict[str, Any] | None = None
        for rule in self.index.candidates(intent.actor, intent.action, intent.target):
            if rule.min_authority is not None and principal.authority < rule.min_authority:
                continue
            if rule.condition is not None:
                if context is None:
                    context = _context(intent, principal)
                try:
                    if not rule.condition.evaluate(context):
                        continue
                except ConditionError as exc:
                    message = f"condition of rule {rule.id!r} failed: {exc}"
                    return Evaluation(Decision.DENY, rule, (Reason("condition_error", message),))
            if rule.rate_limit is None:
                return self._verdicts[rule.id]
            return self._matched(rule, intent, counter, now)
        return NO_MATCH

    def denies_outright(self, actor: str, action: str, principal: Principal | None = None) -> bool:
        """True when `action` by `actor` is DENY whatever the target and params (e.g. to hide a tool).

        Sound, not complete: it answers True only when the allowlist excludes the action, or when
        the first rule that could match any target unconditionally denies, or when no rule that
        could match allows or asks.
        """
        allowlist = self.policy.agents.get(actor)
        if allowlist is not None and not allowlist.permits(action):
            return True
        authority = principal.authority if principal is not None else None
        for rule in self.policy.rules:
            if not (_any(rule.action, action) and _any(rule.actor, actor)):
                continue
            if rule.min_authority is not None and (
                authority is None or authority < rule.min_authority
            ):
                continue
            covers_all_targets = any(p.source == "*" for p in rule.target)
            if rule.effect is not Decision.DENY:
                return False
            if covers_all_targets and rule.condition is None:
                return True
        return True

    def _matched(
        self,
        rule: Rule,
        intent: Intent,
        counter: RateCounter | None,
        now: float | Callable[[], float],
    ) -> Evaluation:
        limit = rule.rate_limit
        if limit is not None and counter is not None:
            key = rate_key(rule, intent)
            at = now() if callable(now) else now
            if not counter.hit(key, limit.max, limit.window_seconds, at):
                window = f" per {limit.window_seconds:g}s" if limit.window_seconds else ""
                message = f"rule {rule.id!r} allows {limit.max}{window} per {limit.per}"
                return Evaluation(Decision.DENY, rule, (Reason("rate_limited", message),))
        return self._verdicts[rule.id]


def _any(patterns: tuple[Pattern, ...], value: str) -> bool:
    return any(p.matches(value) for p in patterns)


def rate_key(rule: Rule, intent: Intent) -> str:
    assert rule.rate_limit is not None
    per = rule.rate_limit.per
    session = intent.session_id or ""
    scope = {
        "actor": intent.actor,
        "session": session,
        "actor+action": f"{intent.actor}\x1f{intent.action}",
        "session+action": f"{session}\x1f{intent.action}",
    }[per]
    return f"{rule.id}\x1e{per}\x1e{scope}"


def _context(intent: Intent, principal: Principal) -> dict[str, Any]:
    return {
        "intent": intent.to_dict(),
        "params": intent.params,
        "metadata": intent.metadata,
        "principal": principal.to_dict(),
    }
