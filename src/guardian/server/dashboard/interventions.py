"""The dashboard's interventions page: recent guardian actions with their before/after state, and a
revert button for guardian-level users (token authority 4 or more).

Same conventions as the other pages: a signed-in approver or admin sees it (else /login); the revert
is a plain form POST carrying the session's CSRF token, checked here, and goes through the same
`GuardianService` as the API (same authority check, same ledger entries, same 409 when it was
reverted already). No script is needed: the form posts and the page redirects back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from guardian.core.errors import GuardianError
from guardian.governance.interventions.authority import GUARDIAN
from guardian.governance.interventions.errors import status_of
from guardian.server.access import DASHBOARD, Rule
from guardian.server.dashboard.guard import SignedIn, check_csrf, require_session, signed_in
from guardian.server.dashboard.pages import render, to_login
from guardian.server.state import state_of

router = APIRouter(include_in_schema=False)

#: The access table's entries for this page (`ACCESS.update(ACCESS_RULES)` in access.py).
ACCESS_RULES: dict[tuple[str, str], Rule] = {
    ("GET", "/interventions"): DASHBOARD,
    ("POST", "/interventions/{action_id}/revert"): DASHBOARD,
}


async def _page(
    request: Request, who: SignedIn, error: str | None = None, status: int = 200
) -> Response:
    service = state_of(request).guardian.interventions
    actions = await run_in_threadpool(service.get_actions, 100)
    return render(request, "interventions.html", who, status, page="interventions",
                  actions=[a.to_dict() for a in actions], may_revert=who.token.authority >= GUARDIAN,
                  error=error)  # fmt: skip


@router.get("/interventions")
async def interventions(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return to_login()
    return await _page(request, who)


@router.post("/interventions/{action_id}/revert")
async def revert(request: Request, action_id: str) -> Response:
    who = await require_session(request)
    form: dict[str, Any] = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(who, request.headers.get("x-csrf-token") or form.get("csrf"))
    reason = form.get("reason", "").strip()[:4000]
    service = state_of(request).guardian.interventions
    try:
        await run_in_threadpool(
            lambda: service.revert_intervention(action_id, reason, principal=who.token.principal)
        )
    except GuardianError as exc:
        return await _page(request, who, f"Revert refused: {exc}", status_of(exc))
    return RedirectResponse("/interventions", status_code=303)
