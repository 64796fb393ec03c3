"""Intervention policies run by the watchdog, with an injected clock: seed 003's emergency policy
cancels a task past twice its timeout and rolls back after the configured minutes; a policy without
auto-approval raises a proposal that only a guardian-level approval executes; escalations."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardian import Guardian, Principal
from guardian.governance.interventions.engine import InterventionEngine
from guardian.governance.interventions.policies import load_policies
from guardian.governance.proposals import PENDING
from guardian.governance.runs import Heartbeats, RunStore
from guardian.governance.watchdog import Watchdog
from guardian.testing import FakeClock

EXAMPLES = Path(__file__).parents[3] / "examples" / "guardian_policies"


def world(policy_file: str) -> tuple[Guardian, FakeClock, Watchdog]:
    clock = FakeClock()
    g = Guardian([{"id": "all", "effect": "ALLOW"}], clock=clock)
    engine = g.approvals.store.engine
    policies = load_policies(EXAMPLES / policy_file)
    dog = Watchdog(g.ledger, RunStore(engine, g.ledger, clock), g.pauses, Heartbeats(engine, clock), clock,
                   engine=engine, interventions=InterventionEngine.for_guardian(g, policies))  # fmt: skip
    return g, clock, dog


def test_task_timeout_fires_past_twice_the_timeout_and_rolls_back_after_60_minutes() -> None:
    g, clock, dog = world("emergency.yaml")
    notified = []
    g.events.subscribe("guardian.policy.notify", notified.append)
    r = g.interventions.registry
    r.register_agent("worker", capacity=2)
    r.register_task("slow", priority="HIGH", timeout_seconds=30)
    r.register_task("fine", timeout_seconds=300)
    assert r.claim("worker").id == "slow" and r.claim("worker").id == "fine"
    clock.advance(59)
    dog.run_pass()
    assert r.task("slow").status == "running" and g.interventions.get_actions() == []
    clock.advance(2)  # 61 s: past 2 x 30 s
    dog.run_pass()
    [action] = g.interventions.get_actions()
    assert (action.action_type, action.target_entity) == ("cancel_task", "slow")
    assert (
        action.initiated_by == "policy:emergency_cancellation"
        and action.approved_by == "auto_approve"
    )
    assert action.authority_level == 4 and "task_timeout" in action.reason
    assert r.task("slow").status == "cancelled" and r.task("fine").status == "running"
    [notice] = notified
    assert (
        notice.payload["channels"] == ["slack", "pagerduty"] and notice.payload["subject"] == "slow"
    )
    assert notice.payload["actions"] == [{"action_type": "cancel_task", "target": "slow"}]
    dog.run_pass()  # still true for nothing new: fired once
    assert len(g.interventions.get_actions()) == 1 and len(notified) == 1
    assert r.finish_task("fine", ok=True)
    clock.advance(59 * 60)
    dog.run_pass()
    assert g.interventions.get_action(action.id).reverted_at is None
    clock.advance(61)
    dog.run_pass()
    reverted = g.interventions.get_action(action.id)
    assert reverted.reverted_at == clock.now_iso()
    assert (
        reverted.revert_log["reason"]
        == "auto-rollback 60 minutes after the intervention (policy emergency_cancellation)"
    )
    assert reverted.revert_log["reverted_by"] == "policy:emergency_cancellation"
    assert r.task("slow").status == "queued" and r.task("slow").priority == "HIGH"
    # Claimed and stuck again: a new run of the task, so the policy fires again.
    assert r.claim("worker").id == "slow"
    clock.advance(61)
    dog.run_pass()
    assert [a.target_entity for a in g.interventions.get_actions()] == ["slow", "slow"]


def test_agent_failure_cancels_its_running_tasks() -> None:
    g, _, dog = world("emergency.yaml")
    r = g.interventions.registry
    r.register_agent("flaky", capacity=1)
    r.register_task("job")
    r.claim("flaky")
    dog.run_pass()
    assert r.task("job").status == "running"
    r.update_agent("flaky", health_status="failed")
    dog.run_pass()
    assert r.task("job").status == "cancelled"


def reallocation_world() -> tuple[Guardian, FakeClock, Watchdog]:
    g, clock, dog = world("resource_reallocation.yaml")
    r = g.interventions.registry
    r.register_agent("busy-critical", capacity=1)
    r.register_agent("low-work", capacity=3)
    r.register_agent("idle", capacity=1)  # the first donor: it gives capacity nobody uses
    r.register_task("ongoing", agent_id="busy-critical")
    r.claim("busy-critical")
    r.register_task("chores", priority="LOW", agent_id="low-work")
    r.claim("low-work")
    r.register_task("incident", priority="CRITICAL", agent_id="busy-critical")
    clock.advance(61)
    return g, clock, dog


def test_a_proposal_approved_below_guardian_authority_is_refused_and_recorded() -> None:
    g, _, dog = reallocation_world()
    dog.run_pass()
    [proposal] = g.approvals.recent(PENDING)
    assert (
        proposal.action == "guardian.reallocate_capacity"
        and proposal.actor == "policy:critical_capacity"
    )
    assert proposal.intent["params"] == {
        "from_agent_id": "idle",
        "to_agent_id": "busy-critical",
        "capacity": 1,
    }
    g.approve(proposal.id, Principal("alice", "approver", 3), "looks right")
    dog.run_pass()
    assert g.interventions.get_actions() == []
    refused = [
        e.payload
        for e in g.ledger.entries()
        if e.kind == "intervention" and e.payload["event"] == "refused"
    ]
    assert (
        refused[0]["flag"] == "insufficient_authority" and refused[0]["approver"]["id"] == "alice"
    )
    assert g.interventions.registry.agent("idle").capacity == 1
    dog.run_pass()  # decided: no second proposal for the same waiting task
    assert g.approvals.recent(PENDING) == []


def test_a_proposal_approved_by_a_guardian_level_principal_executes() -> None:
    g, clock, dog = reallocation_world()
    dog.run_pass()
    [proposal] = g.approvals.recent(PENDING)
    g.approve(proposal.id, Principal("boss", "approver", 4), "go")
    dog.run_pass()
    [action] = g.interventions.get_actions()
    assert (action.approved_by, action.initiated_by, action.authority_level) == (
        "boss",
        "policy:critical_capacity",
        4,
    )
    r = g.interventions.registry
    assert r.agent("idle").capacity == 0 and r.agent("busy-critical").capacity == 2
    assert r.claim("busy-critical").id == "incident"
    assert g.proposal(proposal.id).status == "used" and g.proposal(proposal.id).used_by == action.id
    clock.advance(31 * 60)
    dog.run_pass()  # auto-rollback after 30 minutes: the capacity is in use now, so not all goes back
    reverted = g.interventions.get_action(action.id)
    assert reverted.revert_log["not_restored"]["capacity"].startswith("1 of 1 not moved back")


def test_a_rejected_proposal_closes_the_firing() -> None:
    g, _, dog = reallocation_world()
    dog.run_pass()
    [proposal] = g.approvals.recent(PENDING)
    g.reject(proposal.id, Principal("boss", "admin", 5), "not now")
    dog.run_pass()
    assert g.interventions.get_actions() == []
    firings = {f.action_type: f for f in dog.interventions.firings.recent()}
    assert (firings["reallocate_capacity"].status, firings["reallocate_capacity"].detail) == (
        "closed",
        "proposal rejected",
    )
    assert firings["notify"].status == "sent"


def test_escalations_reach_the_escalation_triggers() -> None:
    g, _, dog = world("priority_override.yaml")
    r = g.interventions.registry
    r.register_task("release", priority="LOW")
    assert dog.escalate_to_guardian(
        "alert-7", "release task is blocking the deploy", task_id="release"
    )
    assert not dog.escalate_to_guardian("alert-7", "again")
    dog.escalate_to_guardian("alert-8", "disk almost full")
    dog.run_pass()
    [action] = g.interventions.get_actions()
    assert (action.action_type, action.target_entity) == ("override_priority", "release")
    assert r.task("release").priority == "CRITICAL"
    open_alerts = dog.interventions.escalations.open()
    assert open_alerts == []
    kinds = [e.payload["event"] for e in g.ledger.entries() if e.kind == "intervention"]
    assert kinds == ["escalated", "escalated", "executed", "escalation_unhandled"]


def test_escalating_without_an_engine_says_how_to_fix_it() -> None:
    clock = FakeClock()
    g = Guardian([{"id": "all", "effect": "ALLOW"}], clock=clock)
    engine = g.approvals.store.engine
    dog = Watchdog(
        g.ledger, RunStore(engine, g.ledger, clock), g.pauses, Heartbeats(engine, clock), clock
    )
    with pytest.raises(RuntimeError, match="interventions="):
        dog.escalate_to_guardian("a", "b")


def test_the_watchdog_process_wiring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """What `guardian watchdog --policies DIR` builds from the database alone."""
    from guardian.core.clock import SYSTEM_CLOCK
    from guardian.core.errors import PolicyError
    from guardian.governance.interventions.wiring import open_intervention_engine
    from guardian.ledger.open import open_ledger
    from guardian.storage.engine import open_engine

    url = f"sqlite:///{tmp_path / 'guardian.db'}"
    ledger = open_ledger(url, signing_key=False)
    engine = open_engine(url)
    monkeypatch.delenv("GUARDIAN_REDIS_URL", raising=False)
    monkeypatch.setenv("GUARDIAN_CHANNEL_SLACK_URL", "http://127.0.0.1:9/hook")
    monkeypatch.setenv("GUARDIAN_CHANNEL_SLACK_SECRET", "s")
    built = open_intervention_engine(engine, ledger, SYSTEM_CLOCK, EXAMPLES)
    assert set(built.policies) == {
        "emergency_cancellation",
        "critical_capacity",
        "priority_escalation",
    }
    built.service.registry.register_task("t", priority="HIGH")
    assert built.run_pass() == []
    (tmp_path / "bad.yaml").write_text("policy:\n  name: x\n")
    with pytest.raises(PolicyError, match="triggers: expected a non-empty list"):
        open_intervention_engine(engine, ledger, SYSTEM_CLOCK, tmp_path / "bad.yaml")
    built.service.events.close()
    ledger.close()
