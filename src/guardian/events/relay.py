"""The relay: takes events from the outbox and the ledger and sends them, at least once.

Each pass sends the outbox's unpublished rows (then stamps them) and the ledger entries after the
cursor (then moves it). If the transport fails (Redis down) nothing is stamped or moved: the next
pass sends the same events again, with exponential backoff up to `max_backoff`. If the transport
lost what it had (Redis restarted empty) the relay first re-sends the last `replay_seconds` of both.
With a lease, only one relay per database sends; without one (in-process) each process relays its own.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

from sqlalchemy.exc import SQLAlchemyError

from guardian.events.bus import Transport, TransportError
from guardian.events.feed import LedgerFeed
from guardian.events.lease import Lease
from guardian.events.outbox import Outbox

log = logging.getLogger("guardian.events")


class Relay:
    def __init__(self, outbox: Outbox, transport: Transport, *, feed: LedgerFeed | None = None,
                 lease: Lease | None = None, batch: int = 500, replay_seconds: float = 120.0,
                 retention_seconds: float = 86_400.0, interval: float = 0.2,
                 max_backoff: float = 2.0, background_outbox: bool = True) -> None:  # fmt: skip
        self.outbox = outbox
        self.transport = transport
        self.feed = feed
        self.lease = lease
        self.batch = batch
        self.replay_seconds = replay_seconds
        self.retention_seconds = retention_seconds
        self.interval = interval
        self.max_backoff = max_backoff
        #: False in-process: writers pump the outbox themselves, the thread only tails the ledger.
        self.background_outbox = background_outbox
        self.sent = 0
        self.failures = 0
        self.replays = 0
        self._pass = threading.RLock()  # a handler may publish from inside a pass
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._holding = False
        self._pruned = time.monotonic()
        #: (monotonic time, cursor before) of recent ledger sends, to rewind after a loss.
        self._recent: deque[tuple[float, int]] = deque(maxlen=100_000)

    # -- one pass --------------------------------------------------------------------------------

    def pump(self, *, outbox: bool = True, ledger: bool = True) -> int:
        """Send everything pending now; return how many events. Raises TransportError."""
        with self._pass:
            if not self._hold():
                return 0
            if self.transport.lost_since_last_check():
                self._replay()
            sent = self._pump_outbox() if outbox else 0
            if (
                outbox and time.monotonic() - self._pruned > 60
            ):  # whoever pumps the outbox prunes it
                self._pruned = time.monotonic()
                self.outbox.prune(self.retention_seconds)
            if ledger and self.feed is not None:
                sent += self._pump_ledger()
            self.sent += sent
            return sent

    def _hold(self) -> bool:
        if self.lease is None:
            return True
        head = self.feed.cursor if self.feed is not None else 0
        held = self.lease.hold(initial_cursor=head)
        if held and not self._holding and self.feed is not None:
            self.feed.cursor = self.lease.cursor()  # continue where the last holder stopped
        self._holding = held
        return held

    def _pump_outbox(self) -> int:
        sent = 0
        while True:
            rows = self.outbox.pending(self.batch, only_mine=self.transport.local)
            if not rows:
                return sent
            self.transport.send([event for _, event in rows])
            self.outbox.mark_published([row_id for row_id, _ in rows])
            sent += len(rows)
            if len(rows) < self.batch:
                return sent

    def _pump_ledger(self) -> int:
        assert self.feed is not None
        sent = 0
        while True:
            before = self.feed.cursor
            events, reached = self.feed.read(self.batch)
            if reached == before:
                return sent
            self.transport.send(events)
            self.feed.cursor = reached
            self._recent.append((time.monotonic(), before))
            if self.lease is not None:
                self.lease.save_cursor(reached)
            sent += len(events)

    def _replay(self) -> None:
        self.replays += 1
        rows = self.outbox.published_since(self.replay_seconds, limit=1_000_000)
        log.warning("event transport lost its data; re-sending %d recent outbox events", len(rows))
        for start in range(0, len(rows), self.batch):
            self.transport.send([event for _, event in rows[start : start + self.batch]])
        horizon = time.monotonic() - self.replay_seconds
        recent = [before for at, before in self._recent if at >= horizon]
        if recent and self.feed is not None:
            self.feed.cursor = min(self.feed.cursor, recent[0])
        self._recent.clear()

    # -- in the background -----------------------------------------------------------------------

    def kick(self) -> None:
        """Wake the background relay (a writer just committed events)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(
                target=self._run, name="guardian-events-relay", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._wake.set()
            self._thread.join(timeout)
            self._thread = None
        if self.lease is not None and self._holding:
            try:
                self.lease.release()
            except SQLAlchemyError:
                pass

    def _run(self) -> None:
        backoff = 0.0
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                busy = self.pump(outbox=self.background_outbox) >= self.batch
                backoff = 0.0
            except (TransportError, SQLAlchemyError) as exc:
                self.failures += 1
                (log.debug if backoff else log.warning)("event relay: %s; retrying", exc)
                backoff = min(max(backoff * 2, 0.05), self.max_backoff)
                self._stopping.wait(backoff)  # not cut short by kicks: no hammering a dead server
                continue
            if not busy:
                self._wake.wait(self.interval)
