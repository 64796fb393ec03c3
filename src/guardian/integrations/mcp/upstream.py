"""The governed MCP server: a subprocess the proxy speaks raw JSON-RPC to over its stdin/stdout.

Raw rather than through `ClientSession`: the proxy forwards results and notifications as the server
wrote them, and only a raw dispatcher lets it notice at once that the server went away (its
receive loop ends). The dispatcher is the SDK's; the pipes are process.py's, read and written
without the SDK stdio transport's extra tasks. The proxy connects once, before any client, and
declares no client capabilities, so the server keeps the configuration its command line gives it.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.abc
from mcp.shared.dispatcher import CallOptions, DispatchContext, ProgressFnT
from mcp.shared.exceptions import MCPError
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher
from mcp.shared.transport_context import TransportContext
from mcp_types import CONNECTION_CLOSED, METHOD_NOT_FOUND, REQUEST_TIMEOUT
from mcp_types.version import HANDSHAKE_PROTOCOL_VERSIONS, LATEST_HANDSHAKE_VERSION

from guardian import __version__
from guardian.integrations.mcp.errors import UpstreamError
from guardian.integrations.mcp.process import server_process

CLIENT_INFO = {"name": "guardian-mcp-proxy", "version": __version__}
# Routed by the dispatcher itself (progress to its callback, cancel to the request's scope).
_DISPATCHER_NOTIFICATIONS = frozenset({"notifications/progress", "notifications/cancelled"})

NotificationHook = Callable[[str, Mapping[str, Any] | None], Awaitable[None]]
RequestHook = Callable[[str, Mapping[str, Any] | None], Awaitable[dict[str, Any]]]


@dataclass(frozen=True, slots=True)
class ServerIdentity:
    """What the server said in its `initialize` result; the proxy presents the same to clients."""

    protocol_version: str
    capabilities: dict[str, Any]
    server_info: dict[str, Any]
    instructions: str | None = None


@dataclass(slots=True)
class Upstream:
    """One MCP server process. Use `running()`; then `request` and `notify` forward to it."""

    command: Sequence[str]
    cwd: str | None = None
    handshake_timeout: float = 60.0
    on_notification: NotificationHook | None = None
    on_request: RequestHook | None = None
    closed: anyio.Event = field(default_factory=anyio.Event)
    _identity: ServerIdentity | None = None
    _dispatcher: JSONRPCDispatcher[TransportContext] | None = None

    @property
    def label(self) -> str:
        text = shlex.join(self.command)
        return text if len(text) <= 120 else text[:117] + "..."

    @property
    def identity(self) -> ServerIdentity:
        if self._identity is None:
            raise RuntimeError("the MCP server is not connected yet")
        return self._identity

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Upstream]:
        """Start the server, complete the handshake, and stop the server (its whole tree) on exit."""
        async with AsyncExitStack() as stack:
            try:
                read, write = await stack.enter_async_context(
                    server_process(self.command, os.environ, self.cwd)
                )
            except OSError as exc:
                raise UpstreamError(
                    f"cannot start the MCP server `{self.label}`: {exc.strerror or exc}"
                ) from None
            failure: UpstreamError | None = None
            self._dispatcher = JSONRPCDispatcher(read, write)
            async with anyio.create_task_group() as tg:
                await tg.start(self._serve, self._dispatcher)
                try:
                    self._identity = await self._handshake()
                except UpstreamError as exc:  # raised here, not in the group: no ExceptionGroup
                    failure = exc
                else:
                    yield self
                tg.cancel_scope.cancel()
            if failure is not None:
                raise failure

    async def request(self, method: str, params: Mapping[str, Any] | None,
                      on_progress: ProgressFnT | None = None) -> dict[str, Any]:  # fmt: skip
        """Send one request and return the server's raw result; MCPError for an error answer."""
        if self._dispatcher is None or self.closed.is_set():
            raise MCPError(CONNECTION_CLOSED, f"the MCP server `{self.label}` is not running")
        opts: CallOptions = {"on_progress": on_progress} if on_progress is not None else {}
        return await self._dispatcher.send_raw_request(method, params, opts)

    async def notify(self, method: str, params: Mapping[str, Any] | None) -> None:
        if self._dispatcher is not None and not self.closed.is_set():
            await self._dispatcher.notify(method, params)

    async def _serve(self, dispatcher: JSONRPCDispatcher[TransportContext], *,
                     task_status: anyio.abc.TaskStatus[None]) -> None:  # fmt: skip
        try:
            await dispatcher.run(self._handle_request, self._handle_notification,
                                 task_status=task_status)  # fmt: skip
        finally:
            self.closed.set()

    async def _handshake(self) -> ServerIdentity:
        assert self._dispatcher is not None
        offer = {"protocolVersion": LATEST_HANDSHAKE_VERSION, "capabilities": {},
                 "clientInfo": CLIENT_INFO}  # fmt: skip
        try:
            result = await self._dispatcher.send_raw_request(
                "initialize", offer, {"timeout": self.handshake_timeout}
            )
        except MCPError as exc:
            if exc.code == REQUEST_TIMEOUT:
                why = f"did not answer the initialize request within {self.handshake_timeout:g} s"
            elif exc.code == CONNECTION_CLOSED:
                why = "exited before answering the initialize request"
            else:
                why = f"refused the initialize request: {exc.message}"
            raise UpstreamError(f"the MCP server `{self.label}` {why}") from None
        version = result.get("protocolVersion")
        if version not in HANDSHAKE_PROTOCOL_VERSIONS:
            raise UpstreamError(
                f"the MCP server `{self.label}` answered with protocol version {version!r}, "
                f"which this proxy does not speak ({', '.join(HANDSHAKE_PROTOCOL_VERSIONS)})"
            )
        await self._dispatcher.notify("notifications/initialized", None)
        instructions = result.get("instructions")
        return ServerIdentity(
            str(version), dict(result.get("capabilities") or {}),
            dict(result.get("serverInfo") or {}),
            instructions if isinstance(instructions, str) else None,
        )  # fmt: skip

    async def _handle_request(self, dctx: DispatchContext[TransportContext], method: str,
                              params: Mapping[str, Any] | None) -> dict[str, Any]:  # fmt: skip
        """A request from the server to its client (ping, sampling, ...): answered or relayed."""
        if method == "ping":
            return {}
        if self.on_request is None:
            raise MCPError(METHOD_NOT_FOUND, f"{method} is not available through the proxy")
        return await self.on_request(method, params)

    async def _handle_notification(self, dctx: DispatchContext[TransportContext], method: str,
                                   params: Mapping[str, Any] | None) -> None:  # fmt: skip
        if method in _DISPATCHER_NOTIFICATIONS or self.on_notification is None:
            return
        await self.on_notification(method, params)
