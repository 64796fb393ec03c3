"""The registry's records and rules: agents, tasks, priorities, statuses, and their checks.

Shared by the registry (guardian.governance.registry) and the interventions, which read and change
the same rows inside their own transactions (`read_agent`, `read_task`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Connection, func, select

from guardian.core.errors import GuardianError
from guardian.storage.intervention_tables import agents, tasks

PRIORITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")
RANK = {name: rank for rank, name in enumerate(PRIORITIES)}
QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
TASK_STATUSES = (QUEUED, RUNNING, DONE, FAILED, CANCELLED)
HEALTH = ("healthy", "degraded", "failed", "unknown")
AGENT_STATUSES = ("active", "paused", "offline")


class RegistryError(GuardianError, ValueError):
    code = "invalid_request"


class RegistryNotFound(GuardianError, LookupError):
    code = "not_found"


class RegistryConflict(GuardianError):
    code = "conflict"


@dataclass(frozen=True, slots=True)
class Agent:
    id: str
    authority: int
    capacity: int
    health_status: str
    status: str
    created_at: str
    updated_at: str
    running: int = 0

    @property
    def available(self) -> int:
        return max(self.capacity - self.running, 0)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "available": self.available}


@dataclass(frozen=True, slots=True)
class Task:
    id: str
    name: str
    priority: str
    status: str
    agent_id: str | None
    timeout_seconds: int | None
    run_id: str | None
    created_at: str
    queued_at: str
    started_at: str | None
    ended_at: str | None
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def priority_of(value: object) -> str:
    name = value.upper() if isinstance(value, str) else value
    if name not in RANK:
        raise RegistryError(f"invalid priority {value!r}; use one of {', '.join(PRIORITIES)}")
    return str(name)


def positive(name: str, value: object, *, zero: bool = False) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < (0 if zero else 1):
        raise RegistryError(
            f"{name} must be a {'non-negative' if zero else 'positive'} integer, got {value!r}"
        )
    return value


def one_of(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise RegistryError(f"invalid {name} {value!r}; use one of {', '.join(allowed)}")
    return str(value)


def check_id(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise RegistryError(f"{name} must be a non-empty string of at most 200 characters")
    return value


def running_count(conn: Connection, agent_id: str) -> int:
    query = select(func.count()).select_from(tasks).where(tasks.c.agent_id == agent_id,
                                                          tasks.c.status == RUNNING)  # fmt: skip
    return int(conn.execute(query).scalar_one())


def read_agent(conn: Connection, agent_id: str) -> Agent:
    row = conn.execute(select(agents).where(agents.c.id == agent_id)).first()
    if row is None:
        raise RegistryNotFound(f"no agent {agent_id!r}")
    return Agent(**dict(row._mapping), running=running_count(conn, agent_id))


def read_task(conn: Connection, task_id: str) -> Task:
    row = conn.execute(select(tasks).where(tasks.c.id == task_id)).first()
    if row is None:
        raise RegistryNotFound(f"no task {task_id!r}")
    values = dict(row._mapping)
    values.pop("priority_rank")
    return Task(**values)


def check_authority(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 5:
        raise RegistryError(f"authority must be an integer 1..5, got {value!r}")
    return value
