"""Standing grants: list them, revoke one (the revocation is a ledger entry)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from guardian.server.auth import CallerDep, authorize
from guardian.server.errors import error_responses
from guardian.server.schemas import GrantList, GrantOut
from guardian.server.state import state_of
from guardian.server.views import grant_view

router = APIRouter(prefix="/v1/grants", tags=["grants"], dependencies=[Depends(authorize)])


@router.get("", response_model=GrantList, responses=error_responses(),
            summary="Grants, newest first: active ones, or all with include_inactive")  # fmt: skip
def list_grants(
    caller: CallerDep,
    request: Request,
    include_inactive: Annotated[bool, Query()] = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> dict[str, Any]:
    state = state_of(request)
    now = state.guardian.clock.now_iso()
    items = state.approvals.grants.recent(include_inactive=include_inactive, limit=limit)
    return {"grants": [grant_view(g, now) for g in items]}


@router.delete("/{grant_id}", response_model=GrantOut, responses=error_responses(404),
               summary="Revoke a grant now (idempotent)")  # fmt: skip
def revoke_grant(grant_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
    state = state_of(request)
    grant = state.approvals.grants.revoke(grant_id, caller.principal)
    return grant_view(grant, state.guardian.clock.now_iso())
