"""The watchdog's pass, in process: loops, DENY streaks, stalls, overdue runs, over-budget agents."""

import subprocess
import sys

import pytest

from guardian import Guardian, Principal
from guardian.governance.runs import Heartbeats, RunStore
from guardian.governance.watchdog import Watchdog, WatchdogSettings
from guardian.runtime.processes import alive
from guardian.testing import FakeClock

ADMIN = Principal("root", "admin", 5)


@pytest.fixture
def world() -> tuple[Guardian, FakeClock, RunStore, Watchdog]:
    clock = FakeClock()
    g = Guardian(
        [{"id": "rm", "action": "rm", "effect": "DENY"}, {"id": "all", "effect": "ALLOW"}],
        clock=clock,
    )
    engine = g.approvals.store.engine
    runs = RunStore(engine, g.ledger, clock)
    dog = Watchdog(g.ledger, runs, g.pauses, Heartbeats(engine, clock), clock,
                   WatchdogSettings(stall_after=30, loop_repeats=5, loop_window=60, deny_streak=4, grace=1), engine=engine)  # fmt: skip
    return g, clock, runs, dog


def test_loop_of_identical_intents_pauses_and_records_evidence(world) -> None:
    g, clock, _, dog = world
    for _ in range(4):
        clock.advance(1)
        g.decide("looper", "poll", "api")
        g.decide("calm", "poll", f"api-{clock.now().second}")
    assert dog.run_pass() == []
    g.decide("looper", "poll", "api")
    [finding] = dog.run_pass()
    assert finding.kind == "loop" and finding.agent_id == "looper"
    assert g.decide("looper", "poll", "api").reason_codes == ("paused",)
    assert g.decide("calm", "poll", "x").decision == "ALLOW"
    entry = [e for e in g.ledger.entries() if e.kind == "watchdog"][-1]
    assert entry.payload["evidence"]["count"] == 5 and entry.payload["evidence"][
        "intent_hash"
    ].startswith("sha256:")


def test_identical_intents_spread_beyond_the_window_are_not_a_loop(world) -> None:
    g, clock, _, dog = world
    for _ in range(8):
        clock.advance(20)
        g.decide("patient", "poll", "api")
        assert dog.run_pass() == []


def test_deny_streak(world) -> None:
    g, _, _, dog = world
    for i in range(4):
        g.decide("bad", "rm", f"file-{i}")
    [finding] = dog.run_pass()
    assert finding.kind == "deny_streak"


def test_stall_and_overdue_runs_are_stopped(world) -> None:
    g, clock, runs, dog = world
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    busy = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True
    )
    try:
        stalled = runs.start("sleepy", None, sleeper.pid, None)
        working = runs.start("busy", None, busy.pid, 1000)
        for _ in range(4):
            clock.advance(10)
            runs.heartbeat(stalled.id)
            runs.heartbeat(working.id)
            g.decide("busy", "work", f"item-{clock.now().second}")
            found = dog.run_pass()
        assert [f.kind for f in dog.acted] == ["stall"] and dog.acted[0].agent_id == "sleepy"
        sleeper.wait(timeout=5)
        assert not alive(sleeper.pid) and busy.poll() is None
        assert runs.get(stalled.id).status == "stopped"
        del found
    finally:
        for p in (sleeper, busy):
            if p.poll() is None:
                p.kill()
                p.wait()


def test_over_budget_agent_is_paused(world) -> None:
    g, _, _, dog = world
    g.budgets.set_cap("agent", "spender", "tokens", 10, ADMIN)
    from sqlalchemy import update

    from guardian.storage.control_tables import budgets

    with g.approvals.store.engine.begin() as conn:  # spend recorded behind the budget's back
        conn.execute(update(budgets).values(spent=20 * 10**6))
    [finding] = dog.run_pass()
    assert finding.kind == "over_budget" and g.pauses.reason("spender", None)


def test_watchdog_reads_only_new_entries(world) -> None:
    g, _, _, dog = world
    for i in range(10):
        g.decide("a", "x", str(i))
    dog.run_pass()
    cursor = dog.cursor
    dog.run_pass()
    assert dog.cursor == cursor == g.ledger.head().seq  # type: ignore[union-attr]
