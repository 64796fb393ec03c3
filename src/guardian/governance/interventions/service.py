"""`GuardianService`: seed 003's emergency interventions, under the checks the seed promises.

Each operation: check the caller's authority (GUARDIAN or more, from the credential), validate, then
one transaction changes the state, writes the `guardian_actions` row with the full before and after
state, and stages its events in the outbox; after the commit, work outside the database (stopping a
process) runs and the `intervention` ledger entry is appended. Reverts work the same way and record
exactly what they restored and what they could not, and why.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from guardian.core.clock import Clock
from guardian.core.ids import new_id
from guardian.core.principal import Principal
from guardian.events.locking import ensure_memory_tables
from guardian.events.txn import read, write
from guardian.governance.interventions import actions as records
from guardian.governance.interventions.actions import (
    ACTION_TYPES,
    CANCEL_TASK,
    OVERRIDE_PRIORITY,
    REALLOCATE_CAPACITY,
    Change,
    GuardianAction,
    Restoration,
)
from guardian.governance.interventions.authority import GUARDIAN, INSUFFICIENT, Acting, resolve
from guardian.governance.interventions.cancel import cancel, revert_cancel
from guardian.governance.interventions.errors import (
    InterventionConflict,
    InterventionForbidden,
    InterventionInvalid,
    InterventionNotFound,
)
from guardian.governance.interventions.override import override, revert_override
from guardian.governance.interventions.reallocate import reallocate, revert_reallocate
from guardian.governance.registry import Registry, RegistryNotFound
from guardian.ledger.store import Ledger

if TYPE_CHECKING:
    from guardian.events.hub import EventHub
    from guardian.facade import Guardian

MAX_REASON = 4000
_REVERTS: dict[str, Callable[[Connection, GuardianAction, str], Restoration]] = {
    CANCEL_TASK: revert_cancel, REALLOCATE_CAPACITY: revert_reallocate, OVERRIDE_PRIORITY: revert_override,
}  # fmt: skip


def _reason(reason: object) -> str:
    if not isinstance(reason, str) or not reason.strip():
        raise InterventionInvalid("a reason is required: say why this intervention is needed")
    if len(reason) > MAX_REASON:
        raise InterventionInvalid(f"reason is {len(reason)} characters; at most {MAX_REASON}")
    return reason.strip()


class GuardianService:
    def __init__(self, engine: Engine, ledger: Ledger, clock: Clock, *,
                 registry: Registry | None = None, events: EventHub | None = None,
                 grace: float = 2.0) -> None:  # fmt: skip
        ensure_memory_tables(engine)
        self.engine = engine
        self.ledger = ledger
        self.clock = clock
        self.events = events
        self.registry = registry or Registry(engine, clock, events)
        #: Seconds between SIGTERM and SIGKILL when a cancel stops a runner-launched process.
        self.grace = grace

    @classmethod
    def for_guardian(cls, guardian: Guardian) -> GuardianService:
        return cls(
            guardian.approvals.store.engine, guardian.ledger, guardian.clock, events=guardian.events
        )

    # -- seed 003's operations -------------------------------------------------------------------

    def emergency_cancel_task(self, task_id: str, reason: str, initiated_by: str | None = None,
                              authority: int | None = None, *,
                              principal: Principal | None = None) -> GuardianAction:  # fmt: skip
        acting = resolve(self.ledger, CANCEL_TASK, task_id, principal, initiated_by, authority)
        return self.execute(CANCEL_TASK, {"task_id": task_id}, reason, acting)

    def reallocate_agent_capacity(self, from_agent_id: str, to_agent_id: str, capacity: int,
                                  reason: str, initiated_by: str | None = None,
                                  authority: int | None = None, *,
                                  principal: Principal | None = None) -> GuardianAction:  # fmt: skip
        acting = resolve(
            self.ledger, REALLOCATE_CAPACITY, from_agent_id, principal, initiated_by, authority
        )
        params = {"from_agent_id": from_agent_id, "to_agent_id": to_agent_id, "capacity": capacity}
        return self.execute(REALLOCATE_CAPACITY, params, reason, acting)

    def override_task_priority(self, task_id: str, new_priority: str, reason: str,
                               initiated_by: str | None = None, authority: int | None = None, *,
                               principal: Principal | None = None) -> GuardianAction:  # fmt: skip
        acting = resolve(
            self.ledger, OVERRIDE_PRIORITY, task_id, principal, initiated_by, authority
        )
        return self.execute(
            OVERRIDE_PRIORITY, {"task_id": task_id, "new_priority": new_priority}, reason, acting
        )

    def revert_intervention(self, action_id: str, reason: str, initiated_by: str | None = None,
                            authority: int | None = None, *,
                            principal: Principal | None = None) -> GuardianAction:  # fmt: skip
        """Restore what still applies; the action comes back with `revert_log` saying what did."""
        acting = resolve(self.ledger, "revert", action_id, principal, initiated_by, authority)
        return self.revert(action_id, reason, acting)

    def get_actions(self, limit: int = 100, action_type: str | None = None,
                    target_entity: str | None = None) -> list[GuardianAction]:  # fmt: skip
        if not isinstance(limit, int) or not 1 <= limit <= 1000:
            raise InterventionInvalid(f"limit must be 1..1000, got {limit!r}")
        if action_type is not None and action_type not in ACTION_TYPES:
            raise InterventionInvalid(
                f"unknown action_type {action_type!r}; one of {', '.join(ACTION_TYPES)}"
            )
        with read(self.engine) as conn:
            return records.list_actions(conn, limit, action_type, target_entity)

    def get_action(self, action_id: str) -> GuardianAction:
        with read(self.engine) as conn:
            return records.read_action(conn, action_id)

    # -- the common path -------------------------------------------------------------------------

    def execute(
        self, action_type: str, params: dict[str, Any], reason: str, acting: Acting
    ) -> GuardianAction:
        """Perform an intervention for an authorised caller (the policy engine enters here)."""
        if acting.authority < GUARDIAN:  # resolve() refuses first; this guards other callers
            raise InterventionForbidden(
                "interventions require GUARDIAN authority (level 4)", INSUFFICIENT
            )
        reason = _reason(reason)
        now = self.clock.now_iso()
        target = str(params.get("task_id") or params.get("from_agent_id") or "")
        with write(self.engine, self.events) as tx:
            change = self._change(tx.conn, action_type, params, now, reason)
            audit = {"before": change.before, "after": change.after, "parameters": change.parameters,
                     "result": change.result, "principal": acting.principal.to_dict()}  # fmt: skip
            action = GuardianAction(new_id(), action_type, target, acting.authority, reason,
                                    acting.initiated_by, acting.approved_by, now, None, audit, None, now)  # fmt: skip
            records.insert_action(tx.conn, action)
            tx.emit("guardian.intervention.started", {
                "action_id": action.id, "action_type": action_type, "task_id": params.get("task_id"),
                "target_entity": target, "reason": reason, "authority": acting.authority,
                "initiated_by": acting.initiated_by})  # fmt: skip
            tx.emit("guardian.intervention.completed", {"action_id": action.id, "action_type": action_type,
                                                        "target_entity": target, "result": change.result})  # fmt: skip
            if action_type == REALLOCATE_CAPACITY:
                tx.emit(
                    "guardian.resource.reallocated", {**change.parameters, "action_id": action.id}
                )
        post = change.after_commit() if change.after_commit is not None else {}
        self.ledger.append("intervention", {"event": "executed", "action": action.to_dict(),
                                            "after_commit": post})  # fmt: skip
        return action

    def _change(self, conn: Connection, action_type: str, params: dict[str, Any], now: str,
                reason: str) -> Change:  # fmt: skip
        try:
            if action_type == CANCEL_TASK:
                return cancel(conn, params["task_id"], now, reason, self.grace)
            if action_type == REALLOCATE_CAPACITY:
                return reallocate(
                    conn, params["from_agent_id"], params["to_agent_id"], params["capacity"], now
                )
            if action_type == OVERRIDE_PRIORITY:
                return override(conn, params["task_id"], params["new_priority"], now)
        except RegistryNotFound as exc:
            raise InterventionNotFound(str(exc)) from None
        raise InterventionInvalid(f"unknown action type {action_type!r}")

    def revert(self, action_id: str, reason: str, acting: Acting) -> GuardianAction:
        if acting.authority < GUARDIAN:
            raise InterventionForbidden(
                "reverting requires GUARDIAN authority (level 4)", INSUFFICIENT
            )
        reason = _reason(reason)
        now = self.clock.now_iso()
        with write(self.engine, self.events) as tx:
            action = records.read_action(tx.conn, action_id)
            if action.reverted_at is not None:
                by = (action.revert_log or {}).get("reverted_by")
                raise InterventionConflict(
                    f"action {action_id} was already reverted at {action.reverted_at} by {by}"
                )
            try:
                done = _REVERTS[action.action_type](tx.conn, action, now)
            except RegistryNotFound as exc:
                done = Restoration(not_restored={"target": f"{exc}: nothing to restore"})
            record = {"reason": reason, "reverted_by": acting.initiated_by, "authority": acting.authority,
                      "approved_by": acting.approved_by, "at": now, "restored": done.restored,
                      "not_restored": done.not_restored}  # fmt: skip
            if not records.mark_reverted(tx.conn, action_id, now, record):
                raise InterventionConflict(f"action {action_id} was reverted meanwhile")
            tx.emit("guardian.intervention.reverted", {
                "action_id": action_id, "action_type": action.action_type, "target_entity": action.target_entity,
                "reason": reason, "reverted_by": acting.initiated_by, "restored": done.restored,
                "not_restored": done.not_restored})  # fmt: skip
            moved = done.restored.get("capacity")
            if action.action_type == REALLOCATE_CAPACITY and moved:
                tx.emit("guardian.resource.reallocated", {"from_agent_id": moved["from_agent_id"],
                        "to_agent_id": moved["to_agent_id"], "capacity": moved["moved"], "revert_of": action_id})  # fmt: skip
        self.ledger.append("intervention", {"event": "reverted", "action_id": action_id,
                                            "action_type": action.action_type, "revert": record})  # fmt: skip
        return self.get_action(action_id)
