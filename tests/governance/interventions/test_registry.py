"""The registry and its queue: priority order, capacity, validation, and one claimer per task across
processes on SQLite files and PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from guardian import Guardian
from guardian.core.clock import SYSTEM_CLOCK
from guardian.governance.registry import Registry, RegistryConflict, RegistryError, RegistryNotFound
from guardian.storage.engine import open_engine
from guardian.testing import FakeClock


@pytest.fixture
def registry() -> Registry:
    return Guardian([{"id": "all", "effect": "ALLOW"}], clock=FakeClock()).interventions.registry


def test_agents_register_update_and_validate(registry: Registry) -> None:
    agent = registry.register_agent("a", authority=2, capacity=3)
    assert (agent.capacity, agent.available, agent.health_status, agent.status) == (
        3,
        3,
        "healthy",
        "active",
    )
    with pytest.raises(RegistryConflict):
        registry.register_agent("a")
    assert registry.update_agent("a", health_status="failed", capacity=1).health_status == "failed"
    for bad in ({"capacity": -1}, {"health_status": "sick"}, {"authority": 9}, {"name": "x"}):
        with pytest.raises(RegistryError):
            registry.update_agent("a", **bad)
    with pytest.raises(RegistryNotFound):
        registry.update_agent("ghost", capacity=1)
    assert registry.ensure_agent("a").capacity == 1 and registry.ensure_agent("b").capacity == 1
    assert [a.id for a in registry.agents()] == ["a", "b"]


def test_tasks_come_out_in_priority_then_age_order(registry: Registry) -> None:
    clock = registry.clock
    registry.register_agent("w", capacity=10)
    for name, priority in (("l1", "LOW"), ("m1", "MEDIUM"), ("c1", "CRITICAL"), ("h1", "HIGH"),
                           ("c2", "critical"), ("l2", "LOW")):  # fmt: skip
        clock.advance(1)  # type: ignore[attr-defined]
        registry.register_task(name, priority=priority)
    with pytest.raises(RegistryError, match="invalid priority"):
        registry.register_task("x", priority="URGENT")
    with pytest.raises(RegistryConflict):
        registry.register_task("l1")
    claimed = [registry.claim("w") for _ in range(7)]
    assert [t.id if t else None for t in claimed] == ["c1", "c2", "h1", "m1", "l1", "l2", None]
    assert all(t.status == "running" and t.agent_id == "w" for t in claimed if t)


def test_claims_respect_capacity_health_and_assignment(registry: Registry) -> None:
    registry.register_agent("w", capacity=1)
    registry.register_agent("v", capacity=1)
    registry.register_task("mine", agent_id="v", priority="CRITICAL")
    registry.register_task("any")
    registry.register_task("next")
    assert registry.claim("w").id == "any"  # "mine" is v's
    assert registry.claim("w") is None  # at capacity
    assert registry.finish_task("any", ok=True) and not registry.finish_task("any", ok=True)
    registry.update_agent("w", health_status="failed")
    assert registry.claim("w") is None
    assert registry.claim("v").id == "mine"
    assert registry.task("any").status == "done"
    with pytest.raises(RegistryNotFound):
        registry.claim("ghost")


def test_the_runner_path_claims_a_named_task_or_registers_one(registry: Registry) -> None:
    registry.register_task("queued-1", name="report", priority="HIGH", timeout_seconds=5)
    task = registry.start_task("bot", name="report", timeout_seconds=60)
    assert (task.id, task.status, task.timeout_seconds) == ("queued-1", "running", 5)
    fresh = registry.start_task("bot", name="report", timeout_seconds=60)
    assert fresh.id != "queued-1" and fresh.timeout_seconds == 60 and fresh.name == "report"


CLAIMER = """
import sys
from guardian.core.clock import SYSTEM_CLOCK
from guardian.governance.registry import Registry
from guardian.storage.engine import open_engine
registry = Registry(open_engine(sys.argv[1]), SYSTEM_CLOCK)
got = []
while (task := registry.claim(sys.argv[2])) is not None:
    got.append(task.id)
print(" ".join(got))
"""


def _race(url: str, tasks: int = 80, workers: int = 4) -> None:
    registry = Registry(open_engine(url), SYSTEM_CLOCK)
    for w in range(workers):
        registry.register_agent(f"w{w}", capacity=10_000)
    for n in range(tasks):
        registry.register_task(f"t{n:03d}", priority=("CRITICAL", "HIGH", "MEDIUM", "LOW")[n % 4])
    procs = [subprocess.Popen([sys.executable, "-c", CLAIMER, url, f"w{w}"], stdout=subprocess.PIPE, text=True)
             for w in range(workers)]  # fmt: skip
    claimed = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    flat = [t for got in claimed for t in got]
    assert sorted(flat) == [f"t{n:03d}" for n in range(tasks)]  # every task once, none twice
    for w, got in enumerate(claimed):
        assert {t.id for t in registry.tasks("running", agent_id=f"w{w}", limit=1000)} == set(got)


def test_one_claimer_per_task_across_processes_sqlite(tmp_path: Path) -> None:
    from guardian.ledger.open import open_ledger

    url = f"sqlite:///{tmp_path / 'q.db'}"
    open_ledger(url, signing_key=False, mirror=False).close()  # creates and migrates the schema
    _race(url)


@pytest.mark.postgres
def test_one_claimer_per_task_across_processes_postgres(postgres_db: str) -> None:
    from guardian import migrations

    migrations.upgrade(postgres_db)
    _race(postgres_db)
