"""The registry: agents (authority, capacity, health) and tasks, and the queue that hands tasks out.

Tasks are claimed in priority order (CRITICAL, HIGH, MEDIUM, LOW, then oldest first) by one
conditional UPDATE: it picks the next queued task the agent may take and moves it to `running` only
if it is still queued and the agent still has free capacity, so two claimers (threads, processes,
hosts) never get the same task. Every change emits an event in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from guardian.core.clock import Clock
from guardian.core.ids import new_id
from guardian.events.locking import ensure_memory_tables
from guardian.events.txn import read, write
from guardian.governance.registry_model import (  # re-exported: the registry's public names
    AGENT_STATUSES,
    CANCELLED,
    DONE,
    FAILED,
    HEALTH,
    PRIORITIES,
    QUEUED,
    RANK,
    RUNNING,
    TASK_STATUSES,
    Agent,
    RegistryConflict,
    RegistryError,
    RegistryNotFound,
    Task,
    check_authority,
    check_id,
    one_of,
    positive,
    priority_of,
    read_agent,
    read_task,
    running_count,
)  # fmt: skip
from guardian.storage.intervention_tables import agents, tasks

if TYPE_CHECKING:
    from guardian.events.hub import EventHub

__all__ = [
    "AGENT_STATUSES", "CANCELLED", "DONE", "FAILED", "HEALTH", "PRIORITIES", "QUEUED", "RANK", "RUNNING",
    "TASK_STATUSES", "Agent", "Registry", "RegistryConflict", "RegistryError", "RegistryNotFound", "Task",
    "priority_of", "read_agent", "read_task", "running_count",
]  # fmt: skip


class Registry:
    def __init__(self, engine: Engine, clock: Clock, events: EventHub | None = None) -> None:
        ensure_memory_tables(engine)
        self.engine = engine
        self.clock = clock
        self.events = events

    # -- agents ----------------------------------------------------------------------------------

    def register_agent(self, agent_id: str, *, authority: int = 1, capacity: int = 1,
                       health_status: str = "healthy", status: str = "active") -> Agent:  # fmt: skip
        """Add an agent; RegistryConflict if it exists (use update_agent)."""
        values = {"id": check_id("agent id", agent_id), "capacity": positive("capacity", capacity, zero=True),
                  "authority": check_authority(authority), "health_status": one_of("health_status", health_status, HEALTH),
                  "status": one_of("status", status, AGENT_STATUSES)}  # fmt: skip
        now = self.clock.now_iso()
        try:
            with write(self.engine, self.events) as tx:
                tx.conn.execute(insert(agents).values(**values, created_at=now, updated_at=now))
                tx.emit("guardian.agent.registered", values)
        except IntegrityError:
            raise RegistryConflict(
                f"agent {agent_id!r} is already registered; update it instead"
            ) from None
        return self.agent(agent_id)

    def ensure_agent(self, agent_id: str, **defaults: Any) -> Agent:
        """The agent, registered with `defaults` first if it is not yet (the runner's call)."""
        try:
            return self.agent(agent_id)
        except RegistryNotFound:
            try:
                return self.register_agent(agent_id, **defaults)
            except RegistryConflict:  # registered meanwhile by another process
                return self.agent(agent_id)

    def update_agent(self, agent_id: str, **changes: Any) -> Agent:
        checks: dict[str, Callable[[Any], Any]] = {"capacity": lambda v: positive("capacity", v, zero=True), "authority": check_authority,
                  "health_status": lambda v: one_of("health_status", v, HEALTH),
                  "status": lambda v: one_of("status", v, AGENT_STATUSES)}  # fmt: skip
        unknown = sorted(set(changes) - set(checks))
        if unknown:
            raise RegistryError(
                f"cannot update {', '.join(unknown)}; updatable: {', '.join(checks)}"
            )
        values = {k: checks[k](v) for k, v in changes.items() if v is not None}
        with write(self.engine, self.events) as tx:
            done = tx.conn.execute(update(agents).where(agents.c.id == agent_id)
                                   .values(**values, updated_at=self.clock.now_iso())).rowcount  # fmt: skip
            if not done:
                raise RegistryNotFound(f"no agent {agent_id!r}")
            tx.emit("guardian.agent.updated", {"id": agent_id, **values})
        return self.agent(agent_id)

    def agent(self, agent_id: str) -> Agent:
        with read(self.engine) as conn:
            return read_agent(conn, agent_id)

    def agents(self, limit: int = 1000) -> list[Agent]:
        with read(self.engine) as conn:
            ids = (
                conn.execute(select(agents.c.id).order_by(agents.c.id).limit(limit)).scalars().all()
            )
            return [read_agent(conn, i) for i in ids]

    # -- tasks -----------------------------------------------------------------------------------

    def register_task(self, task_id: str | None = None, *, name: str = "", priority: str = "MEDIUM",
                      timeout_seconds: int | None = None, agent_id: str | None = None) -> Task:  # fmt: skip
        """Queue a task (optionally for one agent only); RegistryConflict if the id exists."""
        task_id = check_id("task id", task_id) if task_id is not None else new_id()
        now = self.clock.now_iso()
        prio = priority_of(priority)
        values = {"id": task_id, "name": str(name)[:2000], "priority": prio, "status": QUEUED,
                  "agent_id": check_id("agent id", agent_id) if agent_id is not None else None,
                  "timeout_seconds": positive("timeout_seconds", timeout_seconds) if timeout_seconds is not None else None}  # fmt: skip
        try:
            with write(self.engine, self.events) as tx:
                tx.conn.execute(insert(tasks).values(**values, priority_rank=RANK[prio], created_at=now,
                                                     queued_at=now, updated_at=now))  # fmt: skip
                tx.emit("guardian.task.queued", values)
        except IntegrityError:
            raise RegistryConflict(f"task {task_id!r} already exists") from None
        return self.task(task_id)

    def update_task(self, task_id: str, *, priority: str | None = None, name: str | None = None,
                    timeout_seconds: int | None = None, agent_id: str | None = None) -> Task:  # fmt: skip
        """Routine changes (an emergency priority change is `override_task_priority`)."""
        values: dict[str, Any] = {"updated_at": self.clock.now_iso()}
        if priority is not None:
            values.update(priority=priority_of(priority), priority_rank=RANK[priority_of(priority)])
        if name is not None:
            values["name"] = str(name)[:2000]
        if timeout_seconds is not None:
            values["timeout_seconds"] = positive("timeout_seconds", timeout_seconds)
        where = [tasks.c.id == task_id]
        if agent_id is not None:
            values["agent_id"] = check_id("agent id", agent_id)
            where.append(tasks.c.status == QUEUED)
        with write(self.engine, self.events) as tx:
            if not tx.conn.execute(update(tasks).where(*where).values(**values)).rowcount:
                current = read_task(tx.conn, task_id)  # RegistryNotFound if there is none
                raise RegistryConflict(
                    f"task {task_id} is {current.status}: only a queued task is reassigned"
                )
            tx.emit("guardian.task.updated", {"id": task_id, **{k: v for k, v in values.items()
                                                                 if k != "priority_rank"}})  # fmt: skip
        return self.task(task_id)

    def task(self, task_id: str) -> Task:
        with read(self.engine) as conn:
            return read_task(conn, task_id)

    def tasks(self, status: str | None = None, *, agent_id: str | None = None,
              limit: int = 100) -> list[Task]:  # fmt: skip
        query = select(tasks.c.id)
        if status is not None:
            query = query.where(tasks.c.status == one_of("status", status, TASK_STATUSES))
        if agent_id is not None:
            query = query.where(tasks.c.agent_id == agent_id)
        query = query.order_by(tasks.c.priority_rank, tasks.c.queued_at, tasks.c.id).limit(limit)
        with read(self.engine) as conn:
            return [read_task(conn, i) for i in conn.execute(query).scalars().all()]

    # -- the queue -------------------------------------------------------------------------------

    def claim(self, agent_id: str, task_id: str | None = None) -> Task | None:
        """Take the next queued task this agent may run (or exactly `task_id`); None if there is none
        or the agent has no free capacity, is not active, or has failed."""
        agent = self.agent(agent_id)
        if agent.status != "active" or agent.health_status == "failed":
            return None
        other = tasks.alias("busy")
        busy = (select(func.count()).select_from(other)
                .where(and_(other.c.agent_id == agent_id, other.c.status == RUNNING)).scalar_subquery())  # fmt: skip
        for _ in range(100):  # each lost race moves on to the next task
            pick = select(tasks.c.id).where(tasks.c.status == QUEUED,
                                            or_(tasks.c.agent_id.is_(None), tasks.c.agent_id == agent_id))  # fmt: skip
            if task_id is not None:
                pick = pick.where(tasks.c.id == task_id)
            chosen = (pick.order_by(tasks.c.priority_rank, tasks.c.queued_at, tasks.c.id).limit(1)
                      .with_for_update(skip_locked=True).scalar_subquery())  # fmt: skip
            now = self.clock.now_iso()
            with write(self.engine, self.events) as tx:
                claimed = tx.conn.execute(
                    update(tasks).where(tasks.c.id == chosen, tasks.c.status == QUEUED, busy < agent.capacity)
                    .values(status=RUNNING, agent_id=agent_id, started_at=now, updated_at=now)
                    .returning(tasks.c.id)).scalar()  # fmt: skip
                if claimed is not None:
                    task = read_task(tx.conn, claimed)
                    tx.emit("guardian.task.claimed", task.to_dict())
                    return task
            if not self._claimable(agent_id, task_id, agent.capacity):
                return None
        return None

    def _claimable(self, agent_id: str, task_id: str | None, capacity: int) -> bool:
        with read(self.engine) as conn:
            if running_count(conn, agent_id) >= capacity:
                return False
            query = select(tasks.c.id).where(tasks.c.status == QUEUED,
                                             or_(tasks.c.agent_id.is_(None), tasks.c.agent_id == agent_id))  # fmt: skip
            if task_id is not None:
                query = query.where(tasks.c.id == task_id)
            return conn.execute(query.limit(1)).first() is not None

    def start_task(
        self, agent_id: str, *, name: str = "", timeout_seconds: int | None = None
    ) -> Task:
        """The runner's call: claim the queued task named `name` for this agent if there is one,
        else register a new one and claim it. Capacity is not checked: the process runs anyway."""
        queued = None
        if name:
            mine = or_(tasks.c.agent_id.is_(None), tasks.c.agent_id == agent_id)
            query = select(tasks.c.id).where(tasks.c.status == QUEUED, mine,
                                             or_(tasks.c.id == name, tasks.c.name == name))  # fmt: skip
            with read(self.engine) as conn:
                queued = conn.execute(query.order_by(tasks.c.priority_rank).limit(1)).scalar()
        task_id = (
            queued
            or self.register_task(name=name, agent_id=agent_id, timeout_seconds=timeout_seconds).id
        )
        now = self.clock.now_iso()
        with write(self.engine, self.events) as tx:
            values: dict[str, Any] = {
                "status": RUNNING,
                "agent_id": agent_id,
                "started_at": now,
                "updated_at": now,
            }
            if timeout_seconds is not None:
                values["timeout_seconds"] = func.coalesce(tasks.c.timeout_seconds, timeout_seconds)
            if not tx.conn.execute(update(tasks).where(tasks.c.id == task_id, tasks.c.status == QUEUED)
                                   .values(**values)).rowcount:  # fmt: skip
                raise RegistryConflict(f"task {task_id} was claimed by another runner")
            task = read_task(tx.conn, task_id)
            tx.emit("guardian.task.claimed", task.to_dict())
        return task

    def attach_run(self, task_id: str, run_id: str) -> None:
        with write(self.engine, self.events) as tx:
            tx.conn.execute(update(tasks).where(tasks.c.id == task_id).values(run_id=run_id))

    def finish_task(self, task_id: str, ok: bool) -> bool:
        """Mark a running task done or failed; False if it is no longer running (e.g. cancelled)."""
        status = DONE if ok else FAILED
        now = self.clock.now_iso()
        with write(self.engine, self.events) as tx:
            if not tx.conn.execute(update(tasks).where(tasks.c.id == task_id, tasks.c.status == RUNNING)
                                   .values(status=status, ended_at=now, updated_at=now)).rowcount:  # fmt: skip
                return False
            tx.emit("guardian.task.finished", {"id": task_id, "status": status})
        return True
