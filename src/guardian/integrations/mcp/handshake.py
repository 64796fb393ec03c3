"""The stdio client's connection in the handshake era, with `tools/call` answered directly.

`Server.run` first replays the client's input through a task of its own (to see which protocol
era the first request chooses) and then runs each request through the SDK server's per-request
machinery: a context, the middleware chain, a tracing span, validation, serialisation. The stdio
front end has already read ahead to the first request, so a handshake-era client gets the loop
`Server.run` would build for it without the replaying task, and its `tools/call` requests go
straight to the proxy with the same validation of the request and of the result for the client's
protocol version. Everything else still goes through the SDK's server as it would.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mcp.server.connection import Connection
from mcp.server.models import InitializationOptions
from mcp.server.runner import ServerRunner, aclose_shielded
from mcp.server.session import ServerSession
from mcp.shared.dispatcher import DispatchContext
from mcp.shared.exceptions import MCPError
from mcp.shared.jsonrpc_dispatcher import JSONRPCDispatcher, progress_token_from_params
from mcp.shared.transport_context import TransportContext
from mcp_types import (
    INTERNAL_ERROR,
    INVALID_REQUEST,
    METHOD_NOT_FOUND,
    PROTOCOL_VERSION_META_KEY,
    CallToolRequestParams,
)
from mcp_types.methods import serialize_server_result, validate_client_request
from pydantic import ValidationError

if TYPE_CHECKING:
    from guardian.integrations.mcp.proxy import Proxy
    from guardian.integrations.mcp.stdio import StdinMessages, StdoutMessages

logger = logging.getLogger("guardian.mcp")


async def serve_handshake_era(proxy: Proxy, read: StdinMessages, write: StdoutMessages,
                              options: InitializationOptions) -> None:  # fmt: skip
    server = proxy.server
    async with server.lifespan(server) as state:
        dispatcher: JSONRPCDispatcher[TransportContext] = JSONRPCDispatcher(
            read, write, inline_methods=frozenset({"initialize"})
        )
        connection = Connection.for_loop(dispatcher)
        runner = ServerRunner(server, connection, state, init_options=options)
        direct = proxy.serves_tools

        async def on_request(dctx: DispatchContext[TransportContext], method: str,
                             params: Mapping[str, Any] | None) -> dict[str, Any]:  # fmt: skip
            if method != "initialize" and enveloped(params):
                raise MCPError(INVALID_REQUEST, "this connection serves the handshake protocol "
                               "era; requests carrying the 2026-07-28 envelope are not accepted "
                               "on it")  # fmt: skip
            if method == "tools/call" and direct and connection.initialize_accepted:
                return await call_tool(proxy, dctx, connection, params)
            return await runner.on_request(dctx, method, params)

        try:
            await dispatcher.run(on_request, runner.on_notify)
        finally:
            await aclose_shielded(connection)


async def call_tool(proxy: Proxy, dctx: DispatchContext[TransportContext], connection: Connection,
                    params: Mapping[str, Any] | None) -> dict[str, Any]:  # fmt: skip
    """One `tools/call`, validated and answered as the SDK's server would (a ValidationError is
    the dispatcher's INVALID_PARAMS, as there)."""
    version = connection.protocol_version
    try:
        validate_client_request("tools/call", version, params)
    except KeyError:
        raise MCPError(METHOD_NOT_FOUND, "Method not found", "tools/call") from None
    typed = CallToolRequestParams.model_validate({} if params is None else params, by_name=False)
    proxy.clients.remember(ServerSession(dctx, connection), None)
    relay = dctx.progress if progress_token_from_params(params) is not None else None
    result = await proxy.call_tool(typed, params, dctx.progress, relay, None)
    try:
        return serialize_server_result("tools/call", version, result)
    except ValidationError:
        logger.exception("the result of tools/call %s does not validate", typed.name)
        raise MCPError(INTERNAL_ERROR, "Handler returned an invalid result") from None


def enveloped(params: Mapping[str, Any] | None) -> bool:
    """Whether a request carries the 2026-07-28 per-request envelope (which chooses that era)."""
    meta = params.get("_meta") if params else None
    return isinstance(meta, Mapping) and PROTOCOL_VERSION_META_KEY in meta
