"""The ledger over HTTP: verify it, page through it, export one session's signed bundle."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from guardian.core.errors import GuardianError
from guardian.governance.sessions import session_bundle
from guardian.ledger.verify import VerifyError, verify
from guardian.server.auth import CallerDep, authorize
from guardian.server.errors import ApiError, error_responses
from guardian.server.schemas import BundleOut, EntryPage, VerifyOut
from guardian.server.state import ServerState, state_of

router = APIRouter(prefix="/v1", tags=["ledger"], dependencies=[Depends(authorize)])


def verify_ledger(state: ServerState) -> dict[str, Any]:
    """The offline verifier's report on this server's database (chain, checkpoints, signatures)."""
    try:
        report = verify(state.database_url)
    except VerifyError as exc:
        raise ApiError(503, "ledger_unreadable", str(exc)) from None
    return report.to_dict()


@router.get("/ledger/verify", response_model=VerifyOut, responses=error_responses(503),
            summary="Verify the whole hash chain and the signed checkpoints")  # fmt: skip
def get_verify(caller: CallerDep, request: Request) -> dict[str, Any]:
    return verify_ledger(state_of(request))


@router.get("/ledger/entries", response_model=EntryPage, responses=error_responses(),
            summary="Ledger entries with seq > after, oldest first")  # fmt: skip
def get_entries(
    caller: CallerDep,
    request: Request,
    after: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    kind: Annotated[
        str | None, Query(max_length=64, description="only entries of this kind")
    ] = None,
) -> dict[str, Any]:
    reads = state_of(request).reads
    head = reads.head_seq()
    entries = reads.entries(after, limit, [kind] if kind else None)
    next_after = entries[-1].seq if entries else max(after, head if kind else after)
    return {"entries": [e.to_dict() for e in entries], "next_after": next_after, "head_seq": head}


@router.get("/sessions/{session_id}/bundle", response_model=BundleOut,
            responses=error_responses(404),
            summary="One session's decisions and receipts, signed (Ed25519)")  # fmt: skip
def get_bundle(session_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
    state = state_of(request)
    try:
        bundle = session_bundle(state.guardian, session_id)
    except GuardianError:
        raise ApiError(404, "not_found", f"no decisions of session {session_id!r}") from None
    actors = {d["payload"]["intent"]["actor"] for d in bundle.decisions}
    if caller.restricted and actors != {caller.actor}:
        raise ApiError(404, "not_found", f"no decisions of session {session_id!r}")
    return bundle.to_dict()
