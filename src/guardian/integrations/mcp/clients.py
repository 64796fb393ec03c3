"""The clients connected to the proxy, so that what the server sends unasked reaches them.

A server's notifications (log messages, list changes, resource updates) go to every connected
client; one stdio client, or each streamable-HTTP session. A request the server makes of its client
(sampling, elicitation, roots) goes to the client seen most recently: the proxy declares none of
those capabilities upstream, so a well-behaved server sends only pings, which the proxy answers.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from mcp.server.context import ServerRequestContext
from mcp.server.session import ServerSession
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_REQUEST, ServerNotification, ServerRequest
from mcp_types import Result as _Result
from pydantic import ConfigDict, TypeAdapter, ValidationError

logger = logging.getLogger("guardian.mcp")

_NOTIFICATION: TypeAdapter[ServerNotification] = TypeAdapter(ServerNotification)
_REQUEST: TypeAdapter[ServerRequest] = TypeAdapter(ServerRequest)
MAX_CLIENTS = 1024  # sessions remembered; the oldest are forgotten first


class AnyResult(_Result):
    """A client's answer kept whole: every field, known or not, round-trips."""

    model_config = ConfigDict(extra="allow")


class Clients:
    """Sessions by connection, most recently active last."""

    def __init__(self) -> None:
        self._sessions: OrderedDict[str, ServerSession] = OrderedDict()

    def seen(self, ctx: ServerRequestContext[Any, Any]) -> str | None:
        """Remember the connection a request came on; return its MCP session id, if any."""
        session_id = _session_id(ctx)
        self.remember(ctx.session, session_id)
        return session_id

    def remember(self, session: ServerSession, session_id: str | None) -> None:
        key = session_id or ""  # stdio (one client), or HTTP without sessions
        self._sessions[key] = session
        self._sessions.move_to_end(key)
        while len(self._sessions) > MAX_CLIENTS:
            self._sessions.popitem(last=False)

    def __len__(self) -> int:
        return len(self._sessions)

    async def notify_all(self, method: str, params: Mapping[str, Any] | None) -> None:
        try:
            notification = _NOTIFICATION.validate_python(_message(method, params))
        except ValidationError:
            logger.debug("not relayed: %s is not a notification this SDK can send", method)
            return
        for session in list(self._sessions.values()):
            try:
                await session.send_notification(notification)
            except Exception as exc:  # a gone client must not stop the others
                logger.debug("notification %s not delivered: %s", method, exc)

    async def ask_latest(self, method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Relay a server-to-client request to the most recent client and return its answer."""
        if not self._sessions:
            raise MCPError(INVALID_REQUEST, f"{method}: no client is connected to the proxy")
        try:
            request = _REQUEST.validate_python(_message(method, params))
        except ValidationError:
            raise MCPError(INVALID_REQUEST, f"{method} cannot be relayed to the client") from None
        session = next(reversed(self._sessions.values()))
        result = await session.send_request(request, AnyResult)
        return result.model_dump(by_alias=True, mode="json", exclude_unset=True)


def _message(method: str, params: Mapping[str, Any] | None) -> dict[str, Any]:
    return {"method": method, "params": dict(params)} if params is not None else {"method": method}


def _session_id(ctx: ServerRequestContext[Any, Any]) -> str | None:
    headers = getattr(ctx.request, "headers", None)
    value = headers.get("mcp-session-id") if headers is not None else None
    return value if isinstance(value, str) and value else None
