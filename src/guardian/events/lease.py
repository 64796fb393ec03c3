"""A lease in the store: one relay at a time publishes for a database, so its order is the order.

Several servers may share one database; each runs a relay, but only the holder of the lease sends.
A holder renews on every pass; a lease not renewed for `ttl` seconds may be taken over, and the new
holder continues from the cursor (the ledger seq) stored with it.
"""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from guardian.core.clock import Clock, iso_utc
from guardian.events.locking import engine_lock
from guardian.storage.intervention_tables import event_relays

_t = event_relays.c


class Lease:
    def __init__(self, engine: Engine, clock: Clock, name: str, holder: str,
                 ttl: float = 5.0) -> None:  # fmt: skip
        self.engine = engine
        self.clock = clock
        self.name = name
        self.holder = holder
        self.ttl = ttl
        self._lock = engine_lock(engine)
        self._renewed = -1e9

    def hold(self, initial_cursor: int = 0) -> bool:
        """Take or renew the lease; False while another live holder has it. A lease renewed less
        than a third of its ttl ago is not renewed again (no write on every relay pass)."""
        if time.monotonic() - self._renewed < self.ttl / 3:
            return True
        held = self._hold(initial_cursor)
        self._renewed = time.monotonic() if held else -1e9
        return held

    def _hold(self, initial_cursor: int) -> bool:
        now = self.clock.now()
        values = {"holder": self.holder, "expires_at": iso_utc(now + timedelta(seconds=self.ttl)),
                  "updated_at": iso_utc(now)}  # fmt: skip
        free = or_(_t.holder == self.holder, _t.holder.is_(None), _t.expires_at < iso_utc(now))
        with self._lock, self.engine.begin() as conn:
            if conn.execute(update(event_relays).where(_t.name == self.name, free)
                            .values(**values)).rowcount == 1:  # fmt: skip
                return True
            if conn.execute(select(_t.name).where(_t.name == self.name)).first() is not None:
                return False
        try:
            with self._lock, self.engine.begin() as conn:
                conn.execute(
                    insert(event_relays).values(name=self.name, cursor=initial_cursor, **values)
                )
        except IntegrityError:
            return False
        return True

    def cursor(self) -> int:
        with self._lock, self.engine.connect() as conn:
            found = conn.execute(select(_t.cursor).where(_t.name == self.name)).scalar()
        return int(found or 0)

    def save_cursor(self, cursor: int) -> None:
        with self._lock, self.engine.begin() as conn:
            conn.execute(update(event_relays).where(_t.name == self.name, _t.holder == self.holder)
                         .values(cursor=cursor, updated_at=self.clock.now_iso()))  # fmt: skip

    def release(self) -> None:
        self._renewed = -1e9
        with self._lock, self.engine.begin() as conn:
            conn.execute(update(event_relays).where(_t.name == self.name, _t.holder == self.holder)
                         .values(holder=None, expires_at=None))  # fmt: skip
