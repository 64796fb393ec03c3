"""The stdio front end: one client speaking newline-delimited JSON-RPC on the proxy's stdin/stdout.

Not the SDK's `stdio_server`: that reads stdin through a worker thread per line which cannot be
interrupted, so a proxy whose server died would hang until its client wrote again. Here a daemon
thread reads stdin and hands messages to the event loop; when the server goes, the proxy
answers what is in flight, closes its input, and exits with a message. While serving, fd 1 points at
stderr so that stray output from anything in the process cannot corrupt the wire.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.shared.message import SessionMessage
from mcp_types import jsonrpc_message_adapter

from guardian.integrations.mcp.errors import UpstreamExited
from guardian.integrations.mcp.proxy import Proxy

logger = logging.getLogger("guardian.mcp")
_INLINE_WRITE = 64 * 1024  # larger answers are written from a thread: a pipe holds 64 KiB


@dataclass(slots=True)
class StdioWire:
    read: MemoryObjectReceiveStream[SessionMessage | Exception]
    write: MemoryObjectSendStream[SessionMessage]
    _input: MemoryObjectSendStream[SessionMessage | Exception]

    def close_input(self) -> None:
        """End the client's input as if it had closed stdin: the server loop finishes."""
        self._input.close()


async def serve_stdio(proxy: Proxy) -> None:
    async with stdio_wire() as wire, anyio.create_task_group() as tg:
        upstream_gone = False

        async def watch() -> None:
            nonlocal upstream_gone
            upstream_gone = await proxy.wait_stop()
            wire.close_input()

        tg.start_soon(watch)
        await proxy.server.run(wire.read, wire.write, proxy.server.create_initialization_options())
        tg.cancel_scope.cancel()
    if upstream_gone:
        raise UpstreamExited(proxy.upstream.label)


@asynccontextmanager
async def stdio_wire() -> AsyncIterator[StdioWire]:
    wire_fd, input_fd = os.dup(1), os.dup(0)
    os.dup2(2, 1)
    in_send, in_recv = anyio.create_memory_object_stream[SessionMessage | Exception](64)
    out_send, out_recv = anyio.create_memory_object_stream[SessionMessage](64)
    token = anyio.lowlevel.current_token()
    threading.Thread(target=_read_lines, args=(input_fd, in_send, token), daemon=True,
                     name="guardian-mcp-stdin").start()  # fmt: skip
    try:
        async with anyio.create_task_group() as tg:
            tg.start_soon(_write_lines, out_recv, wire_fd)
            try:
                yield StdioWire(in_recv, out_send, in_send)
            finally:
                out_send.close()  # the writer drains what is queued, then ends
    finally:
        in_recv.close()
        os.dup2(wire_fd, 1)
        os.close(wire_fd)


def _read_lines(fd: int, send: MemoryObjectSendStream[SessionMessage | Exception],
                token: anyio.lowlevel.EventLoopToken) -> None:  # fmt: skip
    """Runs in a daemon thread on a raw descriptor: no Python-level lock held while it blocks
    (a blocked `sys.stdin.buffer` read would abort the interpreter at exit)."""
    pending = b""
    try:
        while chunk := os.read(fd, 1 << 16):
            *lines, pending = (pending + chunk).split(b"\n")
            for line in lines:
                if line.strip():
                    anyio.from_thread.run(send.send, _parse(line), token=token)
        if pending.strip():
            anyio.from_thread.run(send.send, _parse(pending), token=token)
        anyio.from_thread.run_sync(send.close, token=token)
    except (anyio.ClosedResourceError, anyio.BrokenResourceError, RuntimeError, OSError):
        pass  # the proxy is closing (or its loop is gone): nothing left to deliver to
    finally:
        os.close(fd)


def _parse(line: bytes) -> SessionMessage | Exception:
    try:
        return SessionMessage(jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:
        return exc


async def _write_lines(receive: MemoryObjectReceiveStream[SessionMessage], fd: int) -> None:
    async with receive:
        async for message in receive:
            data = (message.message.model_dump_json(by_alias=True, exclude_unset=True)
                    + "\n").encode()  # fmt: skip
            try:
                if len(data) <= _INLINE_WRITE:
                    _write_all(fd, data)
                else:
                    await anyio.to_thread.run_sync(_write_all, fd, data)
            except OSError as exc:  # the client closed its end: nobody is left to answer
                logger.debug("stdout closed: %s", exc)
                return


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]
