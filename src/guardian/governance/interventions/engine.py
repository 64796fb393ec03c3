"""The intervention-policy engine: run by the watchdog each pass (or by anything, `run_pass()`).

Each pass it
- evaluates every trigger for what it ranges over (running tasks, queued tasks, escalated alerts);
  a true condition fires the policy's actions once per subject (a stored, unique firing);
- an action with `auto_approve: true` is executed at once, with the policy's `min_authority`;
  otherwise a proposal is opened (the dashboard's and API's approval queue) and, once approved by
  a principal with at least that authority (and GUARDIAN), executed with the approver as
  `approved_by`; an approval with less authority is refused and recorded;
- `notify` actions publish `guardian.policy.notify` for the named webhook channels;
- reverts what a policy did `auto_rollback_after_minutes` after it did it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from guardian.core.clock import iso_utc
from guardian.core.errors import GuardianError
from guardian.core.ids import new_id
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.governance.approvals import Approvals, ProposalNotFound
from guardian.governance.interventions.approvers import Approvers
from guardian.governance.interventions.authority import GUARDIAN, INSUFFICIENT, Acting
from guardian.governance.interventions.context import Snapshot, Subject
from guardian.governance.interventions.escalations import Escalations
from guardian.governance.interventions.firings import (
    CLOSED,
    EXECUTED,
    FAILED,
    PROPOSED,
    REFUSED,
    SENT,
    Firing,
    Firings,
)  # fmt: skip
from guardian.governance.interventions.policies import (
    NOTIFY,
    InterventionPolicy,
    PolicyAction,
    Trigger,
)
from guardian.governance.interventions.rollback import roll_back_due
from guardian.governance.interventions.service import GuardianService
from guardian.governance.proposals import APPROVED, PENDING, USED
from guardian.policy.conditions import ConditionError

if TYPE_CHECKING:
    from guardian.facade import Guardian

log = logging.getLogger("guardian.interventions")
STARTED = "started"


class InterventionEngine:
    def __init__(self, service: GuardianService, approvals: Approvals,
                 policies: Sequence[InterventionPolicy]) -> None:  # fmt: skip
        self.service = service
        self.approvals = approvals
        self.policies = {p.name: p for p in policies}
        self.clock = service.clock
        self.ledger = service.ledger
        self.firings = Firings(service.engine)
        self.escalations = Escalations(service.engine)
        self.approvers = Approvers(self.ledger)
        self._broken: set[tuple[str, int]] = set()

    @classmethod
    def for_guardian(
        cls, guardian: Guardian, policies: Sequence[InterventionPolicy]
    ) -> InterventionEngine:
        return cls(guardian.interventions, guardian.approvals, policies)

    def escalate(self, alert_id: str, reason: str, *, agent_id: str | None = None,
                 task_id: str | None = None) -> bool:  # fmt: skip
        """Hand an alert to the policies' escalation triggers (next pass); False if seen before."""
        added = self.escalations.add(
            alert_id, reason, self.clock.now_iso(), agent_id=agent_id, task_id=task_id
        )
        if added:
            self.ledger.append("intervention", {"event": "escalated", "alert_id": alert_id, "reason": reason,
                                                "agent_id": agent_id, "task_id": task_id})  # fmt: skip
        return added

    def run_pass(self) -> list[Firing]:
        """Evaluate, settle decided proposals, roll back what is due; return this pass's firings."""
        fired = self._evaluate()
        self._settle()
        roll_back_due(self.service, self.firings, self.policies)
        return fired

    # -- triggers --------------------------------------------------------------------------------

    def _evaluate(self) -> list[Firing]:
        snapshot = Snapshot(self.service.registry, self.clock.now())
        alerts = self.escalations.open()
        matched: dict[str, list[str]] = {}
        fired: list[Firing] = []
        for policy in self.policies.values():
            for index, trigger in enumerate(policy.triggers):
                for subject in snapshot.subjects(trigger.type, alerts):
                    if self._holds(policy, index, trigger, subject):
                        if subject.alert is not None:
                            matched.setdefault(subject.alert.id, []).append(policy.name)
                        fired.extend(self._fire(policy, trigger, subject, snapshot))
        for alert in alerts:
            names = matched.get(alert.id)
            self.escalations.close(alert.id, self.clock.now_iso(),
                                   f"matched {', '.join(names)}" if names else "no escalation trigger matched")  # fmt: skip
            if not names:
                self.ledger.append("intervention", {"event": "escalation_unhandled", "alert_id": alert.id,
                                                    "reason": alert.reason})  # fmt: skip
        return fired

    def _holds(
        self, policy: InterventionPolicy, index: int, trigger: Trigger, subject: Subject
    ) -> bool:
        try:
            return trigger.condition.evaluate(subject.context)
        except ConditionError as exc:
            if (policy.name, index) not in self._broken:  # say it once, not every pass
                self._broken.add((policy.name, index))
                log.warning("policy %s trigger %s (%s:%s): %s", policy.name, trigger.type, policy.file,
                            trigger.line, exc)  # fmt: skip
            return False

    def _fire(self, policy: InterventionPolicy, trigger: Trigger, subject: Subject,
              snapshot: Snapshot) -> list[Firing]:  # fmt: skip
        now = self.clock.now_iso()
        fired: list[Firing] = []
        for index, action in enumerate(policy.actions):
            params, why_not = self._params(action, subject, snapshot)
            if why_not:  # e.g. no agent has capacity to give yet: evaluated again next pass
                log.debug("policy %s: %s not possible: %s", policy.name, action.type, why_not)
                continue
            target = str(params.get("task_id") or params.get("to_agent_id") or subject.key)
            firing = Firing(new_id(), f"{policy.name}|{index}|{subject.key}|{subject.epoch}"[:500], policy.name,
                            trigger.type, action.type, target, params, SENT if action.type == NOTIFY else STARTED,
                            None, None, None, "", now, now)  # fmt: skip
            if not self.firings.claim(firing):
                continue  # fired before for this subject
            if action.type == NOTIFY:
                self._notify(policy, trigger, action, subject, fired)
            elif action.auto_approve:
                acting = Acting(Principal(f"policy:{policy.name}", "guardian", policy.min_authority),
                                policy.min_authority, f"policy:{policy.name}", "auto_approve")  # fmt: skip
                self._execute(policy, firing, STARTED, acting, _reason(policy, trigger))
            else:
                self._propose(policy, trigger, firing)
            fired.append(firing)
        return fired

    def _params(
        self, action: PolicyAction, subject: Subject, snapshot: Snapshot
    ) -> tuple[dict[str, Any], str]:
        """The intervention's arguments for this subject, or why there are none."""
        task = subject.task
        if action.type == NOTIFY:
            return {"channels": action.params["channels"]}, ""
        if action.type in ("cancel_task", "override_priority"):
            if task is None:
                return {}, f"{subject.key} names no task to {action.type.replace('_', ' ')}"
            extra = (
                {"new_priority": str(action.params["new_priority"]).upper()}
                if action.type == "override_priority"
                else {}
            )
            return {"task_id": task.id, **extra}, ""
        capacity = int(action.params.get("capacity", 1))
        to_agent = action.params.get("to_agent") or (task.agent_id if task else None)
        if not to_agent:
            return {"capacity": capacity}, f"{subject.key} names no agent to give capacity to"
        from_agent = action.params.get("from_agent") or snapshot.donor(to_agent, capacity)
        if not from_agent:
            return {
                "to_agent_id": to_agent,
                "capacity": capacity,
            }, f"no agent has {capacity} free capacity to give"
        return {"from_agent_id": from_agent, "to_agent_id": to_agent, "capacity": capacity}, ""

    def _notify(self, policy: InterventionPolicy, trigger: Trigger, action: PolicyAction, subject: Subject,
                fired: list[Firing]) -> None:  # fmt: skip
        events = self.service.events
        if events is None:
            return
        outcomes = [{"action_type": f.action_type, "target": f.target} for f in fired]
        events.publish("guardian.policy.notify", {
            "channels": list(action.params["channels"]), "policy": policy.name, "trigger": trigger.type,
            "condition": trigger.condition.source, "subject": subject.key, "context": subject.context,
            "actions": outcomes})  # fmt: skip

    def _propose(self, policy: InterventionPolicy, trigger: Trigger, firing: Firing) -> None:
        intent = Intent.create(f"policy:{policy.name}", f"guardian.{firing.action_type}", firing.target,
                               firing.params, {"policy": policy.name, "trigger": trigger.type,
                                               "firing_id": firing.id, "min_authority": policy.min_authority})  # fmt: skip
        reason = _reason(policy, trigger)
        rule = SimpleNamespace(id=policy.name, never_auto_approve=False)
        proposal = self.approvals.open(new_id(), firing.id, intent.to_dict(), intent.intent_hash, rule,
                                       [{"code": "intervention_policy", "message": reason}])  # fmt: skip
        head = self.ledger.head()
        since = json.dumps({"since": head.seq if head is not None else 0})
        self.firings.move(
            firing.id,
            STARTED,
            PROPOSED,
            self.clock.now_iso(),
            proposal_id=proposal.id,
            detail=since,
        )
        self.ledger.append("intervention", {"event": "proposed", "proposal_id": proposal.id, "firing_id": firing.id,
                                            "policy": policy.name, "action_type": firing.action_type,
                                            "params": firing.params, "min_authority": policy.min_authority,
                                            "reason": reason})  # fmt: skip

    def _execute(self, policy: InterventionPolicy, firing: Firing, expected: str, acting: Acting,
                 reason: str) -> str | None:  # fmt: skip
        now = self.clock.now()
        try:
            action = self.service.execute(firing.action_type, firing.params, reason, acting)
        except GuardianError as exc:
            self.firings.move(firing.id, expected, FAILED, iso_utc(now), detail=str(exc)[:2000])
            self.ledger.append("intervention", {"event": "policy_failed", "policy": policy.name,
                                                "firing_id": firing.id, "error": str(exc)})  # fmt: skip
            return None
        minutes = policy.rollback_after_minutes
        rollback_at = iso_utc(now + timedelta(minutes=minutes)) if minutes else None
        self.firings.move(
            firing.id,
            expected,
            EXECUTED,
            iso_utc(now),
            action_id=action.id,
            rollback_at=rollback_at,
        )
        return action.id

    # -- proposals -------------------------------------------------------------------------------

    def _settle(self) -> None:
        pending = self.firings.with_status(PROPOSED)
        self.approvers.tail(bool(pending))
        for firing in pending:
            try:
                proposal = self.approvals.current(firing.proposal_id or "")
            except ProposalNotFound:
                self.firings.move(
                    firing.id, PROPOSED, FAILED, self.clock.now_iso(), detail="proposal not found"
                )
                continue
            if proposal.status == PENDING:
                continue
            if proposal.status != APPROVED:
                self.firings.move(
                    firing.id,
                    PROPOSED,
                    CLOSED,
                    self.clock.now_iso(),
                    detail=f"proposal {proposal.status}",
                )
                continue
            self._approved(firing, proposal.id)

    def _approved(self, firing: Firing, proposal_id: str) -> None:
        policy = self.policies.get(firing.policy)
        need = max(policy.min_authority if policy else GUARDIAN, GUARDIAN)
        by = self.approvers.of(proposal_id, firing.detail)
        if by is None or int(by.get("authority", 0)) < need:
            if self.firings.move(firing.id, PROPOSED, REFUSED, self.clock.now_iso(),
                                 detail=f"approved with authority {by and by.get('authority')}; {need} needed"):  # fmt: skip
                self.ledger.append("intervention", {"event": "refused", "flag": INSUFFICIENT, "proposal_id": proposal_id,
                                                    "firing_id": firing.id, "approver": by, "needed": need})  # fmt: skip
            return
        if policy is None or not self.firings.move(
            firing.id, PROPOSED, STARTED, self.clock.now_iso()
        ):
            return
        acting = Acting(Principal(by["id"], by.get("role", "approver"), int(by["authority"])), int(by["authority"]),
                        f"policy:{policy.name}", by["id"])  # fmt: skip
        reason = f"policy {policy.name}: approved proposal {proposal_id}"
        action_id = self._execute(policy, firing, STARTED, acting, reason)
        if action_id is not None:
            self.approvals.store.transition(proposal_id, APPROVED, USED, used_by=action_id)


def _reason(policy: InterventionPolicy, trigger: Trigger) -> str:
    return f"policy {policy.name}: {trigger.type} ({trigger.condition.source})"
