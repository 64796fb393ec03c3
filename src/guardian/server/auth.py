"""Bearer-token authentication and the access check, as one FastAPI dependency.

The token decides everything about the caller: its principal (actor id, role, authority) and what it
may call (`access.ACCESS`). Nothing a client puts in a body or header other than the token is
trusted for identity. The scheme is declared in OpenAPI (`HTTPBearer`), so /docs can send a token.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from guardian.core.principal import Principal
from guardian.governance.tokens import InvalidToken, TokenInfo
from guardian.server.access import Rule, rule_for
from guardian.server.errors import ApiError
from guardian.server.state import ServerState, state_of

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="guardian"'}
#: The OpenAPI security scheme; errors are ours (auto_error=False), in the one error shape.
BEARER = HTTPBearer(auto_error=False, description="a token from `guardian token create`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


@dataclass(frozen=True, slots=True)
class Caller:
    token: TokenInfo
    #: The route shows this caller only its own resources (see `access.Rule.own`).
    restricted: bool

    @property
    def principal(self) -> Principal:
        return self.token.principal

    @property
    def actor(self) -> str:
        return self.token.agent_id or self.token.name

    def may_see(self, actor: str) -> bool:
        return not self.restricted or actor == self.actor


@dataclass(frozen=True, slots=True)
class Attempt:
    """What a request presents, taken on the event loop; checked where the lookup is cheapest."""

    rule: Rule
    secret: str
    method: str
    path: str


def route_rule(request: Request) -> Rule:
    route = request.scope.get("route")
    path = getattr(route, "path", None)
    rule = rule_for(request.method, path) if isinstance(path, str) else None
    if rule is None:  # create_app checks every route has a rule; this is the fail-closed backstop
        raise ApiError(403, "forbidden", f"no access rule for {request.method} {request.url.path}")
    return rule


def bearer_secret(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "unauthorized",
                       "missing credentials: send the header Authorization: Bearer <token>",
                       headers=_CHALLENGE)  # fmt: skip
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ApiError(401, "unauthorized", "the Authorization header must be 'Bearer <token>'",
                       headers=_CHALLENGE)  # fmt: skip
    return secret.strip()


def attempt(request: Request) -> Attempt:
    return Attempt(route_rule(request), bearer_secret(request), request.method, request.url.path)


def token_of(state: ServerState, secret: str) -> TokenInfo:
    try:
        return state.tokens.authenticate(secret)
    except InvalidToken as exc:
        raise ApiError(401, "invalid_token", str(exc), {"reason": exc.reason},
                       headers=_CHALLENGE) from None  # fmt: skip


def check(state: ServerState, attempt: Attempt) -> Caller:
    """The caller, if its token is active and its role may call the route (blocking: one read)."""
    token = token_of(state, attempt.secret)
    if token.role not in attempt.rule.roles:
        raise ApiError(403, "forbidden",
                       f"a {token.role} token may not call {attempt.method} {attempt.path}",
                       {"role": token.role})  # fmt: skip
    return Caller(token, token.role in attempt.rule.own)


async def authenticate(state: ServerState, secret: str) -> TokenInfo:
    """The token's record. A SQLite lookup is a ~10 µs local read, made on the event loop (a thread
    hop would cost more than the read); a networked database is asked from a worker thread."""
    if state.tokens.local_lookup is not None:
        return token_of(state, secret)
    return await run_in_threadpool(token_of, state, secret)


async def authorize(request: Request, _: Credentials = None) -> Caller:
    """The caller of a bearer-token route, after checking its role against the route's rule."""
    state, tried = state_of(request), attempt(request)
    if state.tokens.local_lookup is not None:
        return check(state, tried)
    return await run_in_threadpool(check, state, tried)


CallerDep = Annotated[Caller, Depends(authorize)]
