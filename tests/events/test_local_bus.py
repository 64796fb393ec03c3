"""The in-process bus: wildcard subscriptions, seed 003's intervention events, events derived from
the ledger (decisions, proposals, approvals, pauses, budgets), the outbox's transaction semantics."""

from __future__ import annotations

import pytest
from sqlalchemy import func, insert, select

from guardian import Guardian, Principal
from guardian.events import Event, EventError
from guardian.events.txn import write
from guardian.storage.intervention_tables import event_outbox, tasks

ADMIN = Principal("root", "admin", 5)
POLICY = [
    {"id": "mail", "action": "send_email", "effect": "ASK"},
    {"id": "rm", "action": "rm", "effect": "DENY"},
    {"id": "all", "effect": "ALLOW"},
]


@pytest.fixture
def g() -> Guardian:
    return Guardian(POLICY)


def collect(g: Guardian, pattern: str) -> list[Event]:
    seen: list[Event] = []
    g.events.subscribe(pattern, seen.append)
    return seen


def test_seed_003_events_reach_wildcard_subscribers(g: Guardian) -> None:
    everything, interventions, moves = collect(g, "guardian.*"), collect(g, "guardian.intervention.*"), \
        collect(g, "guardian.resource.reallocated")  # fmt: skip
    r = g.interventions.registry
    r.register_agent("low", capacity=2)
    r.register_agent("crit", capacity=1)
    r.register_task("task-1")
    action = g.interventions.emergency_cancel_task("task-1", "stuck", principal=ADMIN)
    g.interventions.reallocate_agent_capacity("low", "crit", 1, "critical", principal=ADMIN)
    g.interventions.revert_intervention(action.id, "resolved", principal=ADMIN)
    assert [e.type for e in interventions] == ["guardian.intervention.started", "guardian.intervention.completed"] * 2 + [
        "guardian.intervention.reverted"]  # fmt: skip
    started = interventions[0]
    assert (
        started["event_type"] == "guardian.intervention.started"
    )  # seed 003 reads events as dicts
    assert {k: started["payload"][k] for k in ("action_type", "task_id", "reason", "authority")} == {
        "action_type": "cancel_task", "task_id": "task-1", "reason": "stuck", "authority": 5}  # fmt: skip
    assert interventions[1].payload["result"] == "task cancelled"
    assert (
        interventions[-1].payload["reverted_by"] == "root"
        and interventions[-1].payload["action_id"] == action.id
    )
    assert [(m.payload["from_agent_id"], m.payload["to_agent_id"], m.payload["capacity"]) for m in moves] == [
        ("low", "crit", 1)]  # fmt: skip
    assert {"guardian.agent.registered", "guardian.task.queued"} <= {e.type for e in everything}
    seqs = [e.seq for e in everything if e.producer != "ledger"]
    assert seqs == sorted(seqs)


def test_ledger_entries_become_events(g: Guardian) -> None:
    seen = collect(g, "guardian.*")
    g.budgets.set_cap("agent", "bot", "calls", 5, ADMIN)
    allowed = g.decide("bot", "read", "x", metadata={"cost": {"calls": 1}})
    asked = g.decide("bot", "send_email", "boss@example.com")
    g.decide("bot", "rm", "/")
    g.approve(asked.proposal_id, Principal("alice", "approver", 3), "fine")
    g.pauses.pause("agent", "bot", ADMIN, "enough")
    g.events.pump()  # the ledger tail runs in the background; pump makes this test deterministic
    types = [e.type for e in seen]
    for expected in ("guardian.budget.set", "guardian.decision.allow", "guardian.decision.ask",
                     "guardian.proposal.created", "guardian.decision.deny", "guardian.approval.approved",
                     "guardian.pause.paused"):  # fmt: skip
        assert expected in types, (expected, types)
    decision = next(e for e in seen if e.type == "guardian.decision.allow")
    assert decision.payload["decision_id"] == allowed.decision_id and decision.id.startswith(
        "ledger:"
    )
    proposal = next(e for e in seen if e.type == "guardian.proposal.created")
    assert proposal.payload["proposal_id"] == asked.proposal_id
    assert len({e.id for e in seen}) == len(seen)  # pumped twice, delivered once


def test_outbox_events_exist_only_if_the_change_committed(g: Guardian) -> None:
    seen = collect(g, "guardian.*")
    engine = g.approvals.store.engine
    with pytest.raises(RuntimeError), write(engine, g.events) as tx:
        tx.conn.execute(insert(tasks).values(id="t", name="", priority="LOW", priority_rank=3, status="queued",
                                             created_at="x", queued_at="x", updated_at="x"))  # fmt: skip
        tx.emit("guardian.task.queued", {"id": "t"})
        raise RuntimeError("the change fails")
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(event_outbox)).scalar() == 0
    assert seen == []
    with write(engine, g.events) as tx:
        tx.emit("guardian.test.ok", {})
    assert [e.type for e in seen] == ["guardian.test.ok"]


def test_a_failing_handler_does_not_stop_the_others_and_handlers_may_publish(g: Guardian) -> None:
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise ValueError("bug in a subscriber")

    def chain(event: Event) -> None:
        seen.append(event.type)
        if event.type == "guardian.test.first":
            g.events.publish("guardian.test.second", {})

    g.events.subscribe("guardian.test.*", broken)
    sub = g.events.subscribe("guardian.test.*", chain)
    g.events.publish("guardian.test.first", {})
    assert seen == ["guardian.test.first", "guardian.test.second"]
    sub.close()
    g.events.publish("guardian.test.first", {})
    assert seen == ["guardian.test.first", "guardian.test.second"]


def test_types_and_patterns_are_checked(g: Guardian) -> None:
    for bad in ("Guardian.X", "guardian..x", "", "guardian.*"):
        with pytest.raises(EventError):
            g.events.publish(bad, {})
    for bad in ("", "guardian.[x]", "GUARDIAN.*"):
        with pytest.raises(EventError):
            g.events.subscribe(bad, print)
    assert Event.from_json(Event("i", "guardian.x", {"a": 1}, "t", "p", 1).to_json()).payload == {
        "a": 1
    }
    with pytest.raises(EventError):
        Event.from_json(b"{}")
