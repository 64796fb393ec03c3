"""Approve or reject a proposal, the same way from the API and the dashboard.

An approval may carry a grant, and if a hook is registered for the proposal's action the server
runs it at once (decide again, consuming the approval; run; record the receipt).
"""

from __future__ import annotations

import logging
from typing import Any

from guardian import hooks
from guardian.core.principal import Principal
from guardian.governance.proposals import Proposal
from guardian.server.state import ServerState
from guardian.server.views import grant_view, proposal_view

log = logging.getLogger("guardian.server")


def approve(state: ServerState, proposal_id: str, principal: Principal, reason: str, *,
            grant_hours: float | None = None, grant_target: str | None = None) -> dict[str, Any]:  # fmt: skip
    grant = None
    if grant_hours is not None:
        proposal, grant = state.approvals.approve_and_grant(
            proposal_id, principal, reason, hours=grant_hours, target=grant_target
        )
    else:
        proposal = state.approvals.approve(proposal_id, principal, reason)
    execution = run_hook(state, proposal)
    if execution is not None:
        proposal = state.approvals.get(proposal_id)
    now = state.guardian.clock.now_iso()
    return {"proposal": proposal_view(proposal),
            "grant": grant_view(grant, now) if grant is not None else None,
            "execution": execution}  # fmt: skip


def reject(
    state: ServerState, proposal_id: str, principal: Principal, reason: str
) -> dict[str, Any]:
    proposal = state.approvals.reject(proposal_id, principal, reason)
    return {"proposal": proposal_view(proposal), "grant": None, "execution": None}


def _original_principal(state: ServerState, proposal: Proposal) -> Principal:
    """Who raised the proposal, as its decision entry recorded (authority included)."""
    entry = state.reads.by_decision("decision", proposal.decision_id)
    if entry is None:
        return Principal.for_agent(proposal.actor)
    return Principal(**entry.payload["principal"])


def run_hook(state: ServerState, proposal: Proposal) -> dict[str, Any] | None:
    if hooks.handler_for(proposal.action) is None:
        return None
    try:
        run = hooks.run_approved(state.guardian, proposal, _original_principal(state, proposal))
    except Exception:  # the approval stands; a hook that cannot even start is logged
        log.exception("hook for %s (proposal %s) failed before its receipt", proposal.action,
                      proposal.id)  # fmt: skip
        return None
    return run.to_dict() if run is not None else None
