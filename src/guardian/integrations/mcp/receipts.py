"""Receipts are written behind the answer: the client does not wait for their durable write.

The decision is what must be in the ledger before a call reaches the server, and it is; the receipt
says how the call went and can only be written after it. Writing it while the answer travels
keeps one durable write, not two, on each call's path, and lets concurrent receipts share a group
commit. Every receipt is still written before the proxy exits: the writer's task group waits for
them, and each write is shielded from the proxy's own shutdown.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.abc
import anyio.to_thread

from guardian.integrations.mcp.decider import Decider, Receipt

logger = logging.getLogger("guardian.mcp")


class ReceiptWriter:
    def __init__(self, decider: Decider) -> None:
        self._decider = decider
        self._tasks: anyio.abc.TaskGroup | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Write receipts in the background while open; on exit, wait for every pending one."""
        async with anyio.create_task_group() as tasks:
            self._tasks = tasks
            try:
                yield
            finally:
                self._tasks = None

    async def record(self, receipt: Receipt) -> None:
        """Queue the receipt when running (returns at once), else write it before returning."""
        if self._tasks is not None:
            self._tasks.start_soon(self._write, receipt)
        else:
            await self._write(receipt)

    async def _write(self, receipt: Receipt) -> None:
        with anyio.CancelScope(shield=True):
            try:
                await anyio.to_thread.run_sync(self._decider.record_receipt, receipt)
            except Exception as exc:  # the call has happened; losing its receipt must be loud
                logger.error("guardian mcp-proxy: receipt for decision %s not recorded: %s",
                             receipt.decision_id, exc)  # fmt: skip
