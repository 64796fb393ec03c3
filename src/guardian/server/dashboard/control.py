"""The dashboard's kill switch: pause and resume an agent from the agents page (admins; an
approver's attempt is refused 403, like the API's), and each agent's pause state and spend."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from guardian.governance.pause import PauseForbidden
from guardian.server.access import DASHBOARD, Rule
from guardian.server.dashboard.guard import check_csrf, require_session
from guardian.server.errors import ApiError
from guardian.server.state import state_of

router = APIRouter(include_in_schema=False)

ACCESS_RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/agents/{agent_id}/pause"): DASHBOARD,
    ("POST", "/agents/{agent_id}/resume"): DASHBOARD,
}


def agent_control(request: Request) -> dict[str, dict[str, Any]]:
    """Per agent: why it is paused (or None) and its spend against each cap, for the agents page."""
    guardian = state_of(request).guardian
    out: dict[str, dict[str, Any]] = {}
    for (scope, key), reason in guardian.pauses.active().items():
        if scope == "agent":
            out.setdefault(key, {"paused": None, "spend": []})["paused"] = reason
    for budget in guardian.budgets.all():
        if budget.scope == "agent":
            info = budget.to_dict()
            out.setdefault(budget.key, {"paused": None, "spend": []})["spend"].append(
                f"{info['spent']} / {info['cap']}"
            )
    return out


async def _switch(request: Request, agent_id: str, pause: bool) -> Response:
    who = await require_session(request)
    form: dict[str, Any] = {k: str(v) for k, v in (await request.form()).items()}
    check_csrf(who, request.headers.get("x-csrf-token") or form.get("csrf"))
    reason = (
        form.get("reason", "").strip()[:2000] or f"from the dashboard by {who.token.principal.id}"
    )
    board = state_of(request).guardian.pauses
    act = board.pause if pause else board.resume
    try:
        await run_in_threadpool(act, "agent", agent_id, who.token.principal, reason)
    except PauseForbidden as exc:
        raise ApiError(403, exc.code, str(exc)) from None
    return RedirectResponse("/agents", status_code=303)


@router.post("/agents/{agent_id}/pause")
async def pause(request: Request, agent_id: str) -> Response:
    return await _switch(request, agent_id, True)


@router.post("/agents/{agent_id}/resume")
async def resume(request: Request, agent_id: str) -> Response:
    return await _switch(request, agent_id, False)
