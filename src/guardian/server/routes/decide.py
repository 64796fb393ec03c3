"""`POST /v1/decide`: the hot path. An intent in, a DecisionRecord out (an ASK names its proposal).

The whole request is checked and decided in one worker thread: token lookup, role, claims, then the
decision, which waits for the ledger's group commit. One hand-over instead of two, and no database
read on the event loop, which serves every other request meanwhile.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from guardian.core.principal import Principal
from guardian.server.auth import BEARER, Attempt, Caller, attempt, check
from guardian.server.errors import ApiError, error_responses
from guardian.server.schemas import DecideRequest, DecisionOut
from guardian.server.state import ServerState, state_of
from guardian.server.views import record_view

router = APIRouter(prefix="/v1", tags=["decisions"])

IMPERSONATION = "impersonation_attempt"


def refuse_false_claims(state: ServerState, caller: Caller, body: DecideRequest) -> None:
    """A body may repeat the token's actor and lower its authority, nothing more: any other claim
    is refused and written to the ledger as a `security` entry flagged `impersonation_attempt`."""
    claimed: dict[str, Any] = {}
    if body.actor is not None and body.actor != caller.actor:
        claimed["actor"] = body.actor
    if body.authority is not None and body.authority > caller.token.authority:
        claimed["authority"] = body.authority
    if not claimed:
        return
    state.guardian.ledger.append("security", {
        "flag": IMPERSONATION, "route": "POST /v1/decide", "claimed": claimed,
        "principal": caller.principal.to_dict(),
        "token": {"id": caller.token.id, "name": caller.token.name},
        "intent": {"action": body.action, "target": body.target},
    })  # fmt: skip
    what = " and ".join(f"{k} {v!r}" for k, v in claimed.items())
    raise ApiError(403, IMPERSONATION,
                   f"this token is {caller.actor!r} with authority {caller.token.authority}; "
                   f"it may not claim {what} (recorded)",
                   {"flag": IMPERSONATION, "claimed": claimed})  # fmt: skip


def decide_as(state: ServerState, tried: Attempt, body: DecideRequest) -> bytes:
    """Authorize, refuse false claims, decide; the DecisionRecord as JSON (blocking)."""
    caller = check(state, tried)
    refuse_false_claims(state, caller, body)
    principal = caller.principal
    if body.authority is not None and body.authority < principal.authority:
        principal = Principal(principal.id, principal.role, body.authority)
    started = time.perf_counter()
    record = state.guardian.decide(principal.id, body.action, body.target, body.params,
                                   body.metadata, body.session_id, body.task_id,
                                   principal=principal)  # fmt: skip
    state.metrics.observe(record.decision.value, time.perf_counter() - started)
    return orjson.dumps(record_view(record))


@router.post("/decide", response_model=DecisionOut, responses=error_responses(),
             summary="Decide one intent; an ASK opens a proposal",
             openapi_extra={"security": [{BEARER.scheme_name: []}]})  # fmt: skip
async def decide(body: DecideRequest, request: Request) -> Response:
    # The bearer scheme is declared (openapi_extra), not run as a dependency: resolving one costs
    # this route ~10% of its throughput, and the token is checked in the worker thread anyway.
    state = state_of(request)
    loop = asyncio.get_running_loop()
    data = await loop.run_in_executor(state.deciders, decide_as, state, attempt(request), body)
    return Response(data, media_type="application/json")
