"""The dashboard's credential: the session cookie, re-checked against its token on every request,
and a CSRF secret per session that every POST must echo (form field or X-CSRF-Token header)."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from guardian.governance.tokens import TokenInfo
from guardian.server.errors import ApiError
from guardian.server.sessions import WebSession
from guardian.server.state import ServerState, state_of

COOKIE = "guardian_session"
LOGIN_CSRF_COOKIE = "guardian_login_csrf"
DASHBOARD_ROLES = ("approver", "admin")


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: TokenInfo
    session: WebSession
    cookie: str


def _lookup(state: ServerState, cookie: str) -> SignedIn | None:
    session = state.sessions.get(cookie)
    if session is None:
        return None
    token = state.tokens.get(session.token_id)
    now = state.guardian.clock.now_iso()
    if token is None or token.status(now) != "active" or token.role not in DASHBOARD_ROLES:
        return None
    return SignedIn(token, session, cookie)


async def signed_in(request: Request) -> SignedIn | None:
    """The signed-in approver or admin of this request, or None."""
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    return await run_in_threadpool(_lookup, state_of(request), cookie)


async def require_session(request: Request) -> SignedIn:
    who = await signed_in(request)
    if who is None:
        raise ApiError(401, "unauthorized", "sign in at /login first")
    return who


def check_csrf(who: SignedIn, presented: str | None) -> None:
    if not presented or not hmac.compare_digest(presented.encode(), who.session.csrf.encode()):
        raise ApiError(403, "csrf_failed", "missing or wrong CSRF token; reload the page")
