"""The kill switch and spend over HTTP: pause/resume agents, sessions or everything; record spend.

Pausing needs a guardian or admin token, resuming an admin one; spend is recorded by a service
token (guardian or admin) and never by the agent it is charged to. Each change is a ledger entry.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from guardian.core.errors import GuardianError
from guardian.governance.amounts import AmountError
from guardian.governance.budget import BudgetError, BudgetExhausted
from guardian.governance.pause import PauseForbidden
from guardian.server.access import Rule
from guardian.server.auth import CallerDep, authorize
from guardian.server.errors import ApiError, error_responses
from guardian.server.state import state_of

router = APIRouter(prefix="/v1", tags=["control"], dependencies=[Depends(authorize)])

_PAUSERS = Rule(frozenset({"guardian", "admin"}))
_ADMIN = Rule(frozenset({"admin"}))
ACCESS_RULES: dict[tuple[str, str], Rule] = {
    ("POST", "/v1/agents/{agent_id}/pause"): _PAUSERS,
    ("POST", "/v1/agents/{agent_id}/resume"): _ADMIN,
    ("POST", "/v1/sessions/{session_id}/pause"): _PAUSERS,
    ("POST", "/v1/sessions/{session_id}/resume"): _ADMIN,
    ("POST", "/v1/pause"): _PAUSERS,
    ("POST", "/v1/resume"): _ADMIN,
    ("GET", "/v1/pauses"): Rule(frozenset({"approver", "guardian", "admin"})),
    ("GET", "/v1/budgets"): Rule(frozenset({"approver", "guardian", "admin"})),
    ("POST", "/v1/charges"): _PAUSERS,
}


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field("", max_length=2000)


class PauseOut(BaseModel):
    scope: str
    key: str
    changed: bool = Field(description="false when it was already in that state")


class ChargeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    agent_id: str = Field(min_length=1, max_length=200)
    unit: str = Field(pattern="^(tokens|money|calls)$")
    amount: str = Field(min_length=1, max_length=40, description="a positive decimal, as a string")
    currency: str = Field("", max_length=3)
    decision_id: str | None = Field(None, max_length=200)
    note: str = Field("", max_length=2000)


def _fail(exc: GuardianError) -> ApiError:
    if isinstance(exc, PauseForbidden):
        return ApiError(403, exc.code, str(exc))
    if isinstance(exc, BudgetExhausted):
        return ApiError(409, exc.code, str(exc))
    if isinstance(exc, (AmountError, BudgetError)):
        return ApiError(422, exc.code, str(exc))
    return ApiError(400, exc.code, str(exc))


async def _switch(
    request: Request, caller: Any, scope: str, key: str, pause: bool, reason: str
) -> dict[str, Any]:
    board = state_of(request).guardian.pauses
    act = board.pause if pause else board.resume
    try:
        changed = await run_in_threadpool(
            act, scope, key, caller.principal, reason or f"via the API by {caller.principal.id}"
        )
    except GuardianError as exc:
        raise _fail(exc) from None
    return {"scope": scope, "key": key, "changed": changed}


@router.post("/agents/{agent_id}/pause", response_model=PauseOut, responses=error_responses(),
             summary="Pause an agent: its intents are DENY `paused`, its proposals not approvable")  # fmt: skip
async def pause_agent(
    agent_id: str, body: Reason, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return await _switch(request, caller, "agent", agent_id, True, body.reason)


@router.post("/agents/{agent_id}/resume", response_model=PauseOut, responses=error_responses(),
             summary="Resume an agent (admin)")  # fmt: skip
async def resume_agent(
    agent_id: str, body: Reason, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return await _switch(request, caller, "agent", agent_id, False, body.reason)


@router.post("/sessions/{session_id}/pause", response_model=PauseOut, responses=error_responses(),
             summary="Pause one session")  # fmt: skip
async def pause_session(
    session_id: str, body: Reason, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return await _switch(request, caller, "session", session_id, True, body.reason)


@router.post("/sessions/{session_id}/resume", response_model=PauseOut, responses=error_responses(),
             summary="Resume one session (admin)")  # fmt: skip
async def resume_session(
    session_id: str, body: Reason, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return await _switch(request, caller, "session", session_id, False, body.reason)


@router.post(
    "/pause",
    response_model=PauseOut,
    responses=error_responses(),
    summary="The kill switch: pause everything",
)
async def pause_all(body: Reason, caller: CallerDep, request: Request) -> dict[str, Any]:
    return await _switch(request, caller, "all", "*", True, body.reason)


@router.post(
    "/resume",
    response_model=PauseOut,
    responses=error_responses(),
    summary="Lift the kill switch (admin)",
)
async def resume_all(body: Reason, caller: CallerDep, request: Request) -> dict[str, Any]:
    return await _switch(request, caller, "all", "*", False, body.reason)


@router.get("/pauses", responses=error_responses(), summary="Active pauses")
async def list_pauses(caller: CallerDep, request: Request) -> dict[str, Any]:
    active = await run_in_threadpool(state_of(request).guardian.pauses.active)
    return {"pauses": [{"scope": s, "key": k, "reason": r} for (s, k), r in sorted(active.items())]}


@router.get("/budgets", responses=error_responses(), summary="Every cap and what has been spent")
async def list_budgets(caller: CallerDep, request: Request) -> dict[str, Any]:
    items = await run_in_threadpool(state_of(request).guardian.budgets.all)
    return {"budgets": [b.to_dict() for b in items]}


@router.post("/charges", responses=error_responses(409, 422),
             summary="Record spend for an agent (a service token, never the agent itself)")  # fmt: skip
async def charge(body: ChargeIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    budgets = state_of(request).guardian.budgets
    try:
        budget = await run_in_threadpool(
            lambda: budgets.charge(body.agent_id, body.unit, body.amount, caller.principal,
                                   currency=body.currency, decision_id=body.decision_id, note=body.note)
        )  # fmt: skip
    except GuardianError as exc:
        raise _fail(exc) from None
    return budget.to_dict()
