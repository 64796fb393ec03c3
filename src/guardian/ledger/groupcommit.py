"""Group commit: many threads' appends share one transaction and one fsync.

Leader/follower, as in LevelDB's write queue: items join the open batch; the caller who opened it
leads it. A leader waits for the baton (the previous batch's exclusive phase), closes its batch,
runs `write` (one transaction), passes the baton on, and only then runs the batch's `sync` (what
makes the commit durable, then the mirror lines), so batch k's fsync overlaps batch k+1's
transaction. Sync steps run one at a time, in commit order: a leader takes its place in that order
before it passes the baton on. Then it wakes its followers. A single caller does all of this on
its own thread, with no hand-off to wake up from.

A leader whose batch is smaller than the previous one lingers briefly (at most half a write) for
the previous batch's callers, who are on their way back, so that batches do not split 1 + 7.

Every caller returns only after its item is durable everywhere, with its own result or its own
exception; a failed transaction fails every caller in its batch and nothing else. With `tick`, a
daemon thread takes the baton every `tick_interval` seconds (time-based checkpoints).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from guardian.ledger.errors import LedgerClosed, LedgerError, LedgerWriteError

log = logging.getLogger("guardian.ledger")

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Committed(Generic[R]):
    """What `write` returns: one result per item (or its exception); `sync` must succeed before
    any of them is acknowledged, and `on_sync_error` turns a result into the error its caller gets
    when it does not."""

    results: Sequence[R | BaseException]
    sync: Callable[[], None] | None = None
    on_sync_error: Callable[[R, BaseException], BaseException] | None = None


Write = Callable[[Sequence[T]], Committed[R]]


class _Batch(Generic[T, R]):
    __slots__ = ("done", "items", "results")

    def __init__(self) -> None:
        self.items: list[T] = []
        self.results: Sequence[R | BaseException] = ()
        self.done = threading.Event()


class GroupCommitter(Generic[T, R]):
    def __init__(
        self,
        write: Write[T, R],
        *,
        tick: Callable[[], None] | None = None,
        tick_interval: float | None = None,
        max_linger: float = 0.0005,
        name: str = "guardian-ledger",
    ) -> None:
        self._write = write
        self._lock = threading.Lock()
        self._open: _Batch[T, R] = _Batch()
        self._baton = threading.Lock()  # held during a batch's write (and a tick)
        self._sync_order = threading.Lock()  # held during a batch's sync step (and a tick)
        self._active = 0  # batches between opening and waking their callers
        self._quiet = threading.Condition(self._lock)  # notified when _active drops to 0
        self._closing = False
        self._arrived = threading.Condition(self._lock)  # a follower joined the open batch
        self._lingering = False
        self._target = 1  # size of the previous batch: how many callers to expect back
        self._last_write = 0.0  # seconds the previous batch's write took
        self._max_linger = max_linger
        self._pid = os.getpid()
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        if tick is not None and tick_interval:
            self._ticker = threading.Thread(
                target=self._tick_loop, args=(tick, tick_interval), name=f"{name}-tick", daemon=True
            )
            self._ticker.start()

    def submit(self, item: T) -> R:
        """Queue `item`, wait until it is durable, return its result or raise its error."""
        if os.getpid() != self._pid:
            raise LedgerError(
                f"this ledger was opened in process {self._pid} and used in forked child "
                f"{os.getpid()}; open a new ledger in the child"
            )
        with self._lock:
            if self._closing:
                raise LedgerClosed("the ledger is closed")
            batch = self._open
            index = len(batch.items)
            batch.items.append(item)
            if index == 0:
                self._active += 1
            elif self._lingering and len(batch.items) >= self._target:
                self._arrived.notify()  # only once the batch is as large as the leader waits for
        if index == 0:
            self._lead(batch)
        else:
            batch.done.wait()
        result = batch.results[index]
        if isinstance(result, BaseException):
            raise result
        return result

    def close(self) -> None:
        """Refuse new items, let every queued batch finish, stop the tick thread."""
        with self._lock:
            self._closing = True
            while self._active:
                self._quiet.wait()
        self._stop.set()
        if self._ticker is not None and threading.current_thread() is not self._ticker:
            self._ticker.join()

    def _lead(self, batch: _Batch[T, R]) -> None:
        try:
            with self._baton:
                with self._lock:  # later callers start the next batch (and wait for the baton)
                    self._linger(batch)
                    self._open = _Batch()
                self._target = len(batch.items)
                started = time.monotonic()
                committed = self._commit(batch.items)
                self._last_write = time.monotonic() - started
                if committed.sync is not None:
                    self._sync_order.acquire()  # after the previous batch's sync, before the next
            if committed.sync is None:
                batch.results = committed.results
            else:
                try:
                    batch.results = self._synced(committed)
                finally:
                    self._sync_order.release()
        finally:
            if len(batch.results) != len(batch.items):  # interrupted: never leave callers hanging
                batch.results = [LedgerWriteError("the batch's leader was interrupted")] * len(
                    batch.items
                )
            batch.done.set()
            with self._lock:
                self._active -= 1
                if not self._active:
                    self._quiet.notify_all()

    def _linger(self, batch: _Batch[T, R]) -> None:
        """(Lock held.) When the previous batch was larger, its callers are on their way back:
        wait a little (at most half a write, capped by `max_linger`) so they share this one."""
        if len(batch.items) >= self._target or self._closing:
            return
        deadline = time.monotonic() + min(self._max_linger, self._last_write / 2)
        self._lingering = True
        try:
            while len(batch.items) < self._target:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self._arrived.wait(remaining)
        finally:
            self._lingering = False

    def _commit(self, items: list[T]) -> Committed[R]:
        try:
            committed = self._write(items)
            if len(committed.results) != len(items):
                raise LedgerError(
                    f"writer returned {len(committed.results)} results for {len(items)} items"
                )
        except BaseException as exc:  # every caller must wake, whatever happened
            log.error("ledger batch of %d failed: %s", len(items), exc)
            committed = Committed([_failure(exc) for _ in items])
        return committed

    @staticmethod
    def _synced(committed: Committed[R]) -> Sequence[R | BaseException]:
        if committed.sync is None:
            return committed.results
        try:
            committed.sync()
        except BaseException as exc:
            log.error("ledger sync after commit failed: %s", exc)
            convert = committed.on_sync_error or (lambda _r, e: _failure(e))
            return [
                r if isinstance(r, BaseException) else convert(r, exc) for r in committed.results
            ]
        return committed.results

    def _tick_loop(self, tick: Callable[[], None], interval: float) -> None:
        while not self._stop.wait(interval):
            with self._lock:
                if self._closing:
                    return
                self._active += 1
            try:
                with self._baton, self._sync_order:
                    tick()
            except Exception as exc:
                log.error("ledger background tick failed: %s", exc)
            finally:
                with self._lock:
                    self._active -= 1
                    if not self._active:
                        self._quiet.notify_all()


def _failure(exc: BaseException) -> BaseException:
    """A fresh exception per caller (they raise it concurrently), chained to the shared cause."""
    what = str(exc) if isinstance(exc, LedgerError) else f"{type(exc).__name__}: {exc}"
    err = LedgerWriteError(f"append failed, nothing of its batch was committed: {what}")
    err.__cause__ = exc
    return err
