"""Emergency cancellation of a task, and its revert (the task queued again, old priority).

The task moves to `cancelled` by compare-and-set on its whole row (status and updated_at), in the
same transaction as the run row's `stopped`, so the runner, seeing its process end, cannot mark the
task failed over it. After the commit the runner-launched process group gets SIGTERM (SIGKILL after
the grace period). A revert re-queues the task with its old priority and agent; a stopped process is
not restarted: the next claim (or `guardian run AGENT --task NAME`) runs it again.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select, update

from guardian.governance.interventions.actions import Change, GuardianAction, Restoration
from guardian.governance.interventions.errors import InterventionConflict
from guardian.governance.registry import CANCELLED, QUEUED, RANK, RUNNING, read_task
from guardian.runtime.processes import stop_group
from guardian.storage.control_tables import runs
from guardian.storage.intervention_tables import tasks


def _run_of(conn: Connection, run_id: str | None) -> dict[str, Any] | None:
    if run_id is None:
        return None
    row = conn.execute(
        select(runs.c.id, runs.c.pid, runs.c.status).where(runs.c.id == run_id)
    ).first()
    return {"run_id": row.id, "pid": row.pid, "status": row.status} if row is not None else None


def cancel(conn: Connection, task_id: str, now: str, reason: str, grace: float) -> Change:
    task = read_task(conn, task_id)
    if task.status not in (QUEUED, RUNNING):
        raise InterventionConflict(f"task {task_id} is {task.status}: only a queued or running task "
                                   "can be cancelled")  # fmt: skip
    run_before = _run_of(conn, task.run_id) if task.status == RUNNING else None
    moved = conn.execute(update(tasks).where(tasks.c.id == task_id, tasks.c.status == task.status,
                                             tasks.c.updated_at == task.updated_at)
                         .values(status=CANCELLED, ended_at=now, updated_at=now)).rowcount  # fmt: skip
    if not moved:
        raise InterventionConflict(
            f"task {task_id} changed while it was being cancelled; try again"
        )
    stop_pid = None
    if run_before is not None and run_before["status"] == RUNNING and run_before["pid"]:
        if conn.execute(update(runs).where(runs.c.id == run_before["run_id"], runs.c.status == RUNNING)
                        .values(status="stopped", stop_reason=f"guardian cancel: {reason}")).rowcount:  # fmt: skip
            stop_pid = int(run_before["pid"])
    after = read_task(conn, task_id)
    before_state: dict[str, Any] = {"task": task.to_dict(), "run": run_before}
    after_state: dict[str, Any] = {"task": after.to_dict(), "run": _run_of(conn, task.run_id)}
    result = "task cancelled"
    if stop_pid is not None:
        after_state["process"] = {"pid": stop_pid, "signal": f"SIGTERM, SIGKILL after {grace:g}s"}
        result += f"; process group of pid {stop_pid} stopped"

    def stop() -> dict[str, Any]:
        return {"pid": stop_pid, "outcome": stop_group(stop_pid, grace)} if stop_pid else {}

    return Change(before_state, after_state, {"task_id": task_id}, result, stop)


def revert_cancel(conn: Connection, action: GuardianAction, now: str) -> Restoration:
    out = Restoration()
    before = action.before.get("task") or {}
    task = read_task(conn, action.target_entity)
    if task.status != CANCELLED:
        out.not_restored["task"] = f"task is now {task.status}, not cancelled: left as it is"
        return out
    priority = before.get("priority", task.priority)
    moved = conn.execute(update(tasks).where(tasks.c.id == task.id, tasks.c.status == CANCELLED,
                                             tasks.c.updated_at == task.updated_at)
                         .values(status=QUEUED, priority=priority, priority_rank=RANK[priority],
                                 agent_id=before.get("agent_id"), run_id=None, started_at=None,
                                 ended_at=None, queued_at=now, updated_at=now)).rowcount  # fmt: skip
    if not moved:
        out.not_restored["task"] = "task changed while it was being re-queued: left as it is"
        return out
    out.restored["task"] = {
        "status": QUEUED,
        "priority": priority,
        "agent_id": before.get("agent_id"),
    }
    if (action.after.get("process") or {}).get("pid"):
        out.not_restored["process"] = ("the stopped process is not restarted; the task is queued "
                                       "for its agent's next claim or run")  # fmt: skip
    return out
