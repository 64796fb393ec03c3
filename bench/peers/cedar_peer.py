"""Cedar (cedarpy) peer: Guardian rules translated to one Cedar PolicySet, parsed once.

Translation, rule by rule and in order: a single exact actor / action / target becomes a scope
constraint (`principal == Agent::"a"`, `action == Action::"t"`, `resource == Resource::"r"`); globs
and lists become `when` clauses over context strings (`context.target like "/srv/ops/*"`); `when`
conditions become Cedar expressions over `context.params`. Cedar's `like` has `*` but no `?`, so `?`
is translated as `*` (a superset; the agreement check shows whether it changed any decision).

Semantics: Cedar has no rule order and no ASK ("forbid overrides permit", default deny). To keep
Guardian's first-match decisions, every rule becomes a `permit`; Cedar evaluates them all and
reports each satisfied one in `diagnostics.reasons` (`policyN`, N = rule order), and this script takes
the effect of the lowest N, or DENY when none is satisfied. That resolution runs inside the timed
call. A native translation (ALLOW -> permit, DENY -> forbid) would let a later DENY override an
earlier ALLOW, i.e. decide differently from Guardian.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import cedarpy
from common import is_exact, parse_when, patterns, peer_main

_FIELDS = (("actor", "principal", "Agent"), ("action", "action", "Action"),
           ("target", "resource", "Resource"))  # fmt: skip


def _string(text: str) -> str:
    return json.dumps(text)


def _like(glob: str) -> str:
    return _string(glob.replace("?", "*"))


def _when(text: str) -> str:
    parts = []
    for field, op, value in parse_when(text):
        ref = f"context.params.{field}"
        if op == "in":
            parts.append(f"[{', '.join(json.dumps(v) for v in value)}].contains({ref})")
        else:
            parts.append(f"{ref} {op} {json.dumps(value)}")
    return " && ".join(parts)


def translate(rules: list[dict[str, Any]]) -> tuple[str, int]:
    """Cedar policy text for the rules, and how many `?` globs had to be widened to `*`."""
    policies = []
    widened = 0
    for rule in rules:
        scope = {"principal": "principal", "action": "action", "resource": "resource"}
        conditions = []
        for field, var, kind in _FIELDS:
            globs = patterns(rule.get(field))
            if globs is None:
                continue
            if len(globs) == 1 and is_exact(globs[0]):
                scope[var] = f"{var} == {kind}::{_string(globs[0])}"
                continue
            widened += sum("?" in g for g in globs)
            tests = [
                f"context.{field} == {_string(g)}"
                if is_exact(g)
                else f"context.{field} like {_like(g)}"
                for g in globs
            ]
            conditions.append(f"({' || '.join(tests)})")
        if rule.get("when"):
            conditions.append(f"({_when(rule['when'])})")
        body = f"permit({scope['principal']}, {scope['action']}, {scope['resource']})"
        if conditions:
            body += f" when {{ {' && '.join(conditions)} }}"
        policies.append(body + ";")
    return "\n".join(policies), widened


def build(job: dict[str, Any]) -> tuple[Callable[[int], str], dict[str, Any]]:
    """Parse the PolicySet once and pre-build one Cedar request per intent."""
    rules = job["rules"]
    text, widened = translate(rules)
    policy_set = cedarpy.PolicySet.from_str(text)
    entities = cedarpy.Entities.from_json_str("[]")
    effects = [rule["effect"] for rule in rules]
    requests = [
        {
            "principal": {"type": "Agent", "id": actor},
            "action": {"type": "Action", "id": action},
            "resource": {"type": "Resource", "id": target},
            "context": {"actor": actor, "action": action, "target": target, "params": params},
        }
        for actor, action, target, params in job["intents"]
    ]
    is_authorized = cedarpy.is_authorized
    allow = cedarpy.Decision.Allow

    def call(index: int) -> str:
        result = is_authorized(requests[index], policy_set, entities)
        if result.decision is not allow:
            return "DENY"
        first = min(int(reason[6:]) for reason in result.diagnostics.reasons)
        return str(effects[first])

    notes = f"{widened} '?' glob(s) widened to '*'" if widened else ""
    return call, {"version": version("cedarpy"), "notes": notes}


if __name__ == "__main__":
    peer_main("cedarpy", build)
