"""`GET /v1/decisions/{id}`, `POST /v1/receipts`: a decision, and what happened when it ran."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Request, Response

from guardian.server.auth import CallerDep, authorize
from guardian.server.errors import ApiError, error_responses
from guardian.server.schemas import DecisionDetail, ReceiptOut, ReceiptRequest
from guardian.server.state import state_of
from guardian.server.views import entry_decision_view, receipt_view

router = APIRouter(prefix="/v1", tags=["decisions"], dependencies=[Depends(authorize)])


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status, media_type="application/json")


@router.get("/decisions/{decision_id}", response_model=DecisionDetail,
            responses=error_responses(404), summary="One decision and its receipt, if any")  # fmt: skip
def get_decision(decision_id: str, caller: CallerDep, request: Request) -> Response:
    reads = state_of(request).reads
    entry = reads.by_decision("decision", decision_id)
    if entry is None or not caller.may_see(entry.payload["intent"]["actor"]):
        raise ApiError(404, "not_found", f"no decision {decision_id!r}")
    receipt = reads.by_decision("receipt", decision_id)
    view = entry_decision_view(entry)
    view["receipt"] = receipt_view(receipt) if receipt is not None else None
    return _json(view)


@router.post("/receipts", response_model=ReceiptOut, status_code=201,
             responses=error_responses(404, 409),
             summary="Record what happened when an allowed decision was executed (once)")  # fmt: skip
def post_receipt(body: ReceiptRequest, caller: CallerDep, request: Request) -> Response:
    state = state_of(request)
    decision = state.reads.by_decision("decision", body.decision_id)
    if decision is None or not caller.may_see(decision.payload["intent"]["actor"]):
        raise ApiError(404, "not_found", f"no decision {body.decision_id!r}")
    entry = state.guardian.record_receipt(
        body.decision_id, body.status, body.output, body.started_at, body.finished_at,
        error_type=body.error_type, redactions=body.redactions,
    )  # fmt: skip
    return _json(receipt_view(entry), 201)
