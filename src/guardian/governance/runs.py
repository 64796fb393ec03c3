"""Runs: the agent processes the runner launched, with their heartbeats, so a watchdog in another
process can find a stalled or overdue one and stop it without the agent's cooperation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update

from guardian.core.clock import Clock
from guardian.core.ids import new_id
from guardian.ledger.store import Ledger
from guardian.storage.control_tables import heartbeats, runs
from guardian.storage.engine import memory_lock

RUNNING = "running"


@dataclass(frozen=True, slots=True)
class Run:
    """A row of the runs table; fields in the table's column order (rows are unpacked positionally)."""

    id: str
    agent_id: str
    task_id: str | None
    pid: int | None
    status: str
    started_at: str
    heartbeat_at: str
    last_decision_at: str | None
    ended_at: str | None
    exit_code: int | None
    timeout_seconds: int | None
    stop_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


class RunStore:
    def __init__(self, engine: Engine, ledger: Ledger, clock: Clock) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        self._lock = memory_lock(engine)

    def start(
        self, agent_id: str, task_id: str | None, pid: int, timeout_seconds: int | None
    ) -> Run:
        now = self._clock.now_iso()
        run_id = new_id()
        with self._lock, self._engine.begin() as conn:
            conn.execute(insert(runs).values(
                id=run_id, agent_id=agent_id, task_id=task_id, pid=pid, status=RUNNING, started_at=now,
                heartbeat_at=now, timeout_seconds=timeout_seconds,
            ))  # fmt: skip
        self._ledger.append("run", {"event": "started", "run_id": run_id, "agent_id": agent_id,
                                    "task_id": task_id, "pid": pid, "timeout_seconds": timeout_seconds})  # fmt: skip
        return self.get(run_id)

    def heartbeat(self, run_id: str) -> None:
        with self._lock, self._engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == RUNNING)
                         .values(heartbeat_at=self._clock.now_iso()))  # fmt: skip

    def end(self, run_id: str, exit_code: int, spend: dict[str, Any] | None = None) -> Run:
        """Record the exit; a run the watchdog stopped keeps its status and reason."""
        now = self._clock.now_iso()
        with self._lock, self._engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == RUNNING)
                         .values(status="exited"))  # fmt: skip
            conn.execute(
                update(runs).where(runs.c.id == run_id).values(ended_at=now, exit_code=exit_code)
            )
        run = self.get(run_id)
        self._ledger.append("run", {"event": "ended", "run_id": run_id, "agent_id": run.agent_id,
                                    "exit_code": exit_code, "status": run.status,
                                    "stop_reason": run.stop_reason, "spend": spend or {}})  # fmt: skip
        return run

    def mark_stopped(self, run_id: str, reason: str) -> bool:
        with self._lock, self._engine.begin() as conn:
            return conn.execute(update(runs).where(runs.c.id == run_id, runs.c.status == RUNNING)
                                .values(status="stopped", stop_reason=reason)).rowcount == 1  # fmt: skip

    def get(self, run_id: str) -> Run:
        with self._lock, self._engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
        if row is None:
            raise LookupError(f"no run {run_id!r}")
        return Run(*row)

    def running(self) -> list[Run]:
        with self._lock, self._engine.connect() as conn:
            return [Run(*r) for r in conn.execute(select(runs).where(runs.c.status == RUNNING))]

    def running_brief(self) -> list[tuple[str, str, str, str, int | None]]:
        """(id, agent_id, started_at, heartbeat_at, timeout_seconds) of every running run: the
        watchdog's per-pass read over thousands of runs, without building a Run for each."""
        query = select(runs.c.id, runs.c.agent_id, runs.c.started_at, runs.c.heartbeat_at,
                       runs.c.timeout_seconds).where(runs.c.status == RUNNING)  # fmt: skip
        with self._lock, self._engine.connect() as conn:
            return [tuple(r) for r in conn.execute(query).all()]

    def recent(self, limit: int = 100) -> list[Run]:
        with self._lock, self._engine.connect() as conn:
            rows = conn.execute(select(runs).order_by(runs.c.started_at.desc()).limit(limit))
            return [Run(*r) for r in rows]


class Heartbeats:
    """Liveness of long-running services (the watchdog): one row each, beaten every pass."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._lock = memory_lock(engine)

    def beat(self, name: str, pid: int, detail: str = "") -> None:
        now = self._clock.now_iso()
        with self._lock, self._engine.begin() as conn:
            if not conn.execute(update(heartbeats).where(heartbeats.c.name == name)
                                .values(pid=pid, at=now, detail=detail)).rowcount:  # fmt: skip
                conn.execute(insert(heartbeats).values(name=name, pid=pid, at=now, detail=detail))

    def last(self, name: str) -> tuple[int, str, str] | None:
        with self._lock, self._engine.connect() as conn:
            row = conn.execute(select(heartbeats).where(heartbeats.c.name == name)).first()
        return (row.pid, row.at, row.detail) if row is not None else None
