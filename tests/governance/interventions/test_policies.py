"""Intervention policy files: seed 003's examples load; every mistake is reported with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from guardian.core.errors import PolicyError
from guardian.governance.interventions.policies import load_policies

EXAMPLES = Path(__file__).parents[3] / "examples" / "guardian_policies"


def test_the_examples_load() -> None:
    policies = {p.name: p for p in load_policies(EXAMPLES)}
    assert set(policies) == {"emergency_cancellation", "critical_capacity", "priority_escalation"}
    emergency = policies["emergency_cancellation"]
    assert [t.type for t in emergency.triggers] == ["task_timeout", "agent_failure"]
    assert [(a.type, a.auto_approve) for a in emergency.actions] == [
        ("cancel_task", True),
        ("notify", False),
    ]
    assert emergency.actions[1].params == {"channels": ["slack", "pagerduty"]}
    assert emergency.rollback_after_minutes == 60 and emergency.min_authority == 4
    failure = emergency.triggers[1].condition
    assert failure.evaluate({"agent": {"health_status": "failed"}, "task": {"status": "running"}})
    assert not failure.evaluate(
        {"agent": {"health_status": "healthy"}, "task": {"status": "running"}}
    )
    assert policies["priority_escalation"].rollback_after_minutes is None


def write(tmp_path: Path, text: str, name: str = "p.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def problems(path: Path) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policies(path)
    return [str(p) for p in info.value.problems]


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
policy:
  name: bad
  min_authority: 4
  colour: blue
  triggers:
    - type: task_timeout
      condition: "task.running_duration > task.timeout_seconds * 2 AND"
    - type: cosmic_rays
      condition: "true"
    - type: task
      condition: "principal.id == 'x'"
      severity: high
  actions:
    - type: cancel_task
      auto_approve: maybe
    - type: launch_missiles
    - type: notify
      channels: []
    - type: override_priority
      new_priority: URGENT
      capacity: 2
  rollback:
    enabled: true
    auto_rollback_after_minutes: -5
""",
    )
    found = problems(path)
    where = f"{path}:"
    expected = [
        (4, "field 'colour': unknown field in policy"),
        (7, "field 'condition': condition: does not compile"),
        (8, "field 'type': unknown trigger type 'cosmic_rays'"),
        (11, "field 'condition': condition: unknown variable(s) principal"),
        (12, "field 'severity': unknown field in trigger"),
        (15, "field 'auto_approve': auto_approve: expected true or false"),
        (16, "field 'type': unknown action type 'launch_missiles'"),
        (18, "field 'channels': channels: a non-empty list"),
        (20, "field 'new_priority': new_priority must be one of"),
        (21, "field 'capacity': a override_priority action has no field 'capacity'"),
        (
            24,
            "field 'auto_rollback_after_minutes': auto_rollback_after_minutes must be a positive number",
        ),
    ]
    for line, text in expected:
        assert any(p.startswith(f"{where}{line}: rule 'bad': {text}") for p in found), (
            line,
            text,
            found,
        )
    assert len(found) == len(expected)


def test_structure_authority_and_duplicate_names(tmp_path: Path) -> None:
    assert (
        "expected one top-level mapping `policy:`" in problems(write(tmp_path, "rules: []\n"))[-1]
    )
    low = write(tmp_path, "policy:\n  name: low\n  min_authority: 3\n  triggers: [{type: task, condition: 'true'}]\n"
                          "  actions: [{type: cancel_task}]\n")  # fmt: skip
    assert "min_authority 3: interventions need GUARDIAN (4) or more" in problems(low)[0]
    empty = write(tmp_path, "policy:\n  name: empty\n  triggers: []\n  actions: []\n")
    assert [p.split(": ", 3)[-1] for p in problems(empty)] == ["triggers: expected a non-empty list",
                                                               "actions: expected a non-empty list"]  # fmt: skip
    folder = tmp_path / "dir"
    folder.mkdir()
    one = "policy:\n  name: same\n  triggers: [{type: task, condition: 'true'}]\n  actions: [{type: cancel_task}]\n"
    write(folder, one, "a.yaml")
    write(folder, one, "b.yaml")
    [dup] = problems(folder)
    assert dup.startswith(
        f"{folder / 'b.yaml'}:2: rule 'same': field 'name': a policy of this name"
    )
    assert "policy file not found" in problems(tmp_path / "missing.yaml")[0]
    assert "YAML syntax error" in problems(write(tmp_path, "policy: [\n", "broken.yaml"))[0]


def test_seed_spelling_and_cel_spelling_are_the_same(tmp_path: Path) -> None:
    text = ("policy:\n  name: {name}\n  triggers:\n    - type: agent_failure\n      condition: \"{cond}\"\n"
            "  actions: [{{type: cancel_task, auto_approve: true}}]\n")  # fmt: skip
    seed = write(
        tmp_path,
        text.format(name="a", cond="NOT (agent.health_status == 'ok' OR task.status != 'running')"),
        "a.yaml",
    )
    cel = write(
        tmp_path,
        text.format(name="b", cond="!(agent.health_status == 'ok' || task.status != 'running')"),
        "b.yaml",
    )
    [a], [b] = load_policies(seed), load_policies(cel)
    for ctx in ({"agent": {"health_status": "failed"}, "task": {"status": "running"}},
                {"agent": {"health_status": "ok"}, "task": {"status": "running"}}):  # fmt: skip
        assert a.triggers[0].condition.evaluate(ctx) == b.triggers[0].condition.evaluate(ctx)
