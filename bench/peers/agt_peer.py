"""agent-governance-toolkit peer: Guardian rules as one agent_os PolicyDocument for PolicyEvaluator.

An agent_os rule has exactly one condition (`field`, `operator`, `value`) over a flat context dict,
and the evaluator takes the first matching rule in priority order (a stable sort, so equal or
descending priorities keep Guardian's order). Each intent is therefore given three context strings
(built once per intent, outside the timed call, like Guardian's pre-built Intent objects):

- `request` = actor US action US target, `actor_action` = actor US action (US = \\x1f),
- `request_params` = request RS field=value US ... for the params that conditions read (RS = \\x1e).

A rule of exact names becomes `eq` on `request` (or on `actor_action` when it has no target); any
other rule becomes one anchored regex (`matches`) on `request` or, with a `when`, `request_params`:
`*` -> `[^\\x1f\\x1e]*`, `?` -> `[^\\x1f\\x1e]`, lists -> alternation, and the numeric conditions
the generator writes (`< 10**k`, `>= 10**k` on non-negative integers) -> digit-count regexes.
There is no ASK in agent_os: ASK maps to its `audit` action and back. Default action: deny.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

from agent_os.policies import (
    PolicyAction,
    PolicyCondition,
    PolicyDefaults,
    PolicyDocument,
    PolicyEvaluator,
    PolicyOperator,
    PolicyRule,
)
from common import is_exact, parse_when, patterns, peer_main

US, RS = "\x1f", "\x1e"
_NAME = f"[^{US}{RS}]"
_TO_AGT = {"ALLOW": PolicyAction.ALLOW, "DENY": PolicyAction.DENY, "ASK": PolicyAction.AUDIT}
_FROM_AGT = {"allow": "ALLOW", "deny": "DENY", "block": "DENY", "audit": "ASK"}


def _glob_regex(globs: list[str] | None) -> str:
    if globs is None:
        return f"{_NAME}*"
    alternatives = [
        "".join(f"{_NAME}*" if ch == "*" else _NAME if ch == "?" else re.escape(ch) for ch in g)
        for g in globs
    ]
    return alternatives[0] if len(alternatives) == 1 else f"(?:{'|'.join(alternatives)})"


def _value_regex(op: str, value: Any) -> str:
    if op == "==":
        return re.escape(str(value))
    if op == "in":
        return "(?:" + "|".join(re.escape(str(v)) for v in value) + ")"
    digits = len(str(value)) - 1
    if not (isinstance(value, int) and value == 10**digits and digits > 0 and op in ("<", ">=")):
        raise ValueError(f"no regex translation for {op} {value!r}")
    return f"[0-9]{{1,{digits}}}" if op == "<" else f"[1-9][0-9]{{{digits},}}"


def _condition(rule: dict[str, Any], param_fields: list[str]) -> PolicyCondition:
    globs = {f: patterns(rule.get(f)) for f in ("actor", "action", "target")}
    exact = all(g is not None and len(g) == 1 and is_exact(g[0]) for g in globs.values())
    if not rule.get("when"):
        actor, action, target = globs["actor"], globs["action"], globs["target"]
        if exact and actor and action and target:
            value = f"{actor[0]}{US}{action[0]}{US}{target[0]}"
            return PolicyCondition(field="request", operator=PolicyOperator.EQ, value=value)
        if target is None and actor and action and len(actor) == len(action) == 1:
            if is_exact(actor[0]) and is_exact(action[0]):
                value = f"{actor[0]}{US}{action[0]}"
                return PolicyCondition(
                    field="actor_action", operator=PolicyOperator.EQ, value=value
                )
    regex = US.join(_glob_regex(globs[f]) for f in ("actor", "action", "target"))
    field = "request"
    if rule.get("when"):
        tests = {name: _value_regex(op, value) for name, op, value in parse_when(rule["when"])}
        regex += RS + US.join(f"{name}={tests.get(name, f'{_NAME}*')}" for name in param_fields)
        field = "request_params"
    return PolicyCondition(field=field, operator=PolicyOperator.MATCHES, value=rf"\A{regex}\Z")


def build(job: dict[str, Any]) -> tuple[Callable[[int], str], dict[str, Any]]:
    """Build the PolicyEvaluator once and one context dict per intent."""
    rules = job["rules"]
    param_fields = sorted(
        {name for r in rules if r.get("when") for name, _, _ in parse_when(r["when"])}
    )
    count = len(rules)
    agt_rules = [
        PolicyRule(name=r["id"], condition=_condition(r, param_fields), action=_TO_AGT[r["effect"]],
                   priority=count - order)
        for order, r in enumerate(rules)
    ]  # fmt: skip
    document = PolicyDocument(
        name="bench", rules=agt_rules, defaults=PolicyDefaults(action=PolicyAction.DENY)
    )
    evaluator = PolicyEvaluator(policies=[document])
    contexts = []
    for actor, action, target, params in job["intents"]:
        request = f"{actor}{US}{action}{US}{target}"
        values = US.join(f"{name}={params.get(name, '')}" for name in param_fields)
        contexts.append({
            "request": request,
            "actor_action": f"{actor}{US}{action}",
            "request_params": f"{request}{RS}{values}",
        })  # fmt: skip
    evaluate = evaluator.evaluate
    regexes = sum(r.condition.operator is PolicyOperator.MATCHES for r in agt_rules)

    def call(index: int) -> str:
        return _FROM_AGT[evaluate(contexts[index]).action]

    notes = f"{regexes} of {count} rules need a regex (re's cache holds 512)"
    return call, {"version": version("agent-governance-toolkit"), "notes": notes}


if __name__ == "__main__":
    peer_main("agent-governance-toolkit", build)
