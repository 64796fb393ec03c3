"""The outbox: events stored in the same transaction as the state change they describe.

A writer calls `stage(conn, type, payload)` inside its own transaction, so the event exists if and
only if the change committed. The relay later reads `pending()` rows in id order, sends them and
`mark_published()`; a crash in between re-sends them (at least once; subscribers drop duplicates).
"""

from __future__ import annotations

import itertools
import os
import secrets
import threading
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, delete, insert, select, update

from guardian.core.clock import Clock, iso_utc
from guardian.core.ids import new_id
from guardian.events.locking import engine_lock
from guardian.events.model import Event, check_type
from guardian.storage.intervention_tables import event_outbox

_t = event_outbox.c
#: Built once: `insert(...).values(...)` per event costs more than the insert itself.
_INSERT = insert(event_outbox)


class Producer:
    """This process as a producer: a unique name and an increasing sequence number."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or f"{os.getpid()}-{secrets.token_hex(8)}"
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def next_seq(self) -> int:
        with self._lock:
            return next(self._counter)


class Outbox:
    def __init__(self, engine: Engine, clock: Clock, producer: Producer | None = None) -> None:
        self.engine = engine
        self.clock = clock
        self.producer = producer or Producer()
        self.lock = engine_lock(engine)

    def stage(self, conn: Connection, event_type: str, payload: dict[str, Any]) -> Event:
        """Add an event to the caller's open transaction; it is sent only if that commits."""
        event = Event(new_id(), check_type(event_type), payload, self.clock.now_iso(),
                      self.producer.name, self.producer.next_seq())  # fmt: skip
        conn.execute(_INSERT, {
            "event_id": event.id, "event_type": event.type, "payload": orjson.dumps(payload).decode(),
            "producer": event.producer, "producer_seq": event.seq, "ts": event.ts,
        })  # fmt: skip
        return event

    def add(self, event_type: str, payload: dict[str, Any]) -> Event:
        with self.lock, self.engine.begin() as conn:
            return self.stage(conn, event_type, payload)

    def add_many(self, items: Sequence[tuple[str, dict[str, Any]]]) -> list[Event]:
        """Several events in one transaction (one commit instead of one each)."""
        with self.lock, self.engine.begin() as conn:
            return [self.stage(conn, event_type, payload) for event_type, payload in items]

    def pending(self, limit: int, *, only_mine: bool = False) -> list[tuple[int, Event]]:
        """Unpublished events, oldest first (this producer's only, for the in-process transport)."""
        query = select(event_outbox).where(_t.published_at.is_(None)).order_by(_t.id).limit(limit)
        if only_mine:
            query = query.where(_t.producer == self.producer.name)
        return self._rows(query)

    def published_since(self, seconds: float, limit: int) -> list[tuple[int, Event]]:
        """Events published in the last `seconds`, oldest first: what a restarted Redis lost."""
        since = iso_utc(self.clock.now() - timedelta(seconds=seconds))
        query = select(event_outbox).where(_t.published_at >= since).order_by(_t.id).limit(limit)
        return self._rows(query)

    def after(self, last_id: int, limit: int) -> list[tuple[int, Event]]:
        """Every event with id > last_id, published or not (for read-only tails)."""
        return self._rows(select(event_outbox).where(_t.id > last_id).order_by(_t.id).limit(limit))

    def last_id(self) -> int:
        with self.lock, self.engine.connect() as conn:
            found = conn.execute(select(_t.id).order_by(_t.id.desc()).limit(1)).scalar()
        return int(found or 0)

    def mark_published(self, ids: Sequence[int]) -> None:
        if not ids:
            return
        now = self.clock.now_iso()
        with self.lock, self.engine.begin() as conn:
            for chunk in range(0, len(ids), 500):
                part = list(ids[chunk : chunk + 500])
                conn.execute(update(event_outbox).where(_t.id.in_(part), _t.published_at.is_(None))
                             .values(published_at=now))  # fmt: skip

    def prune(self, older_than_seconds: float) -> int:
        """Forget published events older than the retention (they can no longer be replayed)."""
        cutoff = iso_utc(self.clock.now() - timedelta(seconds=older_than_seconds))
        with self.lock, self.engine.begin() as conn:
            return conn.execute(delete(event_outbox).where(_t.published_at < cutoff)).rowcount

    def _rows(self, query: Any) -> list[tuple[int, Event]]:
        with self.lock, self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [(int(r.id), Event(r.event_id, r.event_type, orjson.loads(r.payload), r.ts,
                                  r.producer, int(r.producer_seq))) for r in rows]  # fmt: skip
