"""One poller per process that watches the ledger head in the database and wakes waiters.

Event streams and long-polls wait here instead of each querying the store in a loop: one cheap
`MAX(seq)` per interval per process, whatever the number of open streams. Because it reads the
store, it sees entries appended by every instance sharing the database, not just this one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool

log = logging.getLogger("guardian.server")


class HeadWatcher:
    def __init__(self, read_head: Callable[[], int], interval: float) -> None:
        self._read_head = read_head
        self._interval = interval
        self._head = -1
        self._changed: asyncio.Condition | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def head(self) -> int:
        return self._head

    def start(self) -> None:
        """Start polling (from inside the server's event loop)."""
        if self._task is None:
            self._changed = asyncio.Condition()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ledger-head")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        assert self._changed is not None
        while True:
            try:
                head = await run_in_threadpool(self._read_head)
            except Exception as exc:  # a database hiccup must not end the watcher
                log.warning("reading the ledger head failed: %s", exc)
                head = self._head
            if head != self._head:
                self._head = head
                async with self._changed:
                    self._changed.notify_all()
            await asyncio.sleep(self._interval)

    async def wait_past(self, seq: int, timeout: float) -> bool:
        """Wait until the head passes `seq` or `timeout` seconds pass; say whether it passed."""
        if self._changed is None:  # not started (e.g. a test driving the app without lifespan)
            await asyncio.sleep(min(timeout, self._interval))
            return True
        if self._head > seq:
            return True
        async with self._changed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait_for(lambda: self._head > seq), timeout)
        return self._head > seq
