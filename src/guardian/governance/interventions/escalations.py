"""Escalations: alerts the watchdog hands to the guardian path (`escalate_to_guardian`).

Stored so that whichever process runs the intervention engine sees them; each is handled once
(compare-and-set on `handled_at`) by the policies' `escalation` triggers.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from guardian.events.txn import read, write
from guardian.storage.intervention_tables import guardian_escalations

_t = guardian_escalations.c


@dataclass(frozen=True, slots=True)
class Escalation:
    id: str
    reason: str
    agent_id: str | None
    task_id: str | None
    created_at: str
    handled_at: str | None
    outcome: str | None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Escalations:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def add(self, alert_id: str, reason: str, now: str, *, agent_id: str | None = None,
            task_id: str | None = None) -> bool:  # fmt: skip
        """Record an alert; False if this alert id was escalated before."""
        try:
            with write(self.engine, None) as tx:
                tx.conn.execute(insert(guardian_escalations).values(
                    id=alert_id, reason=reason, agent_id=agent_id, task_id=task_id, created_at=now))  # fmt: skip
        except IntegrityError:
            return False
        return True

    def open(self, limit: int = 1000) -> list[Escalation]:
        query = (
            select(guardian_escalations)
            .where(_t.handled_at.is_(None))
            .order_by(_t.created_at)
            .limit(limit)
        )
        with read(self.engine) as conn:
            return [Escalation(**dict(r._mapping)) for r in conn.execute(query)]

    def close(self, alert_id: str, now: str, outcome: str) -> bool:
        with write(self.engine, None) as tx:
            return bool(tx.conn.execute(update(guardian_escalations).where(_t.id == alert_id, _t.handled_at.is_(None))
                                        .values(handled_at=now, outcome=outcome)).rowcount)  # fmt: skip
