"""`g.events`: publish and subscribe, one API whatever carries the events.

In-process by default: a publish is written to the outbox and handed to this process's handlers
before `publish` returns; ledger entries (decisions, approvals, ...) reach them from a background
tail. With `GUARDIAN_REDIS_URL` set, the same calls go through Redis, so every process and server
subscribed to it sees every event: a background relay (one per database, by lease) sends the outbox
and the ledger, and each subscribing process reads the stream.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from guardian.core.clock import Clock
from guardian.events.bus import Dispatcher, Handler, Subscription, Transport
from guardian.events.feed import LedgerFeed
from guardian.events.lease import Lease
from guardian.events.local import LocalTransport
from guardian.events.locking import ensure_memory_tables
from guardian.events.model import Event
from guardian.events.outbox import Outbox, Producer
from guardian.events.relay import Relay
from guardian.ledger.store import Ledger

LEASE_NAME = "events"
#: Set it (redis://host:port/db) and every process and server using it shares one bus.
URL_ENV = "GUARDIAN_REDIS_URL"
log = logging.getLogger("guardian.events")


class EventHub:
    def __init__(self, engine: Engine, ledger: Ledger, clock: Clock,
                 transport: Transport | None = None, *, producer: Producer | None = None,
                 interval: float = 0.2, lease_ttl: float = 5.0,
                 replay_seconds: float = 120.0) -> None:  # fmt: skip
        ensure_memory_tables(engine)
        self.transport: Transport = transport or LocalTransport()
        self.outbox = Outbox(engine, clock, producer)
        self.dispatcher = Dispatcher()
        self._ledger = ledger
        local = self.transport.local
        lease = (
            None
            if local
            else Lease(engine, clock, LEASE_NAME, self.outbox.producer.name, lease_ttl)
        )
        self.relay = Relay(self.outbox, self.transport, lease=lease, interval=interval,
                           replay_seconds=replay_seconds, background_outbox=not local)  # fmt: skip
        self._started = False

    @property
    def local(self) -> bool:
        return self.transport.local

    def publish(self, event_type: str, payload: dict[str, Any]) -> Event:
        """Store the event (its own transaction) and send it; returns it with its id."""
        event = self.outbox.add(event_type, payload)
        self.kick()
        return event

    def publish_many(self, items: Sequence[tuple[str, dict[str, Any]]]) -> list[Event]:
        """Several events, stored in one transaction, sent in order."""
        events = self.outbox.add_many(items)
        self.kick()
        return events

    def stage(self, conn: Connection, event_type: str, payload: dict[str, Any]) -> Event:
        """Add an event to the caller's transaction; call `kick()` after it commits."""
        return self.outbox.stage(conn, event_type, payload)

    def kick(self) -> None:
        """Send what writers just committed: at once in-process, else by waking the relay."""
        if self.local:
            self.relay.pump(ledger=False)
        else:
            self.start()
            self.relay.kick()

    def subscribe(self, pattern: str, handler: Handler) -> Subscription:
        """Call `handler(event)` for each event whose type matches `pattern` (`guardian.*`)."""
        sub = self.dispatcher.add(pattern, handler)
        self.transport.listen(self.dispatcher)
        self.start()
        return sub

    def pump(self) -> int:
        """Send everything pending now, ledger included (tests, and `guardian events` commands)."""
        self._ensure_feed()
        return self.relay.pump()

    def start(self) -> None:
        """Start the background relay (idempotent). Servers call it so ledger events flow."""
        if not self._started:
            self._started = True
            self._ensure_feed()
            self.relay.start()

    def wait_listening(self, timeout: float = 10.0) -> bool:
        """Block until this process's subscription is connected (Redis), so nothing is missed."""
        wait = getattr(self.transport, "wait_listening", None)
        return True if wait is None else bool(wait(timeout))

    def close(self) -> None:
        """Stop the relay after one last attempt to send what is pending (other relays sharing
        the database send anything left, so nothing is lost either way)."""
        if self._started and not self.local:
            try:
                self.relay.pump()
            except Exception as exc:  # the transport or database may be gone: leave it to them
                log.info("events: final send skipped: %s", exc)
        self.relay.stop()
        self.transport.close()

    def _ensure_feed(self) -> None:
        if self.relay.feed is None:
            self.relay.feed = LedgerFeed(self._ledger)

    def __enter__(self) -> EventHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_hub(engine: Engine, ledger: Ledger, clock: Clock, *, redis_url: str | None = None,
             **options: Any) -> EventHub:  # fmt: skip
    """The hub for this process: Redis when `redis_url` or $GUARDIAN_REDIS_URL is set."""
    url = redis_url or os.environ.get(URL_ENV)
    transport: Transport | None = None
    if url:
        from guardian.events.redis_bus import RedisTransport  # imports redis: only when used

        transport = RedisTransport(url)
    return EventHub(engine, ledger, clock, transport, **options)
