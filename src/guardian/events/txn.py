"""A write transaction that can emit events: they commit with the change, and are sent after it.

with write(engine, hub) as tx:
    tx.conn.execute(update(...))
    tx.emit("guardian.task.claimed", {...})
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine

from guardian.events.locking import engine_lock
from guardian.events.model import Event

if TYPE_CHECKING:
    from guardian.events.hub import EventHub


class Tx:
    def __init__(self, conn: Connection, events: EventHub | None) -> None:
        self.conn = conn
        self._events = events
        self.emitted: list[Event] = []

    def emit(self, event_type: str, payload: dict[str, Any]) -> None:
        if self._events is not None:
            self.emitted.append(self._events.stage(self.conn, event_type, payload))


@contextmanager
def write(engine: Engine, events: EventHub | None) -> Iterator[Tx]:
    with engine_lock(engine), engine.begin() as conn:
        tx = Tx(conn, events)
        yield tx
    if tx.emitted and events is not None:
        events.kick()


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    with engine_lock(engine), engine.connect() as conn:
        yield conn
