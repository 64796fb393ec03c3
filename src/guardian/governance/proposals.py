"""Proposals: ASK verdicts waiting for a human, kept in the store so every process sees one truth.

Every state change is a compare-and-set on `status` (`UPDATE ... WHERE status = :expected`), so an
approve and a reject racing on one proposal cannot both win, in one process or across many.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Engine, bindparam, func, select, update

from guardian.governance.memory_db import MemoryDB
from guardian.storage.engine import memory_lock
from guardian.storage.tables import proposals

PENDING, APPROVED, REJECTED, EXPIRED, USED = "pending", "approved", "rejected", "expired", "used"
STATUSES = (PENDING, APPROVED, REJECTED, EXPIRED, USED)


@dataclass(frozen=True, slots=True)
class Proposal:
    id: str
    decision_id: str
    intent_hash: str
    actor: str
    action: str
    target: str
    intent: dict[str, Any]
    rule_id: str | None
    reasons: list[dict[str, str]]
    never_auto_approve: bool
    status: str
    created_at: str
    expires_at: str
    decided_by: str | None = None
    decided_at: str | None = None
    decision_reason: str | None = None
    used_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "decision_id": self.decision_id, "intent_hash": self.intent_hash,
            "actor": self.actor, "action": self.action, "target": self.target,
            "intent": self.intent, "rule_id": self.rule_id, "reasons": self.reasons,
            "never_auto_approve": self.never_auto_approve, "status": self.status,
            "created_at": self.created_at, "expires_at": self.expires_at,
            "decided_by": self.decided_by, "decided_at": self.decided_at,
            "decision_reason": self.decision_reason, "used_by": self.used_by,
        }  # fmt: skip


def _from_row(m: Mapping[Any, Any]) -> Proposal:
    """A proposal from a row's mapping (SQLAlchemy's `row._mapping`, or the columns zipped)."""
    return Proposal(
        m["id"], m["decision_id"], m["intent_hash"], m["actor"], m["action"], m["target"],
        orjson.loads(m["intent_json"]), m["rule_id"], orjson.loads(m["reasons_json"]),
        bool(m["never_auto_approve"]), m["status"], m["created_at"], m["expires_at"],
        m["decided_by"], m["decided_at"], m["decision_reason"], m["used_by"],
    )  # fmt: skip


# Statements built once: building one costs more than running it on the ASK path.
_INSERT = proposals.insert()
_GET = select(proposals).where(proposals.c.id == bindparam("pid"))
_APPROVED_FOR = (
    select(proposals)
    .where(
        proposals.c.intent_hash == bindparam("intent_hash"),
        proposals.c.status == APPROVED,
        proposals.c.expires_at > bindparam("now"),
    )
    .order_by(proposals.c.created_at)
)
_COLUMNS = tuple(proposals.c.keys())
#: What an in-memory store remembers the absence of (memory_db.py): an approved proposal that
#: has not expired by a time. `approved_for` finds nothing when there is none.
_LIVE_APPROVAL = "SELECT 1 FROM proposals WHERE status = 'approved' AND expires_at > ? LIMIT 1"


class ProposalStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        sqlite = engine.dialect.name == "sqlite"
        memory = sqlite and engine.url.database in (None, "", ":memory:")
        # An in-memory SQLite database is one connection shared by every thread: its
        # transactions must not interleave. (Across processes the compare-and-set is the guard.)
        self._lock: contextlib.AbstractContextManager[Any] = memory_lock(engine)
        # On a SQLite file, this process's writers queue here rather than in SQLite's busy
        # handler, which sleeps in steps of milliseconds.
        self._write_lock: contextlib.AbstractContextManager[Any] = (
            self._lock if memory else threading.Lock() if sqlite else contextlib.nullcontext()
        )
        # In memory, the ASK path's statements run on the driver connection (memory_db.py).
        self._memory = MemoryDB.of(engine)
        if self._memory is not None:
            self._insert_sql = self._memory.sql(_INSERT, _COLUMNS)
            self._approved_for_sql = self._memory.sql(
                _APPROVED_FOR, ("intent_hash", "status_1", "now")
            )

    @property
    def engine(self) -> Engine:
        return self._engine

    def create(self, proposal: Proposal) -> None:
        row = (  # in _COLUMNS order
            proposal.id, proposal.decision_id, proposal.intent_hash, proposal.actor,
            proposal.action, proposal.target, orjson.dumps(proposal.intent).decode(),
            proposal.rule_id, orjson.dumps(proposal.reasons).decode(),
            proposal.never_auto_approve, proposal.status, proposal.created_at,
            proposal.expires_at, None, None, None, None,
        )  # fmt: skip
        memory = self._memory
        if memory is not None and memory.direct and type(proposal.never_auto_approve) is bool:
            # SQLite has no boolean: SQLAlchemy binds int(value), as here. Only an approved
            # proposal can falsify "no live approval"; a pending one (every ASK's) keeps it.
            direct = (*row[:9], int(proposal.never_auto_approve), *row[10:])
            keeps = () if proposal.status == APPROVED else ("live approval",)
            with self._write_lock:
                memory.write(self._insert_sql, direct, "proposals", keeps)
            return
        with self._write_lock, self._engine.begin() as conn:
            conn.execute(_INSERT, dict(zip(_COLUMNS, row, strict=True)))

    def get(self, proposal_id: str) -> Proposal | None:
        with self._lock, self._engine.connect() as conn:
            row = conn.execute(_GET, {"pid": proposal_id}).first()
        return _from_row(row._mapping) if row is not None else None

    def recent(
        self, status: str | None = None, limit: int = 100, *, actor: str | None = None
    ) -> list[Proposal]:
        query = select(proposals).order_by(proposals.c.created_at.desc()).limit(limit)
        if status is not None:
            query = query.where(proposals.c.status == status)
        if actor is not None:
            query = query.where(proposals.c.actor == actor)
        with self._lock, self._engine.connect() as conn:
            return [_from_row(r._mapping) for r in conn.execute(query)]

    def count(self, status: str) -> int:
        query = select(func.count()).select_from(proposals).where(proposals.c.status == status)
        with self._lock, self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def transition(self, proposal_id: str, expected: str, new: str, **values: Any) -> bool:
        """Move `proposal_id` from `expected` to `new` if it is still `expected`; say if it moved."""
        with self._write_lock, self._engine.begin() as conn:
            result = conn.execute(
                update(proposals)
                .where(proposals.c.id == proposal_id, proposals.c.status == expected)
                .values(status=new, **values)
            )
        return result.rowcount == 1

    def approved_for(self, intent_hash: str, now: str) -> list[Proposal]:
        """Approved, unused, unexpired proposals for exactly this intent, oldest first."""
        memory = self._memory
        if memory is not None and memory.direct:
            with self._lock:
                if memory.lacks("proposals", "live approval", _LIVE_APPROVAL, now):
                    return []
                found = memory.fetch(self._approved_for_sql, (intent_hash, APPROVED, now))
            return [_from_row(dict(zip(_COLUMNS, r, strict=True))) for r in found]
        with self._lock, self._engine.connect() as conn:
            rows = conn.execute(_APPROVED_FOR, {"intent_hash": intent_hash, "now": now})
            return [_from_row(r._mapping) for r in rows]

    def overdue(self, now: str, limit: int = 1000) -> list[Proposal]:
        query = (
            select(proposals)
            .where(proposals.c.status == PENDING, proposals.c.expires_at <= now)
            .limit(limit)
        )
        with self._lock, self._engine.connect() as conn:
            return [_from_row(r._mapping) for r in conn.execute(query)]
