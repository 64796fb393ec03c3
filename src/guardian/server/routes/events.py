"""`GET /v1/events`: the ledger as a Server-Sent Events stream (see events/stream.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import StreamingResponse

from guardian.server.auth import CallerDep, authenticate, authorize, bearer_secret
from guardian.server.errors import ApiError, error_responses
from guardian.server.events.stream import DEFAULT_KINDS, parse_last_event_id, tail
from guardian.server.state import state_of

router = APIRouter(prefix="/v1", tags=["events"], dependencies=[Depends(authorize)])

SSE_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}


@router.get(
    "/events",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "one event per ledger entry: id = seq, event = kind, data = entry",
        },
        **error_responses(),
    },
    summary="Live ledger events (decisions, approvals, receipts, grants); resumable",
)
async def events(
    caller: CallerDep,
    request: Request,
    last_event_id: Annotated[str | None, Header(max_length=30)] = None,
    after: Annotated[int | None, Query(ge=0, le=2**62, description="start after this seq")] = None,
    kinds: Annotated[str | None, Query(max_length=500, description="comma-separated")] = None,
) -> StreamingResponse:
    start = parse_last_event_id(last_event_id)
    start = after if start is None else start
    wanted = tuple(k.strip() for k in kinds.split(",") if k.strip()) if kinds else DEFAULT_KINDS
    state, secret = state_of(request), bearer_secret(request)

    async def still_allowed() -> bool:
        try:
            await authenticate(state, secret)
        except ApiError:
            return False
        return True

    stream = tail(state, start, frozenset(wanted), still_allowed)
    return StreamingResponse(stream, media_type="text/event-stream", headers=SSE_HEADERS)
