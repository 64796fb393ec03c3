"""The JSONL mirror's fdatasync, off the acknowledgement path.

An entry is durable when its database transaction commits (SQLite fsyncs the WAL, PostgreSQL its
log): that is when its caller is answered. The mirror line is written before the answer too, but
appending to a file changes its size, so the mirror's fdatasync also commits file-system metadata
and costs several times the database's own fsync (measured: bench/ledger.py). The mirror is a copy
that `open` reconciles with the store, re-appending whatever a crash left out, so its fdatasync
runs here, on one background thread, at most once every `interval` seconds (on a shared disk the
flushes otherwise compete with the database's own), each covering every batch written since the
last one. `flush` waits for it (and cuts the interval short); `close` flushes. A failed fdatasync is kept and raised by the next `take_failure`,
so the next append reports it rather than nobody.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger("guardian.ledger")

Sync = Callable[[], None]

#: Longest time a mirror line waits for its fdatasync, besides the fdatasync itself.
DEFAULT_INTERVAL = 0.01


class MirrorSyncer:
    def __init__(
        self, interval: float = DEFAULT_INTERVAL, name: str = "guardian-mirror-sync"
    ) -> None:
        self._interval = interval
        self._hurry = False  # a flush is waiting: skip the rest of the interval
        self._cond = threading.Condition()
        self._pending: list[Sync] = []
        self._queued = 0  # syncs handed over so far
        self._done = 0  # of them, how many have run
        self._failure: BaseException | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def submit(self, syncs: list[Sync]) -> None:
        """Queue one batch's syncs (each a one-shot fdatasync of a duplicated descriptor)."""
        with self._cond:
            if self._closed:  # after close: do it here and now
                self._run_all(syncs)
                return
            idle = not self._pending  # otherwise the thread is already due to run: no wake-up
            self._pending.extend(syncs)
            self._queued += 1
            if idle:
                self._cond.notify_all()

    def flush(self) -> None:
        """Wait until everything queued before this call is on disk."""
        with self._cond:
            target = self._queued
            self._hurry = True
            self._cond.notify_all()
            while self._done < target and self._thread.is_alive():
                self._cond.wait(0.1)

    def take_failure(self) -> BaseException | None:
        """The last background fdatasync error not yet reported, cleared by this call."""
        with self._cond:
            failure, self._failure = self._failure, None
            return failure

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join()

    def _run(self) -> None:
        last = 0.0
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending and self._closed:
                    return
                wake = last + self._interval
                while not (self._hurry or self._closed) and (left := wake - time.monotonic()) > 0:
                    self._cond.wait(left)
                syncs, self._pending = self._pending, []
                upto, self._hurry = self._queued, False
            self._run_all(syncs)  # the first does the work, the rest find nothing left to flush
            last = time.monotonic()
            with self._cond:
                self._done = upto
                self._cond.notify_all()

    def _run_all(self, syncs: list[Sync]) -> None:
        for sync in syncs:
            try:
                sync()
            except OSError as exc:
                log.error("ledger mirror fdatasync failed: %s", exc)
                with self._cond:
                    self._failure = exc
