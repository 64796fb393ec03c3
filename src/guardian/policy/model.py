"""A loaded policy: ordered rules, per-agent allowlists, and the document they came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from guardian.core.decision import Decision
from guardian.policy.conditions import Condition
from guardian.policy.patterns import Pattern

RATE_LIMIT_SCOPES = ("actor", "session", "actor+action", "session+action")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `max` matches per `per` key within `window_seconds` (None = for all time)."""

    max: int
    window_seconds: float | None
    per: str


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    order: int
    effect: Decision
    actor: tuple[Pattern, ...]
    action: tuple[Pattern, ...]
    target: tuple[Pattern, ...]
    condition: Condition | None = None
    reason: str | None = None
    min_authority: int | None = None
    never_auto_approve: bool = False
    rate_limit: RateLimit | None = None
    analyze: dict[str, Any] = field(default_factory=dict)
    approval_timeout_seconds: float | None = None
    line: int | None = None

    def matches_names(self, actor: str, action: str, target: str) -> bool:
        return (
            _any_match(self.action, action)
            and _any_match(self.actor, actor)
            and _any_match(self.target, target)
        )


def _any_match(patterns: tuple[Pattern, ...], value: str) -> bool:
    for pattern in patterns:  # a loop, not any(generator): this runs on every decision
        if pattern.matches(value):
            return True
    return False


@dataclass(frozen=True, slots=True)
class AgentAllowlist:
    """An agent with an allowlist may use only the listed actions; everything else is DENY."""

    agent_id: str
    tools: tuple[Pattern, ...]

    def permits(self, action: str) -> bool:
        return _any_match(self.tools, action)


@dataclass(frozen=True, slots=True)
class ToolMapping:
    """How a tool's arguments become an intent: which argument is the target (MCP, @tool)."""

    pattern: Pattern
    target: str | None


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]
    agents: dict[str, AgentAllowlist]
    document: Any
    policy_hash: str
    source: str
    name: str | None = None
    tools: tuple[ToolMapping, ...] = ()

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def target_param(self, action: str) -> str | None:
        """The argument that names the target of `action`, from the first matching `tools:` entry."""
        for mapping in self.tools:
            if mapping.pattern.matches(action):
                return mapping.target
        return None
