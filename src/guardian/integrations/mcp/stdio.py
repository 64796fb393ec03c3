"""The stdio front end: one client speaking newline-delimited JSON-RPC on the proxy's stdin/stdout.

Not the SDK's `stdio_server`: that reads stdin through a worker thread per line which cannot be
interrupted, so a proxy whose server died would hang until its client wrote again, and it puts a
task and a memory stream between each message and the wire. Here the dispatcher's own receive loop
reads stdin when the event loop says it is readable, and an answer is written to stdout by the task
that sends it: no thread or task hop on a call's path. When the server goes, the proxy answers
what is in flight, closes its input, and exits with a message. While serving, fd 1 points at stderr
so that stray output from anything in the process cannot corrupt the wire.
"""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
import anyio.to_thread

from guardian.integrations.mcp.errors import UpstreamExited
from guardian.integrations.mcp.handshake import enveloped, serve_handshake_era
from guardian.integrations.mcp.proxy import Proxy
from guardian.integrations.mcp.wire import MessageReader, MessageWriter

logger = logging.getLogger("guardian.mcp")
_CHUNK = 1 << 16
_INLINE_WRITE = 64 * 1024  # larger answers are written from a thread: a pipe holds 64 KiB


async def serve_stdio(proxy: Proxy) -> None:
    async with stdio_wire() as (read, write), anyio.create_task_group() as tg:
        upstream_gone = False

        async def watch() -> None:
            nonlocal upstream_gone
            upstream_gone = await proxy.wait_stop()
            read.close_input()

        tg.start_soon(watch)
        options = proxy.server.create_initialization_options()
        first = await read.first_request()
        if first is not None and first.method != "initialize" and enveloped(first.params):
            await proxy.server.run(read, write, options)  # the 2026 era: the SDK's own loop
        else:
            await serve_handshake_era(proxy, read, write, options)
        tg.cancel_scope.cancel()
    if upstream_gone:
        raise UpstreamExited(proxy.upstream.label)


@asynccontextmanager
async def stdio_wire() -> AsyncIterator[tuple[StdinMessages, StdoutMessages]]:
    wire_fd, input_fd = os.dup(1), os.dup(0)
    os.dup2(2, 1)
    try:
        yield StdinMessages(input_fd), StdoutMessages(wire_fd)
    finally:
        os.close(input_fd)
        os.dup2(wire_fd, 1)
        os.close(wire_fd)


class StdinMessages(MessageReader):
    """The client's messages, read from stdin when the event loop finds it readable. A descriptor
    the loop cannot watch (a regular file, /dev/null) is read from a thread instead."""

    def __init__(self, fd: int) -> None:
        super().__init__()
        self._fd = fd
        self._scope: anyio.CancelScope | None = None
        self._threaded = False

    def close_input(self) -> None:
        """End the client's input as if it had closed stdin: the server loop finishes."""
        self._ended = True
        if self._scope is not None:
            self._scope.cancel()

    async def _read(self) -> bytes:
        with anyio.CancelScope() as self._scope:
            try:
                if not self._threaded:
                    try:
                        await anyio.wait_readable(self._fd)
                    except PermissionError:  # epoll refuses regular files and some devices
                        self._threaded = True
                    else:
                        return os.read(self._fd, _CHUNK)
                return await anyio.to_thread.run_sync(os.read, self._fd, _CHUNK,
                                                      abandon_on_cancel=True)  # fmt: skip
            except OSError as exc:
                logger.debug("stdin closed: %s", exc)
        return b""  # closed by close_input, or unreadable: the end of the client's input


class StdoutMessages(MessageWriter):
    """Writes each message to stdout in the sender's task.

    Up to 64 KiB goes straight into the pipe; a larger message is written from a thread, holding
    a lock that later messages queue behind, so messages never interleave.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._lock = anyio.Lock()
        self._broken = False

    async def _write(self, data: bytes) -> None:
        if len(data) <= _INLINE_WRITE and not self._lock.locked():
            self._write_now(data)
            return
        async with self._lock:
            await anyio.to_thread.run_sync(self._write_now, data)

    def _write_now(self, data: bytes) -> None:
        if self._broken:
            return
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view) :]
        except OSError as exc:  # the client closed its end: nobody is left to answer
            logger.debug("stdout closed: %s", exc)
            self._broken = True

    async def aclose(self) -> None:
        async with self._lock:  # a large message still being written goes out first
            pass
