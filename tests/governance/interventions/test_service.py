"""GuardianService through the Python API: authority from principals, seed 003's validation,
before/after state, reverts that say what they restored, the audit table and its ledger entries."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, update

from guardian import Guardian, Principal
from guardian.governance.interventions import (
    GuardianService,
    InterventionConflict,
    InterventionForbidden,
    InterventionInvalid,
    InterventionNotFound,
)
from guardian.storage.intervention_tables import guardian_actions
from guardian.testing import FakeClock

GUARD = Principal("guardian-agent-1", "guardian", 4)
SYSTEM = Principal("system", "admin", 5)


@pytest.fixture
def g() -> Guardian:
    g = Guardian([{"id": "all", "effect": "ALLOW"}], clock=FakeClock())
    r = g.interventions.registry
    r.register_agent("agent-low-priority", capacity=3)
    r.register_agent("agent-critical", capacity=1)
    for n, priority in enumerate(("LOW", "LOW", "MEDIUM")):
        r.register_task(
            f"task-{n}", priority=priority, agent_id="agent-low-priority", timeout_seconds=60
        )
    return g


def operations(svc: GuardianService, principal: Principal, n: int) -> dict:
    return {
        "cancel": lambda: svc.emergency_cancel_task(f"task-{n}", "Agent failure", principal=principal),
        "reallocate": lambda: svc.reallocate_agent_capacity("agent-low-priority", "agent-critical", 1,
                                                            "Critical task", principal=principal),
        "override": lambda: svc.override_task_priority(f"task-{n}", "CRITICAL", "Incident", principal=principal),
        "revert": lambda: svc.revert_intervention("unknown", "Crisis resolved", principal=principal),
    }  # fmt: skip


@pytest.mark.parametrize("authority", [1, 2, 3])
def test_authority_below_guardian_is_refused_and_recorded(g: Guardian, authority: int) -> None:
    caller = Principal("someone", "approver", authority)
    for name, op in operations(g.interventions, caller, 0).items():
        with pytest.raises(
            InterventionForbidden, match=r"requires GUARDIAN authority \(level 4\)"
        ) as info:
            op()
        assert info.value.flag == "insufficient_authority", name
    refused = [e.payload for e in g.ledger.entries() if e.kind == "intervention"]
    assert [e["event"] for e in refused] == ["refused"] * 4
    assert {e["authority"] for e in refused} == {authority}
    assert g.interventions.get_actions() == []
    assert g.interventions.registry.task("task-0").status == "queued"


@pytest.mark.parametrize("authority", [4, 5])
def test_guardian_authority_and_above_act_with_before_and_after(
    g: Guardian, authority: int
) -> None:
    svc = g.interventions
    caller = Principal("guardian-agent-1", "guardian" if authority == 4 else "admin", authority)
    ops = operations(svc, caller, 0)
    cancel = ops["cancel"]()
    assert cancel.authority_level == authority and cancel.initiated_by == "guardian-agent-1"
    assert (
        cancel.before["task"]["status"] == "queued"
        and cancel.after["task"]["status"] == "cancelled"
    )
    move = ops["reallocate"]()
    assert move.before["from_agent"]["capacity"] == 3 and move.after["from_agent"]["capacity"] == 2
    assert move.after["to_agent"]["capacity"] == 2
    boost = operations(svc, caller, 1)["override"]()
    assert (boost.before["task"]["priority"], boost.after["task"]["priority"]) == (
        "LOW",
        "CRITICAL",
    )
    entries = [e.payload for e in g.ledger.entries() if e.kind == "intervention"]
    assert [e["action"] for e in entries] == [a.to_dict() for a in (cancel, move, boost)]
    assert svc.get_action(move.id) == move
    assert svc.get_actions(action_type="override_priority") == [boost]
    assert svc.get_actions(target_entity="task-0") == [cancel]
    assert svc.get_actions(limit=2) == [boost, move]


def test_seed_signature_without_a_principal_is_an_in_process_call(g: Guardian) -> None:
    svc = g.interventions
    action = svc.emergency_cancel_task(
        "task-0", "Agent failure", initiated_by="guardian-agent-1", authority=4
    )
    assert action.initiated_by == "guardian-agent-1" and action.authority_level == 4
    with pytest.raises(InterventionForbidden):
        svc.emergency_cancel_task("task-1", "x", initiated_by="monitor-1", authority=3)
    with pytest.raises(InterventionInvalid, match="initiated_by is required"):
        svc.emergency_cancel_task("task-1", "x")


def test_claims_beyond_the_principal_are_refused_and_recorded(g: Guardian) -> None:
    svc = g.interventions
    with pytest.raises(InterventionForbidden, match="may not claim initiated_by") as info:
        svc.emergency_cancel_task("task-0", "x", initiated_by="someone-else", principal=GUARD)
    assert info.value.flag == "impersonation_attempt"
    with pytest.raises(InterventionForbidden, match="may not claim authority 5"):
        svc.emergency_cancel_task("task-0", "x", authority=5, principal=GUARD)
    with pytest.raises(InterventionForbidden, match="requires GUARDIAN"):  # lowering below 4
        svc.emergency_cancel_task("task-0", "x", authority=3, principal=SYSTEM)
    flagged = [e.payload["claimed"] for e in g.ledger.entries() if e.kind == "security"]
    assert flagged == [{"initiated_by": "someone-else"}, {"authority": 5}]
    lowered = svc.emergency_cancel_task("task-0", "x", authority=4, principal=SYSTEM)
    assert lowered.authority_level == 4


def test_validation_as_the_seed_documents(g: Guardian) -> None:
    svc = g.interventions
    cases = [
        (lambda: svc.reallocate_agent_capacity("agent-low-priority", "agent-critical", 0, "x", principal=GUARD),
         InterventionInvalid, "positive integer"),
        (lambda: svc.reallocate_agent_capacity("agent-low-priority", "agent-critical", 2.5, "x", principal=GUARD),
         InterventionInvalid, "positive integer"),
        (lambda: svc.reallocate_agent_capacity("agent-low-priority", "agent-critical", 4, "x", principal=GUARD),
         InterventionInvalid, "insufficient capacity"),
        (lambda: svc.reallocate_agent_capacity("agent-low-priority", "ghost", 1, "x", principal=GUARD),
         InterventionNotFound, "no agent 'ghost'"),
        (lambda: svc.reallocate_agent_capacity("agent-critical", "agent-critical", 1, "x", principal=GUARD),
         InterventionInvalid, "two different agents"),
        (lambda: svc.override_task_priority("task-0", "URGENT", "x", principal=GUARD),
         InterventionInvalid, "Invalid priority"),
        (lambda: svc.override_task_priority("ghost", "HIGH", "x", principal=GUARD), InterventionNotFound, "no task"),
        (lambda: svc.emergency_cancel_task("task-0", "", principal=GUARD), InterventionInvalid, "reason is required"),
        (lambda: svc.revert_intervention("nope", "x", principal=GUARD), InterventionNotFound, "no guardian action"),
        (lambda: svc.get_actions(action_type="explode"), InterventionInvalid, "unknown action_type"),
    ]  # fmt: skip
    for call, error, text in cases:
        with pytest.raises(error, match=text):
            call()
    assert svc.get_actions() == []


def test_busy_capacity_does_not_move(g: Guardian) -> None:
    r = g.interventions.registry
    assert r.claim("agent-low-priority") and r.claim("agent-low-priority")  # 2 of 3 in use
    with pytest.raises(InterventionInvalid, match="1 free"):
        g.interventions.reallocate_agent_capacity(
            "agent-low-priority", "agent-critical", 2, "x", principal=GUARD
        )
    g.interventions.reallocate_agent_capacity(
        "agent-low-priority", "agent-critical", 1, "x", principal=GUARD
    )
    assert r.agent("agent-low-priority").available == 0


def test_revert_restores_what_still_applies_and_says_what_not(g: Guardian) -> None:
    svc, r = g.interventions, g.interventions.registry
    cancel = svc.emergency_cancel_task("task-0", "stuck", principal=GUARD)
    boost = svc.override_task_priority("task-1", "CRITICAL", "incident", principal=GUARD)
    move = svc.reallocate_agent_capacity(
        "agent-low-priority", "agent-critical", 2, "critical", principal=GUARD
    )
    r.update_task("task-1", priority="HIGH")  # changed again after the override
    r.register_task("crit-work", agent_id="agent-critical")
    assert r.claim("agent-critical") is not None  # 1 of its 3 now in use: only 2 can go back...
    r.register_task("crit-more", agent_id="agent-critical")
    assert r.claim("agent-critical") is not None  # ...now only 1

    reverted = svc.revert_intervention(cancel.id, "resolved", principal=GUARD)
    assert reverted.revert_log["restored"] == {"task": {"status": "queued", "priority": "LOW",
                                                        "agent_id": "agent-low-priority"}}  # fmt: skip
    assert r.task("task-0").status == "queued" and r.task("task-0").priority == "LOW"
    kept = svc.revert_intervention(boost.id, "resolved", principal=GUARD).revert_log
    assert kept["restored"] == {} and "priority is now HIGH" in kept["not_restored"]["priority"]
    assert r.task("task-1").priority == "HIGH"
    partial = svc.revert_intervention(move.id, "resolved", principal=SYSTEM).revert_log
    assert partial["restored"]["capacity"]["moved"] == 1
    assert partial["not_restored"]["capacity"].startswith("1 of 2 not moved back")
    assert r.agent("agent-critical").capacity == 2 and r.agent("agent-low-priority").capacity == 2
    with pytest.raises(InterventionConflict, match="already reverted"):
        svc.revert_intervention(cancel.id, "again", principal=GUARD)
    reverts = [
        e.payload
        for e in g.ledger.entries()
        if e.kind == "intervention" and e.payload["event"] == "reverted"
    ]
    assert [e["action_id"] for e in reverts] == [cancel.id, boost.id, move.id]
    assert reverts[2]["revert"] == partial


def test_only_queued_or_running_tasks_are_cancelled_or_overridden(g: Guardian) -> None:
    svc = g.interventions
    svc.emergency_cancel_task("task-0", "stuck", principal=GUARD)
    with pytest.raises(InterventionConflict, match="is cancelled"):
        svc.emergency_cancel_task("task-0", "again", principal=GUARD)
    with pytest.raises(InterventionConflict, match="is cancelled"):
        svc.override_task_priority("task-0", "HIGH", "x", principal=GUARD)


def test_the_actions_table_has_the_seeds_columns_and_indexes(g: Guardian) -> None:
    engine = g.approvals.store.engine
    columns = {c["name"] for c in inspect(engine).get_columns("guardian_actions")}
    assert {"id", "action_type", "target_entity", "authority_level", "reason", "initiated_by", "approved_by",
            "executed_at", "reverted_at", "audit_log", "created_at"} <= columns  # fmt: skip
    indexes = {
        i["name"]: i["column_names"] for i in inspect(engine).get_indexes("guardian_actions")
    }
    assert indexes["ix_guardian_actions_action_type"] == ["action_type"]
    assert indexes["ix_guardian_actions_target_entity"] == ["target_entity"]
    assert indexes["ix_guardian_actions_initiated_by"] == ["initiated_by"]
    assert indexes["ix_guardian_actions_entity_type"] == ["target_entity", "action_type"]


def test_a_row_edited_in_place_no_longer_matches_its_ledger_entry(g: Guardian) -> None:
    """The ledger entry is the tamper-evident record: an edited row is told apart from it."""
    action = g.interventions.emergency_cancel_task("task-0", "stuck", principal=GUARD)
    with g.approvals.store.engine.begin() as conn:
        conn.execute(update(guardian_actions).values(reason="routine"))
    [entry] = [e for e in g.ledger.entries() if e.kind == "intervention"]
    assert entry.payload["action"] == action.to_dict()
    assert (
        g.interventions.get_action(action.id).reason
        == "routine"
        != entry.payload["action"]["reason"]
    )
    assert g.verify_ledger().ok


@pytest.mark.postgres
def test_the_same_on_postgresql(postgres_db: str) -> None:
    import psycopg

    with Guardian([{"id": "all", "effect": "ALLOW"}], ledger=postgres_db, signing_key=False) as g:
        r = g.interventions.registry
        r.register_agent("a", capacity=2)
        r.register_agent("b", capacity=1)
        r.register_task("t", priority="LOW")
        assert r.claim("a").id == "t"
        cancel = g.interventions.emergency_cancel_task("t", "stuck", principal=GUARD)
        move = g.interventions.reallocate_agent_capacity("a", "b", 2, "critical", principal=GUARD)
        assert g.interventions.get_action(cancel.id).after["task"]["status"] == "cancelled"
        reverted = g.interventions.revert_intervention(cancel.id, "resolved", principal=GUARD)
        assert reverted.revert_log["restored"]["task"]["status"] == "queued"
        assert g.interventions.get_actions() == [move, reverted]
        assert g.verify_ledger().ok
    with psycopg.connect(postgres_db) as conn:
        kind = conn.execute("SELECT data_type FROM information_schema.columns WHERE "
                            "table_name = 'guardian_actions' AND column_name = 'audit_log'").fetchone()  # fmt: skip
    assert kind == ("jsonb",)
