"""The in-process transport: the relay hands each event straight to this process's handlers."""

from __future__ import annotations

from collections.abc import Sequence

from guardian.events.bus import Dispatcher
from guardian.events.model import Event


class LocalTransport:
    local = True

    def __init__(self) -> None:
        self._dispatcher: Dispatcher | None = None

    def send(self, events: Sequence[Event]) -> None:
        dispatcher = self._dispatcher
        if dispatcher is None:
            return
        for event in events:
            dispatcher.deliver(event)

    def lost_since_last_check(self) -> bool:
        return False

    def listen(self, dispatcher: Dispatcher) -> None:
        self._dispatcher = dispatcher

    def close(self) -> None:
        self._dispatcher = None
