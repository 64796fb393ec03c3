"""The dashboard's POSTs and its event stream: sign in/out, approve, reject, verify.

Every POST but sign-in needs the session cookie and its CSRF token; sign-in itself is protected by a
double-submit cookie (SameSite=Strict), so another site cannot sign a browser in. Approve and reject
go through the same `Approvals` as the API: same rules, same ledger entries, same 409 on a race.
JavaScript callers (`Accept: application/json`) get JSON; plain form posts are redirected back.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from guardian.core.errors import GuardianError
from guardian.governance.tokens import InvalidToken
from guardian.server import deciding
from guardian.server.dashboard.guard import (
    COOKIE,
    DASHBOARD_ROLES,
    LOGIN_CSRF_COOKIE,
    SignedIn,
    check_csrf,
    require_session,
    signed_in,
)
from guardian.server.dashboard.pages import render
from guardian.server.errors import ApiError, domain_error
from guardian.server.events.stream import DEFAULT_KINDS, parse_last_event_id, tail
from guardian.server.routes.events import SSE_HEADERS
from guardian.server.routes.ledger import verify_ledger
from guardian.server.state import ServerState, state_of

router = APIRouter(include_in_schema=False)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _login_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    csrf = secrets.token_urlsafe(24)
    response = render(request, "login.html", None, status, login_csrf=csrf, error=error)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="strict", path="/login",
                        secure=state_of(request).settings.secure_cookies)  # fmt: skip
    return response


@router.get("/login")
async def login_form(request: Request) -> Response:
    if await signed_in(request) is not None:
        return RedirectResponse("/", status_code=303)
    return _login_page(request)


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    state = state_of(request)
    cookie, field = request.cookies.get(LOGIN_CSRF_COOKIE, ""), str(form.get("csrf", ""))
    if not cookie or not secrets.compare_digest(cookie.encode(), field.encode()):
        return _login_page(request, "The sign-in form expired; please try again.", 403)
    try:
        token = await run_in_threadpool(
            state.tokens.authenticate, str(form.get("token", "")).strip()
        )
    except InvalidToken as exc:
        return _login_page(request, f"Sign-in refused: {exc}.", 401)
    if token.role not in DASHBOARD_ROLES:
        return _login_page(request, f"A {token.role} token cannot sign in here; "
                                    "use an approver or admin token.", 403)  # fmt: skip
    value, _ = await run_in_threadpool(state.sessions.create, token)
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(COOKIE, value, httponly=True, samesite="strict", path="/",
                        secure=state.settings.secure_cookies,
                        max_age=int(state.settings.session_ttl))  # fmt: skip
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


async def _session_post(request: Request) -> tuple[SignedIn, dict[str, Any]]:
    """The signed-in caller of a POST and its form, after the CSRF check."""
    who = await require_session(request)
    form = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(who, request.headers.get("x-csrf-token") or form.get("csrf"))
    return who, form


@router.post("/logout")
async def logout(request: Request) -> Response:
    who, _ = await _session_post(request)
    await run_in_threadpool(state_of(request).sessions.end, who.cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


def _decide(state: ServerState, who: SignedIn, proposal_id: str, approve: bool,
            form: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    reason = form.get("reason", "").strip()[:2000]
    principal = who.token.principal
    if not approve:
        if not reason:
            raise ApiError(422, "invalid_request", "a reason is required to reject")
        return deciding.reject(state, proposal_id, principal, reason)
    hours = form.get("grant_hours", "").strip()
    try:
        grant_hours = float(hours) if hours else None
    except ValueError:
        raise ApiError(422, "invalid_request", f"grant hours: not a number: {hours!r}") from None
    target = form.get("grant_target", "").strip() or None
    return deciding.approve(state, proposal_id, principal, reason, grant_hours=grant_hours,
                            grant_target=target)  # fmt: skip


async def _decide_route(request: Request, proposal_id: str, approve: bool) -> Response:
    who, form = await _session_post(request)
    try:
        view = await run_in_threadpool(_decide, state_of(request), who, proposal_id, approve, form)
    except GuardianError as exc:
        raise domain_error(exc) from None
    if _wants_json(request):
        return JSONResponse(view)
    return RedirectResponse("/", status_code=303)


@router.post("/proposals/{proposal_id}/approve")
async def approve(request: Request, proposal_id: str) -> Response:
    return await _decide_route(request, proposal_id, True)


@router.post("/proposals/{proposal_id}/reject")
async def reject(request: Request, proposal_id: str) -> Response:
    return await _decide_route(request, proposal_id, False)


@router.post("/ledger/verify")
async def verify(request: Request) -> Response:
    who, _ = await _session_post(request)
    state = state_of(request)
    report = await run_in_threadpool(verify_ledger, state)
    if _wants_json(request):
        return JSONResponse(report)
    head = await run_in_threadpool(state.reads.head_seq)
    return render(
        request, "ledger.html", who, page="ledger", head=head, report=report, live_after=head
    )


@router.get("/events")
async def events(request: Request) -> StreamingResponse:
    """The live stream for the pages: from Last-Event-ID on a reconnect, else from the `after`
    seq the page was rendered at, so nothing between render and connect is missed."""
    await require_session(request)
    start = parse_last_event_id(request.headers.get("last-event-id"))
    if start is None:
        start = parse_last_event_id(request.query_params.get("after"))

    async def still_allowed() -> bool:
        return await signed_in(request) is not None

    stream = tail(state_of(request), start, frozenset(DEFAULT_KINDS), still_allowed)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
