"""Intervention policies: seed 003's YAML (`policy: name, min_authority, triggers, actions,
rollback`), loaded from a file or a directory and checked completely before anything runs.

    policy:
      name: emergency_cancellation
      min_authority: 4
      triggers:
        - type: task_timeout
          condition: "task.running_duration > task.timeout_seconds * 2"
      actions:
        - type: cancel_task
          auto_approve: true
        - type: notify
          channels: [slack, pagerduty]
      rollback: {enabled: true, auto_rollback_after_minutes: 60}

Conditions are CEL over `task` and `agent` (and `alert` for escalations); AND / OR / NOT are
accepted. Every problem (unknown field or type, bad CEL, wrong value) is reported with its file and
line, all at once, as a PolicyError.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardian.core.errors import PolicyError, PolicyProblem
from guardian.events.channels import NAME_RE as CHANNEL_RE
from guardian.governance.interventions.actions import ACTION_TYPES
from guardian.governance.registry import RANK
from guardian.policy.conditions import Condition, ConditionError, compile_condition
from guardian.policy.source import FORMATS, SourceError, line_of, read_file

#: Trigger type -> what it is evaluated for (see engine.py).
TRIGGER_TYPES = {
    "task_timeout": "each running task", "agent_failure": "each running task",
    "task_waiting": "each queued task", "task": "each queued or running task",
    "escalation": "each alert escalated by the watchdog",
}  # fmt: skip
NOTIFY = "notify"
POLICY_FIELDS = {
    "name",
    "description",
    "enabled",
    "min_authority",
    "triggers",
    "actions",
    "rollback",
}
TRIGGER_FIELDS = {"type", "condition", "description"}
ROLLBACK_FIELDS = {"enabled", "auto_rollback_after_minutes"}
ACTION_FIELDS = {
    "cancel_task": {"type", "auto_approve"},
    "override_priority": {"type", "auto_approve", "new_priority"},
    "reallocate_capacity": {"type", "auto_approve", "capacity", "from_agent", "to_agent"},
    NOTIFY: {"type", "channels"},
}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,199}")
assert set(ACTION_FIELDS) == {*ACTION_TYPES, NOTIFY}  # an intervention added there is added here


@dataclass(frozen=True)
class Trigger:
    type: str
    condition: Condition
    line: int | None = None


@dataclass(frozen=True)
class PolicyAction:
    type: str
    auto_approve: bool = False
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InterventionPolicy:
    name: str
    min_authority: int
    triggers: tuple[Trigger, ...]
    actions: tuple[PolicyAction, ...]
    rollback_after_minutes: float | None = None
    description: str = ""
    file: str | None = None


class _Checker:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[PolicyProblem] = []
        self.policy: str | None = None

    def problem(
        self, message: str, where: Any, key: str | None = None, fld: str | None = None
    ) -> None:
        self.problems.append(
            PolicyProblem(message, self.file, line_of(where, key), self.policy, fld or key)
        )

    def fields(self, data: Any, allowed: set[str], what: str) -> bool:
        if not isinstance(data, dict):
            self.problem(f"{what}: expected a mapping, got {type(data).__name__}", data)
            return False
        for key in sorted(set(data) - allowed):
            self.problem(
                f"unknown field in {what}; expected one of {', '.join(sorted(allowed))}", data, key
            )
        return True


def parse_policy(data: Any, file: str = "<policy>") -> InterventionPolicy:
    """One policy document (already parsed); PolicyError with every problem found."""
    check = _Checker(file)
    if not check.fields(data, {"policy"}, "the document") or "policy" not in data:
        check.problem("expected one top-level mapping `policy:`", data)
        raise PolicyError(check.problems)
    body = data["policy"]
    name = body.get("name") if isinstance(body, dict) else None
    if isinstance(name, str) and _NAME.fullmatch(name):
        check.policy = name  # every later problem names the policy
    if not check.fields(body, POLICY_FIELDS, "policy"):
        raise PolicyError(check.problems)
    if check.policy is None:
        check.problem(
            "name: letters, digits, _ . - (1-200), starting with a letter or digit", body, "name"
        )
    min_authority = body.get("min_authority", 4)
    if (
        not isinstance(min_authority, int)
        or isinstance(min_authority, bool)
        or not 1 <= min_authority <= 5
    ):
        check.problem(
            f"min_authority must be an integer 1..5, got {min_authority!r}", body, "min_authority"
        )
    triggers = _triggers(check, body.get("triggers"), body)
    actions = _actions(check, body.get("actions"), body)
    if (
        isinstance(min_authority, int)
        and min_authority < 4
        and any(a.type != NOTIFY for a in actions)
    ):
        check.problem(f"min_authority {min_authority}: interventions need GUARDIAN (4) or more",
                      body, "min_authority")  # fmt: skip
    rollback = _rollback(check, body.get("rollback"), body)
    for key in ("enabled", "description"):
        value = body.get(key)
        if value is not None and not isinstance(value, bool if key == "enabled" else str):
            check.problem(
                f"{key}: expected {'true or false' if key == 'enabled' else 'text'}", body, key
            )
    if check.problems:
        raise PolicyError(check.problems)
    return InterventionPolicy(str(name), int(min_authority), tuple(triggers), tuple(actions), rollback,
                              str(body.get("description") or ""), file)  # fmt: skip


def _triggers(check: _Checker, items: Any, body: Any) -> list[Trigger]:
    if not isinstance(items, list) or not items:
        check.problem("triggers: expected a non-empty list", body, "triggers")
        return []
    out = []
    for item in items:
        if not check.fields(item, TRIGGER_FIELDS, "trigger"):
            continue
        kind = item.get("type")
        if kind not in TRIGGER_TYPES:
            check.problem(
                f"unknown trigger type {kind!r}; one of {', '.join(TRIGGER_TYPES)}", item, "type"
            )
            continue
        variables = frozenset(
            {"task", "agent", "alert"} if kind == "escalation" else {"task", "agent"}
        )
        try:
            out.append(
                Trigger(kind, compile_condition(item.get("condition"), variables), line_of(item))
            )
        except ConditionError as exc:
            check.problem(f"condition: {exc}", item, "condition")
    return out


def _actions(check: _Checker, items: Any, body: Any) -> list[PolicyAction]:
    if not isinstance(items, list) or not items:
        check.problem("actions: expected a non-empty list", body, "actions")
        return []
    out = []
    for item in items:
        if not check.fields(item, set().union(*ACTION_FIELDS.values()), "action"):
            continue
        kind = item.get("type")
        if kind not in ACTION_FIELDS:
            check.problem(
                f"unknown action type {kind!r}; one of {', '.join(ACTION_FIELDS)}", item, "type"
            )
            continue
        for key in sorted(set(item) - ACTION_FIELDS[kind]):
            check.problem(f"a {kind} action has no field {key!r}", item, key)
        approve = item.get("auto_approve", False)
        if not isinstance(approve, bool):
            check.problem("auto_approve: expected true or false", item, "auto_approve")
        params = {k: v for k, v in item.items() if k not in ("type", "auto_approve")}
        _action_params(check, kind, params, item)
        out.append(PolicyAction(kind, approve is True, params))
    return out


def _action_params(check: _Checker, kind: str, params: dict[str, Any], item: Any) -> None:
    if kind == NOTIFY:
        channels = params.get("channels")
        if (
            not isinstance(channels, list)
            or not channels
            or not all(isinstance(c, str) and CHANNEL_RE.fullmatch(c) for c in channels)
        ):
            check.problem(
                "channels: a non-empty list of channel names like slack, pagerduty",
                item,
                "channels",
            )
    elif kind == "override_priority" and str(params.get("new_priority", "")).upper() not in RANK:
        check.problem(f"new_priority must be one of {', '.join(RANK)}", item, "new_priority")
    elif kind == "reallocate_capacity":
        capacity = params.setdefault("capacity", 1)
        if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity < 1:
            check.problem(
                f"capacity must be a positive integer, got {capacity!r}", item, "capacity"
            )
        for key in ("from_agent", "to_agent"):
            if key in params and not isinstance(params[key], str):
                check.problem(f"{key}: expected an agent id", item, key)


def _rollback(check: _Checker, data: Any, body: Any) -> float | None:
    if data is None:
        return None
    if not check.fields(data, ROLLBACK_FIELDS, "rollback"):
        return None
    enabled = data.get("enabled", False)
    minutes = data.get("auto_rollback_after_minutes")
    if not isinstance(enabled, bool):
        check.problem("enabled: expected true or false", data, "enabled")
    if minutes is not None and (
        isinstance(minutes, bool) or not isinstance(minutes, int | float) or minutes <= 0
    ):
        check.problem(f"auto_rollback_after_minutes must be a positive number, got {minutes!r}",
                      data, "auto_rollback_after_minutes")  # fmt: skip
        return None
    return float(minutes) if enabled is True and minutes is not None else None


def load_policies(path: Path | str) -> list[InterventionPolicy]:
    """Every policy in a file, or in the policy files of a directory (sorted by name)."""
    path = Path(path)
    files = (
        sorted(p for p in path.iterdir() if p.suffix.lower() in FORMATS)
        if path.is_dir()
        else [path]
    )
    policies: list[InterventionPolicy] = []
    problems: list[PolicyProblem] = []
    for file in files:
        try:
            data, _ = read_file(file)
            policy = parse_policy(data, str(file))
        except SourceError as exc:
            problems.append(exc.problem)
            continue
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        if policy.name in {p.name for p in policies}:
            problems.append(PolicyProblem("a policy of this name is already loaded", str(file),
                                          line_of(data["policy"], "name"), policy.name, "name"))  # fmt: skip
        policies.append(policy)
    if problems:
        raise PolicyError(problems)
    return policies
