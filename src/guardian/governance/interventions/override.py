"""Priority override: move a queued or running task to another priority, and its revert.

The revert restores the old priority only if nobody changed it since (the task still has the
priority the override set); otherwise it says so and leaves it.
"""

from __future__ import annotations

from sqlalchemy import Connection, update

from guardian.governance.interventions.actions import Change, GuardianAction, Restoration
from guardian.governance.interventions.errors import InterventionConflict, InterventionInvalid
from guardian.governance.registry import PRIORITIES, QUEUED, RANK, RUNNING, read_task
from guardian.storage.intervention_tables import tasks


def check_priority(value: object) -> str:
    name = value.upper() if isinstance(value, str) else value
    if name not in RANK:
        raise InterventionInvalid(f"Invalid priority {value!r}; use one of {', '.join(PRIORITIES)}")
    return str(name)


def override(conn: Connection, task_id: str, new_priority: object, now: str) -> Change:
    priority = check_priority(new_priority)
    task = read_task(conn, task_id)
    if task.status not in (QUEUED, RUNNING):
        raise InterventionConflict(f"task {task_id} is {task.status}: only a queued or running "
                                   "task's priority can be overridden")  # fmt: skip
    moved = conn.execute(update(tasks).where(tasks.c.id == task_id, tasks.c.priority == task.priority,
                                             tasks.c.status == task.status)
                         .values(priority=priority, priority_rank=RANK[priority], updated_at=now)).rowcount  # fmt: skip
    if not moved:
        raise InterventionConflict(
            f"task {task_id} changed while its priority was being overridden"
        )
    after = read_task(conn, task_id)
    return Change({"task": task.to_dict()}, {"task": after.to_dict()},
                  {"task_id": task_id, "new_priority": priority},
                  f"priority {task.priority} -> {priority}")  # fmt: skip


def revert_override(conn: Connection, action: GuardianAction, now: str) -> Restoration:
    out = Restoration()
    old = (action.before.get("task") or {}).get("priority")
    new = (action.after.get("task") or {}).get("priority")
    task = read_task(conn, action.target_entity)
    if old not in RANK or task.priority != new:
        out.not_restored["priority"] = (f"priority is now {task.priority}, changed after the override "
                                        f"set {new}: left as it is")  # fmt: skip
        return out
    moved = conn.execute(update(tasks).where(tasks.c.id == task.id, tasks.c.priority == new)
                         .values(priority=old, priority_rank=RANK[old], updated_at=now)).rowcount  # fmt: skip
    if moved:
        out.restored["priority"] = {"from": new, "to": old}
    else:
        out.not_restored["priority"] = "priority changed while it was being restored: left as it is"
    return out
