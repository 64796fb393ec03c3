"""The bus protocol, and the subscriber side every transport shares.

A `Dispatcher` holds the handlers of one process and hands each incoming event to those whose pattern
matches, once: events are delivered at least once, so it drops an id it has already seen (a bounded
memory of recent ids). A handler that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from guardian.events.model import Event, check_pattern, matches

log = logging.getLogger("guardian.events")

Handler = Callable[[Event], Any]
#: How many recent event ids a subscriber remembers to drop re-deliveries.
DEDUPE_WINDOW = 200_000


class TransportError(Exception):
    """The transport could not take the events now; the relay keeps them and retries."""


class Subscription:
    def __init__(self, dispatcher: Dispatcher, pattern: str, handler: Handler) -> None:
        self.pattern = pattern
        self.handler = handler
        self._dispatcher = dispatcher

    def close(self) -> None:
        self._dispatcher.remove(self)

    unsubscribe = close


class EventBus(Protocol):
    """What publishers and subscribers see (`g.events`)."""

    def publish(self, event_type: str, payload: dict[str, Any]) -> Event: ...

    def subscribe(self, pattern: str, handler: Handler) -> Subscription: ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Moves events from the relay to every subscribing process."""

    #: True when only this process's subscribers are reached (the in-process transport).
    local: bool

    def send(self, events: Sequence[Event]) -> None:
        """Deliver, in order; raise TransportError if they may not have been taken."""
        ...

    def lost_since_last_check(self) -> bool:
        """Whether events sent earlier may have been lost (e.g. Redis restarted without them)."""
        ...

    def listen(self, dispatcher: Dispatcher) -> None:
        """Start handing incoming events to `dispatcher` (idempotent)."""
        ...

    def close(self) -> None: ...


@dataclass
class Dispatcher:
    window: int = DEDUPE_WINDOW
    _subs: list[Subscription] = field(default_factory=list)
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    duplicates: int = 0

    def add(self, pattern: str, handler: Handler) -> Subscription:
        sub = Subscription(self, check_pattern(pattern), handler)
        with self._lock:
            self._subs = [*self._subs, sub]
        return sub

    def remove(self, sub: Subscription) -> None:
        with self._lock:
            self._subs = [s for s in self._subs if s is not sub]

    def __len__(self) -> int:
        return len(self._subs)

    def first_time(self, event_id: str) -> bool:
        """Remember `event_id`; False if it was seen already (a re-delivery)."""
        with self._lock:
            if event_id in self._seen:
                self.duplicates += 1
                return False
            self._seen[event_id] = None
            if len(self._seen) > self.window:
                self._seen.popitem(last=False)
            return True

    def deliver(self, event: Event) -> None:
        if not self.first_time(event.id):
            return
        for sub in self._subs:
            if matches(sub.pattern, event.type):
                try:
                    sub.handler(event)
                except Exception:  # one bad handler must not starve the others
                    log.exception("event handler for %r failed on %s", sub.pattern, event.type)
