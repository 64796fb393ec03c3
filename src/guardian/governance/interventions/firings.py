"""Firings: each action an intervention policy took or proposed, with its state.

A firing is claimed by inserting its `dedupe_key` (policy, trigger, action, subject, and the
subject's start), unique in the store: a condition that stays true fires once, even with several
watchdogs on one database. Status moves by compare-and-set:
`proposed -> executed | refused | rejected | expired | failed`, `executed -> rolled_back`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from guardian.events.txn import read, write
from guardian.storage.intervention_tables import policy_firings

PROPOSED, EXECUTED, FAILED, SENT = "proposed", "executed", "failed", "sent"
REFUSED, ROLLED_BACK, CLOSED = "refused", "rolled_back", "closed"
_t = policy_firings.c


@dataclass(frozen=True, slots=True)
class Firing:
    id: str
    dedupe_key: str
    policy: str
    trigger_type: str
    action_type: str
    target: str
    params: dict[str, Any]
    status: str
    proposal_id: str | None
    action_id: str | None
    rollback_at: str | None
    detail: str
    created_at: str
    updated_at: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Firings:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def claim(self, firing: Firing) -> bool:
        """Record a new firing; False if this one (same dedupe key) fired before."""
        try:
            with write(self.engine, None) as tx:
                tx.conn.execute(insert(policy_firings).values(**firing.to_dict()))
        except IntegrityError:
            return False
        return True

    def move(self, firing_id: str, expected: str, new: str, now: str, **values: Any) -> bool:
        with write(self.engine, None) as tx:
            return bool(tx.conn.execute(update(policy_firings).where(_t.id == firing_id, _t.status == expected)
                                        .values(status=new, updated_at=now, **values)).rowcount)  # fmt: skip

    def with_status(self, status: str, limit: int = 1000) -> list[Firing]:
        return self._select(
            select(policy_firings).where(_t.status == status).order_by(_t.created_at).limit(limit)
        )

    def due_rollbacks(self, now: str, limit: int = 1000) -> list[Firing]:
        query = select(policy_firings).where(_t.status == EXECUTED, _t.rollback_at.is_not(None),
                                             _t.rollback_at <= now).order_by(_t.rollback_at).limit(limit)  # fmt: skip
        return self._select(query)

    def recent(self, limit: int = 100) -> list[Firing]:
        return self._select(select(policy_firings).order_by(_t.created_at.desc()).limit(limit))

    def _select(self, query: Any) -> list[Firing]:
        with read(self.engine) as conn:
            return [Firing(**dict(r._mapping)) for r in conn.execute(query)]
