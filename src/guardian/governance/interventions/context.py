"""What a policy condition sees: `task`, `agent` (and `alert`), as plain CEL maps.

Every key is always present (a task without an agent gets an empty agent with `id == ""`), so a
condition never fails on a missing field. Durations are seconds as doubles; `timeout_seconds` and
counts are integers, so seed 003's `task.running_duration > task.timeout_seconds * 2` works as
written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from guardian.core.clock import parse_iso_utc
from guardian.governance.interventions.escalations import Escalation
from guardian.governance.registry import QUEUED, RANK, RUNNING, Agent, Registry, Task


@dataclass(frozen=True)
class Subject:
    """One thing a trigger is evaluated for: a task (with its agent) or an escalated alert."""

    key: str
    epoch: str
    task: Task | None
    agent: Agent | None
    alert: Escalation | None = None
    context: dict[str, Any] = field(default_factory=dict)


def _since(stamp: str | None, now: datetime) -> float:
    return max((now - parse_iso_utc(stamp)).total_seconds(), 0.0) if stamp else 0.0


def task_view(task: Task | None, now: datetime) -> dict[str, Any]:
    if task is None:
        return {"id": "", "name": "", "priority": "", "priority_rank": len(RANK), "status": "",
                "agent_id": "", "timeout_seconds": 0, "running_duration": 0.0, "waiting_seconds": 0.0}  # fmt: skip
    return {"id": task.id, "name": task.name, "priority": task.priority, "priority_rank": RANK[task.priority],
            "status": task.status, "agent_id": task.agent_id or "", "timeout_seconds": task.timeout_seconds or 0,
            "running_duration": _since(task.started_at, now) if task.status == RUNNING else 0.0,
            "waiting_seconds": _since(task.queued_at, now) if task.status == QUEUED else 0.0}  # fmt: skip


def agent_view(agent: Agent | None) -> dict[str, Any]:
    if agent is None:
        return {"id": "", "authority": 0, "capacity": 0, "available_capacity": 0, "running_tasks": 0,
                "health_status": "unknown", "status": ""}  # fmt: skip
    return {"id": agent.id, "authority": agent.authority, "capacity": agent.capacity,
            "available_capacity": agent.available, "running_tasks": agent.running,
            "health_status": agent.health_status, "status": agent.status}  # fmt: skip


def alert_view(alert: Escalation, now: datetime) -> dict[str, Any]:
    return {"id": alert.id, "reason": alert.reason, "agent_id": alert.agent_id or "",
            "task_id": alert.task_id or "", "age_seconds": _since(alert.created_at, now)}  # fmt: skip


class Snapshot:
    """The registry as one pass sees it (read once, evaluated by every trigger)."""

    def __init__(self, registry: Registry, now: datetime) -> None:
        self.now = now
        self.agents = {a.id: a for a in registry.agents(limit=100_000)}
        self.running = registry.tasks(RUNNING, limit=100_000)
        self.queued = registry.tasks(QUEUED, limit=100_000)
        self._by_id = {t.id: t for t in (*self.running, *self.queued)}
        self._registry = registry

    def _subject(self, task: Task, epoch: str) -> Subject:
        agent = self.agents.get(task.agent_id) if task.agent_id else None
        ctx = {"task": task_view(task, self.now), "agent": agent_view(agent)}
        return Subject(task.id, epoch, task, agent, None, ctx)

    def subjects(self, trigger_type: str, alerts: list[Escalation]) -> list[Subject]:
        if trigger_type == "task_timeout":
            return [self._subject(t, t.started_at or "") for t in self.running if t.timeout_seconds]
        if trigger_type == "agent_failure":
            return [self._subject(t, t.started_at or "") for t in self.running]
        if trigger_type == "task_waiting":
            return [self._subject(t, t.queued_at) for t in self.queued]
        if trigger_type == "task":
            return [
                self._subject(t, t.started_at or t.queued_at) for t in (*self.running, *self.queued)
            ]
        out = []
        for alert in alerts:  # escalation
            task = self._by_id.get(alert.task_id or "")
            agent = self.agents.get(alert.agent_id or (task.agent_id if task else "") or "")
            ctx = {
                "task": task_view(task, self.now),
                "agent": agent_view(agent),
                "alert": alert_view(alert, self.now),
            }
            out.append(Subject(alert.id, alert.id, task, agent, alert, ctx))
        return out

    def donor(self, to_agent: str, capacity: int) -> str | None:
        """An agent to take capacity from: active, not failed, enough free capacity; an idle one
        first, then the one working on the least important tasks (seed 003: take from low-priority
        work), then the one with the most free capacity."""
        lowest: dict[str, int] = {}
        for task in self.running:
            if task.agent_id:
                lowest[task.agent_id] = max(lowest.get(task.agent_id, -1), RANK[task.priority])
        candidates = [a for a in self.agents.values() if a.id != to_agent and a.status == "active"
                      and a.health_status != "failed" and a.available >= capacity]  # fmt: skip
        if not candidates:
            return None
        best = max(candidates, key=lambda a: (lowest.get(a.id, len(RANK)), a.available, a.id))
        return best.id
