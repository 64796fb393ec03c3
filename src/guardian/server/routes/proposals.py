"""Proposals over HTTP: list, read, long-poll, approve (optionally with a grant), reject.

Every rule lives in `Approvals` (who may decide, once, before expiry; refusals recorded); this module
only maps it to HTTP. A decision that loses a race is a 409, never a second ledger entry.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from starlette.concurrency import run_in_threadpool

from guardian.governance.proposals import PENDING, Proposal
from guardian.server import deciding
from guardian.server.auth import Caller, CallerDep, authorize
from guardian.server.errors import ApiError, error_responses
from guardian.server.schemas import (
    ApproveRequest,
    DecidedOut,
    ProposalList,
    ProposalOut,
    ProposalStatus,
    RejectRequest,
)
from guardian.server.settings import MAX_WAIT_SECONDS
from guardian.server.state import ServerState, state_of
from guardian.server.views import proposal_view

router = APIRouter(prefix="/v1/proposals", tags=["proposals"], dependencies=[Depends(authorize)])


def visible(state: ServerState, caller: Caller, proposal_id: str) -> Proposal:
    """The proposal as it stands (expired first if overdue); 404 if it is not the caller's to see."""
    proposal = state.approvals.current(proposal_id)
    if not caller.may_see(proposal.actor):
        raise ApiError(404, "not_found", f"no proposal {proposal_id!r}")
    return proposal


@router.get("", response_model=ProposalList, responses=error_responses(),
            summary="Proposals, newest first (an agent sees its own)")  # fmt: skip
def list_proposals(
    caller: CallerDep,
    request: Request,
    status: Annotated[ProposalStatus | None, Query(description="only this status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    actor = caller.actor if caller.restricted else None
    items = state_of(request).approvals.recent(status, limit, actor=actor)
    return {"proposals": [proposal_view(p) for p in items]}


@router.get("/{proposal_id}", response_model=ProposalOut, responses=error_responses(404),
            summary="One proposal with its full intent and the reasons it was asked")  # fmt: skip
def get_proposal(proposal_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
    return proposal_view(visible(state_of(request), caller, proposal_id))


@router.get("/{proposal_id}/wait", response_model=ProposalOut, responses=error_responses(404),
            summary="Long-poll until the proposal is decided or `timeout` seconds pass")  # fmt: skip
async def wait_proposal(
    proposal_id: str,
    caller: CallerDep,
    request: Request,
    timeout: Annotated[float, Query(ge=0, le=MAX_WAIT_SECONDS)] = 30.0,
) -> dict[str, Any]:
    state = state_of(request)
    deadline = time.monotonic() + timeout
    while True:
        seen = state.watcher.head
        proposal = await run_in_threadpool(visible, state, caller, proposal_id)
        remaining = deadline - time.monotonic()
        if proposal.status != PENDING or remaining <= 0:
            return proposal_view(proposal)
        await state.watcher.wait_past(seen, min(remaining, 1.0))


@router.post("/{proposal_id}/approve", response_model=DecidedOut,
             responses=error_responses(404, 409),
             summary="Approve (approver or admin); optionally grant the same for N hours")  # fmt: skip
def approve(proposal_id: str, body: ApproveRequest, caller: CallerDep,
            request: Request) -> dict[str, Any]:  # fmt: skip
    grant = body.grant
    return deciding.approve(state_of(request), proposal_id, caller.principal, body.reason,
                            grant_hours=grant.hours if grant else None,
                            grant_target=grant.target if grant else None)  # fmt: skip


@router.post("/{proposal_id}/reject", response_model=DecidedOut,
             responses=error_responses(404, 409),
             summary="Reject (approver or admin), with a reason")  # fmt: skip
def reject(proposal_id: str, body: RejectRequest, caller: CallerDep,
           request: Request) -> dict[str, Any]:  # fmt: skip
    return deciding.reject(state_of(request), proposal_id, caller.principal, body.reason)
