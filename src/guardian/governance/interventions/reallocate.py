"""Capacity reallocation between two agents, and its revert (moved back as far as it still fits).

Only free capacity moves: the source keeps at least as much as it has tasks running. Both updates
are compare-and-sets on the capacity just read, so a concurrent change makes this one fail (409)
rather than move capacity that is no longer there.
"""

from __future__ import annotations

from sqlalchemy import Connection, func, select, update

from guardian.governance.interventions.actions import Change, GuardianAction, Restoration
from guardian.governance.interventions.errors import InterventionConflict, InterventionInvalid
from guardian.governance.registry import RUNNING, Agent, read_agent
from guardian.storage.intervention_tables import agents, tasks


def check_capacity(capacity: object) -> int:
    if not isinstance(capacity, int) or isinstance(capacity, bool) or capacity <= 0:
        raise InterventionInvalid(f"capacity must be a positive integer, got {capacity!r}")
    return capacity


def _move(conn: Connection, source: Agent, target: Agent, amount: int, now: str) -> bool:
    running = (select(func.count()).select_from(tasks)
               .where(tasks.c.agent_id == source.id, tasks.c.status == RUNNING).scalar_subquery())  # fmt: skip
    taken = conn.execute(update(agents).where(agents.c.id == source.id, agents.c.capacity == source.capacity,
                                              agents.c.capacity - amount >= running)
                         .values(capacity=agents.c.capacity - amount, updated_at=now)).rowcount  # fmt: skip
    given = conn.execute(update(agents).where(agents.c.id == target.id, agents.c.capacity == target.capacity)
                         .values(capacity=agents.c.capacity + amount, updated_at=now)).rowcount  # fmt: skip
    return bool(taken and given)


def reallocate(conn: Connection, from_agent_id: str, to_agent_id: str, capacity: object,
               now: str) -> Change:  # fmt: skip
    amount = check_capacity(capacity)
    if from_agent_id == to_agent_id:
        raise InterventionInvalid("from_agent_id and to_agent_id must be two different agents")
    source, target = read_agent(conn, from_agent_id), read_agent(conn, to_agent_id)
    if source.available < amount:
        raise InterventionInvalid(f"agent {from_agent_id!r} has insufficient capacity: {source.available} "
                                  f"free ({source.capacity} total, {source.running} running), "
                                  f"{amount} requested")  # fmt: skip
    if not _move(conn, source, target, amount, now):
        raise InterventionConflict(
            "an agent's capacity changed while it was being reallocated; try again"
        )
    before = {"from_agent": source.to_dict(), "to_agent": target.to_dict()}
    after = {"from_agent": read_agent(conn, from_agent_id).to_dict(),
             "to_agent": read_agent(conn, to_agent_id).to_dict()}  # fmt: skip
    params = {"from_agent_id": from_agent_id, "to_agent_id": to_agent_id, "capacity": amount}
    return Change(
        before, after, params, f"moved {amount} capacity from {from_agent_id} to {to_agent_id}"
    )


def revert_reallocate(conn: Connection, action: GuardianAction, now: str) -> Restoration:
    out = Restoration()
    params = action.audit_log.get("parameters", {})
    amount = int(params["capacity"])
    source, target = (
        read_agent(conn, params["from_agent_id"]),
        read_agent(conn, params["to_agent_id"]),
    )
    back = min(amount, target.available)
    if back and not _move(conn, target, source, back, now):
        out.not_restored["capacity"] = "an agent's capacity changed while it was being moved back"
        return out
    if back:
        out.restored["capacity"] = {
            "moved": back,
            "from_agent_id": target.id,
            "to_agent_id": source.id,
        }
    if back < amount:
        out.not_restored["capacity"] = (f"{amount - back} of {amount} not moved back: {target.id} has "
                                        f"{target.available} free ({target.capacity} total, "
                                        f"{target.running} running)")  # fmt: skip
    return out
