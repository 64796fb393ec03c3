"""The proxy core: an MCP server that presents the governed server as itself, tool calls decided.

Towards its clients the proxy is the SDK's low-level `Server` (so the handshake, both protocol
eras and the HTTP sessions are the SDK's), carrying the real server's name, instructions and
capabilities. Behind it, `tools/list` and `tools/call` go through the governor; everything else
through the passthrough.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import anyio
from mcp.server.caching import CacheableMethod, CacheHint
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions, Server
from mcp.server.models import InitializationOptions
from mcp.shared.dispatcher import ProgressFnT
from mcp_types import (
    CallToolRequestParams,
    Implementation,
    PaginatedRequestParams,
    ServerCapabilities,
)
from pydantic import ValidationError

from guardian.integrations.mcp.clients import Clients
from guardian.integrations.mcp.governance import Progress, ToolGovernor
from guardian.integrations.mcp.passthrough import (
    Passthrough,
    for_client,
    progress_relay,
    upstream_params,
)
from guardian.integrations.mcp.upstream import ServerIdentity, Upstream

logger = logging.getLogger("guardian.mcp")


# 2026-era clients require caching directives on these results; a handshake-era server gives
# none, so the proxy says "immediately stale, not shareable" (ignored by older clients).
_NEVER_FRESH: dict[CacheableMethod, CacheHint] = {
    "prompts/list": CacheHint(), "resources/list": CacheHint(), "resources/read": CacheHint(),
    "resources/templates/list": CacheHint(), "server/discover": CacheHint(),
    "tools/list": CacheHint(),
}  # fmt: skip


class MirrorServer(Server[Any]):
    """A low-level SDK server whose `initialize` answer is the real server's, capabilities and all."""

    def __init__(self, identity: ServerIdentity) -> None:
        try:
            info = Implementation.model_validate(identity.server_info)
        except ValidationError:
            info = Implementation(name="mcp-server", version="")
        super().__init__(info.name, version=info.version, title=info.title,
                         description=info.description, instructions=identity.instructions,
                         website_url=info.website_url, icons=info.icons,
                         cache_hints=_NEVER_FRESH)  # fmt: skip
        try:
            self.mirrored = ServerCapabilities.model_validate(identity.capabilities)
        except ValidationError:
            logger.warning("guardian mcp-proxy: the server's capabilities do not validate; "
                           "presenting only what the proxy serves")  # fmt: skip
            self.mirrored = self.get_capabilities()

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return InitializationOptions(
            server_name=self.name, server_version=self.version, title=self.title,
            description=self.description, capabilities=self.mirrored,
            instructions=self.instructions, website_url=self.website_url, icons=self.icons,
        )  # fmt: skip


class Proxy:
    """One governed server, shared by every client of this process."""

    def __init__(self, upstream: Upstream, governor: ToolGovernor) -> None:
        self.upstream = upstream
        self.clients = Clients()
        self.server = MirrorServer(upstream.identity)
        if governor.settings.server_label is None:  # the name the server gives itself
            governor.settings = replace(governor.settings, server_label=self.server.name)
        self.governor = governor
        self.stop_requested = anyio.Event()  # set on SIGINT/SIGTERM: front ends wind down
        Passthrough(upstream, self.clients).register(self.server)
        if self.serves_tools:
            self.server.add_request_handler("tools/list", PaginatedRequestParams, self._list_tools)
            self.server.add_request_handler("tools/call", CallToolRequestParams, self._call_tool)

    async def _list_tools(self, ctx: ServerRequestContext[Any, Any],
                          params: PaginatedRequestParams) -> dict[str, Any]:  # fmt: skip
        self.clients.seen(ctx)
        listing = await self.upstream.request("tools/list", upstream_params(ctx.params),
                                              progress_relay(ctx))  # fmt: skip
        return for_client(ctx, self.governor.visible(listing))

    @property
    def serves_tools(self) -> bool:
        return self.upstream.identity.capabilities.get("tools") is not None

    async def _call_tool(self, ctx: ServerRequestContext[Any, Any],
                         params: CallToolRequestParams) -> dict[str, Any]:  # fmt: skip
        session_id = self.clients.seen(ctx)
        result = await self.call_tool(params, ctx.params, ctx.session.report_progress,
                                      progress_relay(ctx), session_id)  # fmt: skip
        return for_client(ctx, result)

    async def call_tool(self, params: CallToolRequestParams, raw: Mapping[str, Any] | None,
                        progress: Progress, relay: ProgressFnT | None,
                        session_id: str | None) -> dict[str, Any]:  # fmt: skip
        """Govern one `tools/call`: `progress` reaches the client, `relay` passes the server's on."""
        forwarded = upstream_params(raw)

        async def forward() -> dict[str, Any]:
            return await self.upstream.request("tools/call", forwarded, relay)

        return await self.governor.call(params.name, dict(params.arguments or {}), forward,
                                        progress, session_id)  # fmt: skip

    async def wait_stop(self) -> bool:
        """Wait until the server exits (True) or a stop is requested (False)."""
        async with anyio.create_task_group() as tg:
            for event in (self.upstream.closed, self.stop_requested):
                tg.start_soon(_set_then_cancel, event, tg.cancel_scope)
        gone = self.upstream.closed.is_set()
        await self.drain()
        return gone

    async def drain(self, timeout: float = 5.0) -> None:
        """Wait (bounded) until no tool call is in flight, so their answers and receipts are out."""
        with anyio.move_on_after(timeout):
            while self.governor.in_flight:
                await anyio.sleep(0.01)
            await anyio.sleep(0.1)  # the dispatcher writes a handler's answer after it returns


async def _set_then_cancel(event: anyio.Event, scope: anyio.CancelScope) -> None:
    await event.wait()
    scope.cancel()


async def _stop_on_signal(proxy: Proxy) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for _ in signals:
            proxy.stop_requested.set()
            return


@dataclass(frozen=True, slots=True)
class Listen:
    host: str
    port: int

    @classmethod
    def parse(cls, text: str) -> Listen:
        """`HOST:PORT` or `PORT` (on 127.0.0.1); ValueError names what is wrong."""
        host, sep, port = text.rpartition(":")
        host = host.strip("[]") if sep else "127.0.0.1"
        if not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError(f"--listen {text!r}: expected HOST:PORT with a port from 1 to 65535")
        return cls(host or "127.0.0.1", int(port))


def loop_options() -> dict[str, Any]:
    """anyio's backend options for the proxy: uvloop where it is installed (uvicorn's `standard`
    extra brings it), which takes a few hundred microseconds off each call on a busy machine, the
    event loop's own bookkeeping being much of the proxy's work; `GUARDIAN_MCP_LOOP=asyncio`
    keeps the standard loop."""
    wanted = os.environ.get("GUARDIAN_MCP_LOOP", "uvloop") != "asyncio"
    return {"use_uvloop": wanted and importlib.util.find_spec("uvloop") is not None}


async def run_proxy(command: Sequence[str], governor: ToolGovernor, listen: Listen | None = None,
                    cwd: str | None = None) -> None:  # fmt: skip
    """Start the server, then serve clients until they leave (stdio) or SIGINT/SIGTERM.

    Raises UpstreamError if the server cannot be started, UpstreamExited if it stops first.
    """
    upstream = Upstream(tuple(command), cwd=cwd)
    async with upstream.running(), governor.receipts.running(), anyio.create_task_group() as tg:
        proxy = Proxy(upstream, governor)
        if threading.current_thread() is threading.main_thread():
            tg.start_soon(_stop_on_signal, proxy)  # stop the server and close the ledger first
        if listen is None:
            from guardian.integrations.mcp.stdio import serve_stdio

            await serve_stdio(proxy)
        else:
            from guardian.integrations.mcp.http import serve_http

            await serve_http(proxy, listen.host, listen.port)
        tg.cancel_scope.cancel()
