"""Grants: an approver's "always, for this actor + action + target pattern, for N hours".

A grant turns the ASK of a matching intent into ALLOW (reason `granted`, the decision entry links
`grant_id`), so a human is not asked again for routine repeats. It never applies to a rule marked
`never_auto_approve` (each of those needs its own human decision) and it never loosens a DENY: only
the ASK path consults grants. Grants live in the store, expire, are revocable, and every creation,
revocation and use is a ledger entry or a ledger-linked decision.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, bindparam, select, update

from guardian.core.clock import Clock, iso_utc
from guardian.core.errors import GuardianError
from guardian.core.ids import new_id
from guardian.core.principal import Principal
from guardian.governance.memory_db import MemoryDB
from guardian.ledger.store import Ledger
from guardian.policy.patterns import PatternError, compile_pattern
from guardian.storage.engine import memory_lock
from guardian.storage.tables import grants

#: Longest grant an approver may give: 30 days.
MAX_GRANT_HOURS = 24 * 30


class GrantError(GuardianError):
    """A grant that cannot be given (bad pattern or duration, or a never-auto-approve rule)."""

    code = "grant_refused"


class GrantNotFound(GuardianError, LookupError):
    code = "not_found"


@dataclass(frozen=True, slots=True)
class Grant:
    id: str
    proposal_id: str | None
    actor: str
    action: str
    target: str
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None = None
    revoked_by: str | None = None
    uses: int = 0
    last_used_at: str | None = None

    def status(self, now: str) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= now else "active"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "proposal_id": self.proposal_id, "actor": self.actor,
            "action": self.action, "target": self.target, "created_by": self.created_by,
            "created_at": self.created_at, "expires_at": self.expires_at,
            "revoked_at": self.revoked_at, "revoked_by": self.revoked_by, "uses": self.uses,
            "last_used_at": self.last_used_at,
        }  # fmt: skip


def _from_row(m: Mapping[Any, Any]) -> Grant:
    """A grant from a row's mapping (SQLAlchemy's `row._mapping`, or the columns zipped)."""
    return Grant(m["id"], m["proposal_id"], m["actor"], m["action"], m["target"], m["created_by"],
                 m["created_at"], m["expires_at"], m["revoked_at"], m["revoked_by"],
                 int(m["uses"] or 0), m["last_used_at"])  # fmt: skip


# Built once: the lookup runs on every ASK.
_ACTIVE_FOR = (
    select(grants)
    .where(
        grants.c.actor == bindparam("actor"),
        grants.c.action == bindparam("action"),
        grants.c.revoked_at.is_(None),
        grants.c.expires_at > bindparam("now"),
    )
    .order_by(grants.c.created_at)
)
_COLUMNS = tuple(grants.c.keys())
#: What an in-memory store remembers the absence of (memory_db.py): an unrevoked grant that has
#: not expired by a time. `use` finds nothing when there is none.
_LIVE_GRANT = "SELECT 1 FROM grants WHERE revoked_at IS NULL AND expires_at > ? LIMIT 1"
_COUNT_USE = (
    update(grants)
    .where(grants.c.id == bindparam("gid"))
    .values(uses=grants.c.uses + 1, last_used_at=bindparam("now"))
)


def check_grant(hours: float, target: str) -> None:
    """Refuse a duration outside (0, MAX_GRANT_HOURS] or a target that is not a valid glob."""
    if not 0 < hours <= MAX_GRANT_HOURS:
        raise GrantError(
            f"grant hours must be more than 0 and at most {MAX_GRANT_HOURS}, got {hours}"
        )
    try:
        compile_pattern(target)
    except PatternError as exc:
        raise GrantError(f"grant target: {exc}") from None


class Grants:
    """The grants table plus the ledger entries that record what happens to grants."""

    def __init__(self, engine: Engine, ledger: Ledger, clock: Clock) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        # An in-memory SQLite database is one connection shared by every thread (see proposals.py).
        self._lock: contextlib.AbstractContextManager[Any] = memory_lock(engine)
        # In memory, the lookup on every ASK runs on the driver connection (memory_db.py).
        self._memory = MemoryDB.of(engine)
        if self._memory is not None:
            self._active_for_sql = self._memory.sql(_ACTIVE_FOR, ("actor", "action", "now"))

    def create(self, proposal_id: str | None, actor: str, action: str, target: str, hours: float,
               by: Principal) -> Grant:  # fmt: skip
        check_grant(hours, target)
        now = self._clock.now()
        grant = Grant(new_id(), proposal_id, actor, action, target, by.id, iso_utc(now),
                      iso_utc(now + timedelta(hours=hours)))  # fmt: skip
        with self._lock, self._engine.begin() as conn:
            conn.execute(grants.insert().values(**grant.to_dict()))
        self._ledger.append("grant", {
            "grant_id": grant.id, "event": "created", "proposal_id": proposal_id, "actor": actor,
            "action": action, "target": target, "expires_at": grant.expires_at, "by": by.to_dict(),
        })  # fmt: skip
        return grant

    def use(self, actor: str, action: str, target: str) -> Grant | None:
        """The oldest active grant covering this intent, its use counted; None if there is none."""
        now = self._clock.now_iso()
        memory = self._memory
        if memory is not None and memory.direct:
            with self._lock:
                if memory.lacks("grants", "live grant", _LIVE_GRANT, now):
                    return None
                rows = memory.fetch(self._active_for_sql, (actor, action, now))
            found = [_from_row(dict(zip(_COLUMNS, r, strict=True))) for r in rows]
        else:
            with self._lock, self._engine.connect() as conn:
                params = {"actor": actor, "action": action, "now": now}
                found = [_from_row(r._mapping) for r in conn.execute(_ACTIVE_FOR, params)]
        for grant in found:
            if compile_pattern(grant.target).matches(target):
                with self._lock, self._engine.begin() as conn:
                    conn.execute(_COUNT_USE, {"gid": grant.id, "now": now})
                return grant
        return None

    def get(self, grant_id: str) -> Grant:
        with self._lock, self._engine.connect() as conn:
            row = conn.execute(select(grants).where(grants.c.id == grant_id)).first()
        if row is None:
            raise GrantNotFound(f"no grant {grant_id!r}")
        return _from_row(row._mapping)

    def recent(self, *, include_inactive: bool = False, limit: int = 500) -> list[Grant]:
        query = select(grants).order_by(grants.c.created_at.desc()).limit(limit)
        if not include_inactive:
            query = query.where(grants.c.revoked_at.is_(None),
                                grants.c.expires_at > self._clock.now_iso())  # fmt: skip
        with self._lock, self._engine.connect() as conn:
            return [_from_row(r._mapping) for r in conn.execute(query)]

    def revoke(self, grant_id: str, by: Principal) -> Grant:
        """Revoke a grant (compare-and-set, so it is revoked and recorded once)."""
        self.get(grant_id)
        now = self._clock.now_iso()
        with self._lock, self._engine.begin() as conn:
            moved = conn.execute(
                update(grants).where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
                .values(revoked_at=now, revoked_by=by.id)
            ).rowcount  # fmt: skip
        if moved == 1:
            self._ledger.append("grant", {"grant_id": grant_id, "event": "revoked",
                                          "by": by.to_dict()})  # fmt: skip
        return self.get(grant_id)
