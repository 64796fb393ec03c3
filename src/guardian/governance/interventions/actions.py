"""Guardian actions: seed 003's audit records, one row per intervention in `guardian_actions`.

A row is written once, in the transaction that changes the state, with the full before and after
state in `audit_log`. The only later change is the revert: `reverted_at` and `revert_log`, set by a
compare-and-set so an action is reverted at most once. The ledger entry (kind `intervention`) is the
tamper-evident copy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Connection, Row, insert, select, update

from guardian.governance.interventions.errors import InterventionNotFound
from guardian.storage.intervention_tables import guardian_actions

CANCEL_TASK = "cancel_task"
REALLOCATE_CAPACITY = "reallocate_capacity"
OVERRIDE_PRIORITY = "override_priority"
ACTION_TYPES = (CANCEL_TASK, REALLOCATE_CAPACITY, OVERRIDE_PRIORITY)

_t = guardian_actions.c


@dataclass(frozen=True, slots=True)
class GuardianAction:
    id: str
    action_type: str
    target_entity: str
    authority_level: int
    reason: str
    initiated_by: str
    approved_by: str | None
    executed_at: str
    reverted_at: str | None
    audit_log: dict[str, Any]
    revert_log: dict[str, Any] | None
    created_at: str

    @property
    def before(self) -> dict[str, Any]:
        return dict(self.audit_log.get("before", {}))

    @property
    def after(self) -> dict[str, Any]:
        return dict(self.audit_log.get("after", {}))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Change:
    """What one operation did inside the transaction, and what is left for after the commit."""

    before: dict[str, Any]
    after: dict[str, Any]
    parameters: dict[str, Any]
    result: str
    #: Work outside the database (stopping a process), run once the change is committed.
    after_commit: Callable[[], dict[str, Any]] | None = None


@dataclass
class Restoration:
    """What a revert put back, and what it could not and why."""

    restored: dict[str, Any] = field(default_factory=dict)
    not_restored: dict[str, str] = field(default_factory=dict)


def _from_row(row: Row[Any]) -> GuardianAction:
    return GuardianAction(**dict(row._mapping))


def insert_action(conn: Connection, action: GuardianAction) -> None:
    conn.execute(insert(guardian_actions).values(**action.to_dict()))


def read_action(conn: Connection, action_id: str) -> GuardianAction:
    row = conn.execute(select(guardian_actions).where(_t.id == action_id)).first()
    if row is None:
        raise InterventionNotFound(f"no guardian action {action_id!r}")
    return _from_row(row)


def list_actions(conn: Connection, limit: int = 100, action_type: str | None = None,
                 target_entity: str | None = None) -> list[GuardianAction]:  # fmt: skip
    """Newest first, optionally only one type and/or one target."""
    query = select(guardian_actions).order_by(_t.created_at.desc(), _t.id.desc()).limit(limit)
    if action_type is not None:
        query = query.where(_t.action_type == action_type)
    if target_entity is not None:
        query = query.where(_t.target_entity == target_entity)
    return [_from_row(r) for r in conn.execute(query)]


def mark_reverted(conn: Connection, action_id: str, at: str, record: dict[str, Any]) -> bool:
    """Set the revert columns once; False if the action was reverted already."""
    result = conn.execute(update(guardian_actions).where(_t.id == action_id, _t.reverted_at.is_(None))
                          .values(reverted_at=at, revert_log=record))  # fmt: skip
    return result.rowcount == 1
