"""Pause and kill switch: an agent, a session, or everything. The first check on the path.

Pauses live in the store so every process sees them. Each process caches the set of active pauses
for `refresh` seconds (default 0.1 s) so that the hot path does not query the database on every
decision; a pause made in this process takes effect at once, one made elsewhere within `refresh`.
Pausing needs a guardian or admin principal; resuming needs an admin. Both are ledger entries.
"""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.exc import IntegrityError

from guardian.core.clock import Clock
from guardian.core.decision import Decision, Reason
from guardian.core.errors import GuardianError
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.ledger.store import Ledger
from guardian.policy.evaluate import Evaluation
from guardian.storage.control_tables import pauses
from guardian.storage.engine import memory_lock

SCOPES = ("agent", "session", "all")
PAUSERS = ("guardian", "admin")


class PauseForbidden(GuardianError, PermissionError):
    code = "pause_forbidden"


class PauseBoard:
    def __init__(
        self, engine: Engine, ledger: Ledger, clock: Clock, *, refresh: float = 0.1
    ) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        self._refresh = refresh
        self._lock = memory_lock(engine)
        self._cache: tuple[float, dict[tuple[str, str], str]] = (-1e9, {})

    def pause(self, scope: str, key: str, principal: Principal, reason: str) -> bool:
        """Pause; False if it was already paused. Raises PauseForbidden for other roles."""
        _check_scope(scope, key)
        if principal.role not in PAUSERS:
            raise PauseForbidden(f"role {principal.role!r} may not pause; guardian or admin may")
        try:
            with self._lock, self._engine.begin() as conn:
                conn.execute(insert(pauses).values(scope=scope, key=key, paused_by=principal.id,
                                                   reason=reason, at=self._clock.now_iso()))  # fmt: skip
        except IntegrityError:
            return False
        self._ledger.append(
            "pause", {"scope": scope, "key": key, "by": principal.to_dict(), "reason": reason}
        )
        self._reload()
        return True

    def resume(self, scope: str, key: str, principal: Principal, reason: str = "") -> bool:
        """Lift a pause; False if there was none. Only an admin resumes."""
        _check_scope(scope, key)
        if principal.role != "admin":
            raise PauseForbidden(f"role {principal.role!r} may not resume; only an admin may")
        with self._lock, self._engine.begin() as conn:
            gone = conn.execute(
                delete(pauses).where(pauses.c.scope == scope, pauses.c.key == key)
            ).rowcount
        if gone:
            self._ledger.append(
                "resume", {"scope": scope, "key": key, "by": principal.to_dict(), "reason": reason}
            )
        self._reload()
        return bool(gone)

    def active(self) -> dict[tuple[str, str], str]:
        """(scope, key) -> reason of every active pause, fresh within `refresh` seconds."""
        loaded_at, current = self._cache
        if time.monotonic() - loaded_at > self._refresh:
            current = self._reload()
        return current

    def reason(self, actor: str, session_id: str | None) -> str | None:
        """Why `actor` (in `session_id`) is paused, or None."""
        return pause_reason(self.active(), actor, session_id)

    def gate(self, intent: Intent, principal: Principal) -> Evaluation | None:
        """The first check: DENY `paused` for a paused agent, session, or everything.

        `pause_gate(self.active(), intent)`, written out: with nothing paused (the usual case) it
        is a clock read and an empty-dict test on every decision."""
        loaded_at, current = self._cache
        if time.monotonic() - loaded_at > self._refresh:
            current = self._reload()
        return pause_gate(current, intent) if current else None

    def _reload(self) -> dict[tuple[str, str], str]:
        with self._lock, self._engine.connect() as conn:
            rows = conn.execute(select(pauses.c.scope, pauses.c.key, pauses.c.reason)).all()
        current = {(r[0], r[1]): r[2] for r in rows}
        self._cache = (time.monotonic(), current)
        return current


def pause_reason(
    active: dict[tuple[str, str], str], actor: str, session_id: str | None
) -> str | None:
    if not active:
        return None
    for key in (("all", "*"), ("agent", actor), ("session", session_id or "")):
        if key in active:
            return (
                f"everything paused: {active[key]}"
                if key[0] == "all"
                else f"{key[0]} {key[1]} paused: {active[key]}"
            )
    return None


def pause_gate(active: dict[tuple[str, str], str], intent: Intent) -> Evaluation | None:
    """DENY `paused` when any pause covers the intent; shared by the live path and replay."""
    why = pause_reason(active, intent.actor, intent.session_id)
    return None if why is None else Evaluation(Decision.DENY, None, (Reason("paused", why),))


def _check_scope(scope: str, key: str) -> None:
    if scope not in SCOPES:
        raise GuardianError(f"pause scope must be one of {', '.join(SCOPES)}, got {scope!r}")
    if not key or (scope == "all") != (key == "*"):
        raise GuardianError("pause key must be an agent or session id, or '*' with scope 'all'")
