"""Everything but tool calls: forwarded to the server as the client sent it, answered as it answered.

Handlers are registered only for what the server declared (a client asking for prompts of a server
without prompts gets the same "method not found" it would get directly); methods this SDK does not
know at all are forwarded by a middleware. Cancellation needs nothing here: a cancelled client
request cancels its forwarding, and the dispatcher then cancels the server's request in turn.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel.server import Server
from mcp.shared.dispatcher import ProgressFnT
from mcp.shared.jsonrpc_dispatcher import progress_token_from_params
from mcp_types import (
    CompleteRequestParams,
    GetPromptRequestParams,
    NotificationParams,
    PaginatedRequestParams,
    ReadResourceRequestParams,
    RequestParams,
    SetLevelRequestParams,
    SubscribeRequestParams,
    UnsubscribeRequestParams,
)
from mcp_types.methods import SPEC_CLIENT_METHODS, SPEC_CLIENT_NOTIFICATION_METHODS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel

from guardian.integrations.mcp.clients import Clients
from guardian.integrations.mcp.upstream import Upstream

Handler = Callable[[ServerRequestContext[Any, Any], Any], Awaitable[dict[str, Any]]]
# The request methods each server capability brings, with the params model the SDK validates.
_METHODS: dict[str, tuple[tuple[str, type[BaseModel]], ...]] = {
    "prompts": (("prompts/list", PaginatedRequestParams), ("prompts/get", GetPromptRequestParams)),
    "resources": (
        ("resources/list", PaginatedRequestParams),
        ("resources/templates/list", PaginatedRequestParams),
        ("resources/read", ReadResourceRequestParams),
    ),
    "logging": (("logging/setLevel", SetLevelRequestParams),),
    "completions": (("completion/complete", CompleteRequestParams),),
}
_SUBSCRIBE = (("resources/subscribe", SubscribeRequestParams),
              ("resources/unsubscribe", UnsubscribeRequestParams))  # fmt: skip
# The proxy owns these towards each side: its own handshake upstream, and the dispatcher maps
# cancellations and progress between the two sides' request ids.
_NOT_FORWARDED = frozenset({"initialize", "notifications/initialized", "notifications/cancelled",
                            "notifications/progress"})  # fmt: skip
_RESERVED_META = "io.modelcontextprotocol/"


def upstream_params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The client's params for the server: without the 2026 per-request envelope keys.

    The proxy speaks the handshake era upstream whatever era the client chose, and a server of
    that era refuses a request carrying the envelope.
    """
    if params is None:
        return None
    out = dict(params)
    meta = out.get("_meta")
    if isinstance(meta, Mapping) and any(str(k).startswith(_RESERVED_META) for k in meta):
        kept = {k: v for k, v in meta.items() if not str(k).startswith(_RESERVED_META)}
        if kept:
            out["_meta"] = kept
        else:
            del out["_meta"]
    return out


def for_client(ctx: ServerRequestContext[Any, Any], result: dict[str, Any]) -> dict[str, Any]:
    """A handshake-era result made valid for the client's era: 2026 requires `resultType`."""
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS and "resultType" not in result:
        return {**result, "resultType": "complete"}
    return result


def progress_relay(ctx: ServerRequestContext[Any, Any]) -> ProgressFnT | None:
    """Pass the server's progress on to the client, under the client's own token."""
    if progress_token_from_params(ctx.params) is None:
        return None
    return ctx.session.report_progress


class Passthrough:
    """Registers the forwarding handlers on a server; see the module docstring."""

    def __init__(self, upstream: Upstream, clients: Clients) -> None:
        self.upstream = upstream
        self.clients = clients

    def register(self, server: Server[Any]) -> None:
        capabilities = self.upstream.identity.capabilities
        for capability, methods in _METHODS.items():
            if capabilities.get(capability) is not None:
                for method, params_type in methods:
                    server.add_request_handler(method, params_type, self.forward(method))
        resources = capabilities.get("resources")
        if isinstance(resources, Mapping) and resources.get("subscribe"):
            for method, params_type in _SUBSCRIBE:
                server.add_request_handler(method, params_type, self.forward(method))
        server.add_request_handler("ping", RequestParams, self.forward("ping"))
        server.add_notification_handler("notifications/roots/list_changed", NotificationParams,
                                        self._roots_changed)  # fmt: skip
        server.middleware.append(self._unknown_methods)
        self.upstream.on_notification = self.clients.notify_all
        self.upstream.on_request = self.clients.ask_latest

    def forward(self, method: str) -> Handler:
        async def handler(ctx: ServerRequestContext[Any, Any], params: Any) -> dict[str, Any]:
            self.clients.seen(ctx)
            result = await self.upstream.request(method, upstream_params(ctx.params),
                                                 progress_relay(ctx))  # fmt: skip
            return for_client(ctx, result)

        return handler

    async def _roots_changed(self, ctx: ServerRequestContext[Any, Any], params: Any) -> None:
        await self.upstream.notify("notifications/roots/list_changed", upstream_params(ctx.params))

    async def _unknown_methods(self, ctx: ServerRequestContext[Any, Any],
                               call_next: CallNext) -> HandlerResult:  # fmt: skip
        """Forward a method the SDK has no model for (an extension's); spec methods go on."""
        method = ctx.method
        if method in SPEC_CLIENT_METHODS or method in SPEC_CLIENT_NOTIFICATION_METHODS or \
                method in _NOT_FORWARDED:  # fmt: skip
            return await call_next(ctx)
        if ctx.request_id is None:
            await self.upstream.notify(method, upstream_params(ctx.params))
            return None
        self.clients.seen(ctx)
        result = await self.upstream.request(
            method, upstream_params(ctx.params), progress_relay(ctx)
        )
        return for_client(ctx, result)
