"""Newline-delimited JSON-RPC on a pipe, as the SDK's message streams, without a task in between.

The SDK's stdio transports put a reader task, a writer task and a memory stream between each
message and its pipe: four task switches per request and answer, which on a busy 2-core machine
cost more than everything else the proxy does for a call. These streams satisfy the same
`ReadStream` / `WriteStream` contract the SDK's `JSONRPCDispatcher` drives, but the dispatcher's
own receive loop reads the pipe, and a message is written by the task that sends it. Messages are
still the SDK's types, parsed and dumped by its adapter.
"""

from __future__ import annotations

from collections import deque
from types import TracebackType
from typing import Self

import anyio
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCRequest, jsonrpc_message_adapter

Received = SessionMessage | Exception  # a line that does not parse is passed on as its error


class MessageReader:
    """Parses messages from the byte chunks `_read` returns (b"" at the end of input)."""

    def __init__(self) -> None:
        self._ready: deque[Received] = deque()
        self._partial = b""
        self._ended = False

    async def _read(self) -> bytes:
        raise NotImplementedError

    async def receive(self) -> Received:
        while not self._ready:
            if self._ended:
                raise anyio.EndOfStream
            await self._fill()
        return self._ready.popleft()

    async def first_request(self) -> JSONRPCRequest | None:
        """The first request, read ahead but left to be received; None if the input ends first."""
        while True:
            for item in self._ready:
                if isinstance(item, SessionMessage) and isinstance(item.message, JSONRPCRequest):
                    return item.message
            if self._ended:
                return None
            await self._fill()

    async def _fill(self) -> None:
        chunk = await self._read()
        if not chunk:
            self._ended = True
            chunk = b"\n"  # a last line without its newline still counts
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        self._ready.extend(parse(line) for line in lines if line.strip())

    async def aclose(self) -> None:
        self._ended = True
        self._ready.clear()

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> Received:
        try:
            return await self.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:  # fmt: skip
        await self.aclose()


class MessageWriter:
    """Encodes each message as one line and hands it to `_write` in the sender's task."""

    async def _write(self, data: bytes) -> None:
        raise NotImplementedError

    async def send(self, message: SessionMessage, /) -> None:
        await self._write(encode(message))

    async def aclose(self) -> None:
        pass

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> None:  # fmt: skip
        await self.aclose()


def parse(line: bytes) -> Received:
    try:
        return SessionMessage(jsonrpc_message_adapter.validate_json(line, by_name=False))
    except ValueError as exc:
        return exc


def encode(message: SessionMessage) -> bytes:
    return (message.message.model_dump_json(by_alias=True, exclude_unset=True) + "\n").encode()
