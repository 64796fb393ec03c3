"""Warnings for rules that can never decide anything: shadowed by an earlier rule, or unreachable.

A rule is shadowed when an earlier unconditional rule (no `when`, no `min_authority`, no rate limit)
matches every intent it could match. Anything after an unconditional catch-all is unreachable.
"""

from __future__ import annotations

from dataclasses import dataclass

from guardian.policy.model import Policy, Rule
from guardian.policy.patterns import Pattern


@dataclass(frozen=True, slots=True)
class LintWarning:
    code: str
    rule_id: str
    line: int | None
    message: str


def lint(policy: Policy) -> list[LintWarning]:
    warnings: list[LintWarning] = []
    unconditional: list[Rule] = []
    for rule in policy.rules:
        catch_all = next((r for r in unconditional if _is_catch_all(r)), None)
        if catch_all is not None:
            warnings.append(LintWarning(
                "unreachable", rule.id, rule.line,
                f"unreachable: rule {catch_all.id!r} before it matches every intent",
            ))  # fmt: skip
        else:
            shadow = next((r for r in unconditional if _covers_rule(r, rule)), None)
            if shadow is not None:
                warnings.append(LintWarning(
                    "shadowed", rule.id, rule.line,
                    f"shadowed by earlier rule {shadow.id!r}, which matches everything it matches",
                ))  # fmt: skip
        if rule.condition is None and rule.min_authority is None and rule.rate_limit is None:
            unconditional.append(rule)
    return warnings


def _is_catch_all(rule: Rule) -> bool:
    return all(
        any(p.exact is None and p.prefix == "" and p.suffix is None and p.regex is None for p in ps)
        for ps in (rule.actor, rule.action, rule.target)
    )


def _covers_rule(earlier: Rule, later: Rule) -> bool:
    return all(
        all(any(_covers(a, b) for a in earlier_ps) for b in later_ps)
        for earlier_ps, later_ps in (
            (earlier.actor, later.actor),
            (earlier.action, later.action),
            (earlier.target, later.target),
        )
    )


def _covers(a: Pattern, b: Pattern) -> bool:
    """Does pattern `a` match every string pattern `b` matches? (Sound, not complete.)"""
    if b.exact is not None:
        return a.matches(b.exact)
    if a.exact is not None or a.regex is not None:
        return a.source == b.source
    if a.suffix is None:  # a = prefix*
        return b.prefix.startswith(a.prefix)
    return a.source == b.source
