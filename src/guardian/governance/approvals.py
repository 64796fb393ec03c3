"""The human approval gate: who may approve which proposal, once, before it expires.

Rules (each refusal is written to the ledger with a flag, then raised):
- only `approver` and `admin` principals decide; an agent never does (`approval_forbidden`);
- nobody decides a proposal they raised (`self_approval_attempt`);
- a rule marked `never_auto_approve` is approved by a human `approver` only (`approval_forbidden`);
- an expired proposal is DENY, recorded, and can no longer be approved.
An approval allows exactly the proposal's intent (by hash), once: the next decision of that intent
consumes it and becomes ALLOW, linking to the approval. An approval may also give a grant (see
grants.py): later ASKs of the same actor + action on a matching target become ALLOW until it ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from guardian.core.clock import Clock, iso_utc
from guardian.core.errors import GuardianError
from guardian.core.principal import Principal
from guardian.governance.grants import Grant, GrantError, Grants, check_grant
from guardian.governance.proposals import (
    APPROVED,
    EXPIRED,
    PENDING,
    REJECTED,
    USED,
    Proposal,
    ProposalStore,
)
from guardian.ledger.store import Ledger

DECIDING_ROLES = ("approver", "admin")
DEFAULT_TIMEOUT_SECONDS = 15 * 60


class ApprovalForbidden(GuardianError, PermissionError):
    code = "approval_forbidden"

    def __init__(self, message: str, flag: str) -> None:
        super().__init__(message)
        self.flag = flag


class ApprovalConflict(GuardianError):
    """The proposal is no longer pending (decided, expired or used): 409, not a retry."""

    code = "approval_conflict"


class ProposalNotFound(GuardianError, LookupError):
    code = "not_found"


class Approvals:
    def __init__(
        self,
        store: ProposalStore,
        ledger: Ledger,
        clock: Clock,
        *,
        default_timeout: float = DEFAULT_TIMEOUT_SECONDS,
        approval_ttl: float = DEFAULT_TIMEOUT_SECONDS,
        grants: Grants | None = None,
    ) -> None:
        self.store = store
        self.grants = grants if grants is not None else Grants(store.engine, ledger, clock)
        self._ledger = ledger
        self._clock = clock
        self._default_timeout = default_timeout
        self._approval_ttl = approval_ttl

    def open(self, proposal_id: str, decision_id: str, intent: dict[str, Any], intent_hash: str,
             rule: Any, reasons: list[dict[str, str]]) -> Proposal:  # fmt: skip
        """Create the pending proposal for an ASK (before its decision entry is written)."""
        now = self._clock.now()
        timeout = getattr(rule, "approval_timeout_seconds", None) or self._default_timeout
        proposal = Proposal(
            proposal_id, decision_id, intent_hash, intent["actor"], intent["action"],
            intent["target"], intent, getattr(rule, "id", None), reasons,
            bool(getattr(rule, "never_auto_approve", False)), PENDING, iso_utc(now),
            iso_utc(now + timedelta(seconds=timeout)),
        )  # fmt: skip
        self.store.create(proposal)
        return proposal

    def consume(self, intent_hash: str, decision_id: str) -> Proposal | None:
        """Use one approval of exactly this intent, if there is one; atomic across processes."""
        for proposal in self.store.approved_for(intent_hash, self._clock.now_iso()):
            if self.store.transition(proposal.id, APPROVED, USED, used_by=decision_id):
                return proposal
        return None

    def use_grant(self, actor: str, action: str, target: str, rule: Any) -> Grant | None:
        """An active grant covering this ASK (never for a `never_auto_approve` rule), its use counted."""
        if getattr(rule, "never_auto_approve", False):
            return None
        return self.grants.use(actor, action, target)

    def get(self, proposal_id: str) -> Proposal:
        proposal = self.store.get(proposal_id)
        if proposal is None:
            raise ProposalNotFound(f"no proposal {proposal_id!r}")
        return proposal

    def current(self, proposal_id: str) -> Proposal:
        """The proposal as it stands now: a pending one past its deadline is expired (DENY) first."""
        proposal = self.get(proposal_id)
        if proposal.status == PENDING and self._expired(proposal):
            try:
                self._expire(proposal)
            except ApprovalConflict:
                return self.get(proposal_id)
        return proposal

    def recent(self, status: str | None = None, limit: int = 100, *,
             actor: str | None = None) -> list[Proposal]:  # fmt: skip
        """Proposals newest first, after expiring the overdue ones so none shows as pending."""
        self.expire_overdue()
        return self.store.recent(status, limit, actor=actor)

    def approve_and_grant(self, proposal_id: str, principal: Principal, reason: str, *,
                          hours: float, target: str | None = None) -> tuple[Proposal, Grant]:  # fmt: skip
        """Approve, and grant the proposal's actor + action on `target` (default: its own target)
        for `hours`. The grant is checked before the approval, so a bad grant approves nothing."""
        proposal = self.get(proposal_id)
        self._authorize(proposal, principal, APPROVED, reason)
        target = proposal.target if target is None else target
        check_grant(hours, target)
        if proposal.never_auto_approve:
            raise GrantError(
                f"proposal {proposal_id} matched a never_auto_approve rule: it can be approved "
                "once, but no standing grant can be given for it"
            )
        approved = self._decide(proposal_id, principal, APPROVED, reason)
        grant = self.grants.create(
            proposal.id, proposal.actor, proposal.action, target, hours, principal
        )
        return approved, grant

    def approve(self, proposal_id: str, principal: Principal, reason: str = "") -> Proposal:
        return self._decide(proposal_id, principal, APPROVED, reason)

    def reject(self, proposal_id: str, principal: Principal, reason: str = "") -> Proposal:
        return self._decide(proposal_id, principal, REJECTED, reason)

    def _decide(
        self, proposal_id: str, principal: Principal, outcome: str, reason: str
    ) -> Proposal:
        proposal = self.get(proposal_id)
        self._authorize(proposal, principal, outcome, reason)
        if proposal.status == PENDING and self._expired(proposal):
            self._expire(proposal)
        if outcome == APPROVED and proposal.status == PENDING:
            self._refuse_if_paused(proposal, principal, reason)
        now = self._clock.now()
        values: dict[str, Any] = {
            "decided_by": principal.id, "decided_at": iso_utc(now), "decision_reason": reason,
        }  # fmt: skip
        if outcome == APPROVED:
            values["expires_at"] = iso_utc(now + timedelta(seconds=self._approval_ttl))
        if not self.store.transition(proposal.id, PENDING, outcome, **values):
            current = self.get(proposal_id)
            raise ApprovalConflict(f"proposal {proposal_id} is {current.status}, not pending")
        self._ledger.append("approval", {
            "proposal_id": proposal.id, "decision_id": proposal.decision_id,
            "intent_hash": proposal.intent_hash, "outcome": outcome, "by": principal.to_dict(),
            "reason": reason,
        })  # fmt: skip
        return self.get(proposal_id)

    #: Set by the Guardian: why an actor (in a session) is paused, or None. A paused agent's
    #: pending proposals cannot be approved until it is resumed.
    paused: Callable[[str, str | None], str | None] | None = None

    def _refuse_if_paused(self, proposal: Proposal, principal: Principal, reason: str) -> None:
        why = (
            self.paused(proposal.actor, proposal.intent.get("session_id")) if self.paused else None
        )
        if why is None:
            return
        self._ledger.append("approval", {
            "proposal_id": proposal.id, "decision_id": proposal.decision_id,
            "intent_hash": proposal.intent_hash, "outcome": "refused", "attempted": APPROVED,
            "flag": "agent_paused", "by": principal.to_dict(), "reason": reason,
        })  # fmt: skip
        raise ApprovalConflict(f"proposal {proposal.id} cannot be approved: {why}")

    def _authorize(
        self, proposal: Proposal, principal: Principal, outcome: str, reason: str
    ) -> None:
        flag, why = None, ""
        if principal.id == proposal.actor:
            flag, why = "self_approval_attempt", "no principal may decide a proposal it raised"
        elif principal.role not in DECIDING_ROLES:
            flag, why = "approval_forbidden", f"role {principal.role!r} may not decide proposals"
        elif proposal.never_auto_approve and principal.role != "approver" and outcome == APPROVED:
            flag, why = "approval_forbidden", "this action can be approved by a human approver only"
        if flag is None:
            return
        self._ledger.append("approval", {
            "proposal_id": proposal.id, "decision_id": proposal.decision_id,
            "intent_hash": proposal.intent_hash, "outcome": "refused", "attempted": outcome,
            "flag": flag, "by": principal.to_dict(), "reason": reason,
        })  # fmt: skip
        raise ApprovalForbidden(f"{why} (proposal {proposal.id})", flag)

    def _expired(self, proposal: Proposal) -> bool:
        return proposal.expires_at <= self._clock.now_iso()

    def _expire(self, proposal: Proposal) -> None:
        if self.store.transition(proposal.id, PENDING, EXPIRED):
            self._ledger.append("approval", {
                "proposal_id": proposal.id, "decision_id": proposal.decision_id,
                "intent_hash": proposal.intent_hash, "outcome": EXPIRED, "decision": "DENY",
                "by": None, "reason": f"not decided before {proposal.expires_at}",
            })  # fmt: skip
        raise ApprovalConflict(f"proposal {proposal.id} expired at {proposal.expires_at}: DENY")

    def expire_overdue(self) -> list[str]:
        """Expire every pending proposal past its deadline; return their ids."""
        expired = []
        for proposal in self.store.overdue(self._clock.now_iso()):
            try:
                self._expire(proposal)
            except ApprovalConflict:
                expired.append(proposal.id)
        return expired

    def wait(self, proposal_id: str, timeout: float, poll: float = 0.05) -> Proposal:
        """Block until the proposal is no longer pending or `timeout` seconds pass; return it."""
        deadline = time.monotonic() + timeout
        while True:
            proposal = self.get(proposal_id)
            if proposal.status != PENDING:
                return proposal
            if self._expired(proposal):
                try:
                    self._expire(proposal)
                except ApprovalConflict:
                    return self.get(proposal_id)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return proposal
            time.sleep(min(poll, remaining))
            poll = min(poll * 1.5, 0.5)
