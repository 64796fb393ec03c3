"""The in-memory state database's direct statements and remembered absences (memory_db.py).

What must hold: SQLite sees the same writes, in the same order, as through SQLAlchemy; a lookup is
skipped only when it could not have found anything; no remembered absence outlives a change or
holds for an earlier time; errors are SQLAlchemy's; listeners see every statement.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import event, update
from sqlalchemy.exc import OperationalError

from guardian import Guardian, Principal
from guardian.core import ids
from guardian.governance.memory_db import MemoryDB
from guardian.storage.engine import open_engine
from guardian.storage.tables import proposals
from guardian.testing import FakeClock

ALICE = Principal("alice", "approver", 3)
ADMIN = Principal("root", "admin", 5)
RULES = [
    {"id": "mail", "action": "send_email", "effect": "ASK"},
    {"id": "pay", "action": "pay", "effect": "ASK", "approval_timeout": "10m"},
    {"id": "read", "action": "read", "effect": "ALLOW"},
]
PROBE = "SELECT 1 FROM"  # how the remembered absences are checked


def driver(g: Guardian) -> sqlite3.Connection:
    fairy = g._engine.raw_connection()
    conn = fairy.driver_connection
    fairy.close()
    assert isinstance(conn, sqlite3.Connection)
    return conn


def traced(through_sqlalchemy: bool, steps: Callable[[Guardian], None]) -> list[str]:
    """Every statement SQLite runs (parameters bound) while `steps` run on a fresh Guardian."""
    ids.seed("ab" * 8)
    g = Guardian(RULES, clock=FakeClock())
    if through_sqlalchemy:
        event.listen(g._engine, "before_cursor_execute", lambda *args: None)
    log: list[str] = []
    driver(g).set_trace_callback(log.append)
    steps(g)
    return log


def approvals_and_grants(g: Guardian) -> None:
    asked = g.decide("bot", "send_email", "a@x")
    g.decide("bot", "send_email", "a@x")
    assert asked.proposal_id is not None
    g.approvals.approve_and_grant(asked.proposal_id, ALICE, "ok", hours=1, target="*@x")
    assert g.decide("bot", "send_email", "a@x").approval_id == asked.proposal_id
    assert g.decide("bot", "send_email", "b@x").reason_codes[-1] == "granted"
    assert g.decide("bot", "send_email", "b@y").decision == "ASK"
    g.decide("bot", "read", "r")
    assert g.decide("bot", "pay", "p").decision == "ASK"


def test_sqlite_sees_the_same_writes_and_a_subset_of_the_reads(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ids, "_state", ids._state)
    direct = traced(False, approvals_and_grants)
    through = traced(True, approvals_and_grants)
    assert any(s.startswith(PROBE) for s in direct)
    assert not any(s.startswith(PROBE) for s in through)
    reads = [s for s in direct if not s.startswith(PROBE)]
    assert [s for s in reads if not s.startswith("SELECT")] == [
        s for s in through if not s.startswith("SELECT")
    ]  # every BEGIN, INSERT, UPDATE and COMMIT, byte for byte, in order
    remaining = iter(through)
    assert all(any(s == t for t in remaining) for s in reads)  # a subsequence: lookups skipped
    assert len(reads) < len(through)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def g(clock: FakeClock) -> Guardian:
    return Guardian(RULES, clock=clock)


def test_an_approval_written_behind_the_stores_back_is_still_found(g: Guardian) -> None:
    asked = g.decide("bot", "pay", "p")  # the absence of approvals is now remembered
    assert g.decide("bot", "pay", "p").decision == "ASK"
    with g._engine.begin() as conn:  # not through Approvals: only the database changes
        conn.execute(
            update(proposals)
            .where(proposals.c.id == asked.proposal_id)
            .values(status="approved", decided_by="alice", expires_at="2099-01-01T00:00:00.000000Z")
        )
    assert g.decide("bot", "pay", "p").approval_id == asked.proposal_id


def test_an_absence_found_later_does_not_hold_earlier(g: Guardian, clock: FakeClock) -> None:
    asked = g.decide("bot", "pay", "p")
    assert asked.proposal_id is not None
    g.approve(asked.proposal_id, ALICE)  # usable for 15 minutes
    start = clock.now()
    clock.advance(16 * 60)
    assert g.decide("bot", "pay", "p").decision == "ASK"  # none live now: remembered
    clock.set(start + timedelta(minutes=1))  # the clock goes back: the approval is live again
    assert g.decide("bot", "pay", "p").approval_id == asked.proposal_id


def test_a_pending_proposal_keeps_the_absence_but_another_write_retires_it(g: Guardian) -> None:
    log: list[str] = []
    driver(g).set_trace_callback(log.append)
    g.decide("bot", "pay", "p1")
    g.decide("bot", "pay", "p2")  # its own insert did not retire what the first ASK found
    assert sum(s.startswith(PROBE) for s in log) == 2  # approvals and grants, once
    g.pauses.pause("agent", "other", ADMIN, "x")  # any other write: the database changed
    g.decide("bot", "pay", "p3")
    assert sum(s.startswith(PROBE) for s in log) == 4


def test_a_grant_created_after_the_absence_was_remembered_is_used(g: Guardian) -> None:
    g.decide("bot", "send_email", "z@x")
    asked = g.decide("bot", "send_email", "a@x")
    assert asked.proposal_id is not None
    g.approvals.approve_and_grant(asked.proposal_id, ALICE, "", hours=1, target="*@x")
    g.decide("bot", "send_email", "a@x")  # the approval
    assert g.decide("bot", "send_email", "b@x").reason_codes[-1] == "granted"


def test_an_approval_is_used_once_by_racing_threads(g: Guardian) -> None:
    asked = g.decide("bot", "pay", "p")
    assert asked.proposal_id is not None
    g.approve(asked.proposal_id, ALICE)
    used: list[str | None] = []
    barrier = threading.Barrier(8)

    def decide() -> None:
        barrier.wait()
        used.append(g.decide("bot", "pay", "p").approval_id)

    threads = [threading.Thread(target=decide) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert used.count(asked.proposal_id) == 1 and used.count(None) == 7
    assert g.verify_ledger().ok


def test_listeners_see_every_statement(g: Guardian) -> None:
    seen: list[str] = []
    event.listen(g._engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    g.decide("bot", "pay", "p")
    assert any(s.startswith("INSERT INTO proposals") for s in seen)
    assert not any(s.startswith(PROBE) for s in seen)


def test_errors_are_sqlalchemys_and_a_disposed_engine_is_a_new_database(g: Guardian) -> None:
    g.decide("bot", "pay", "p")
    g._engine.dispose()  # the in-memory database is gone, as it is for SQLAlchemy
    with pytest.raises(OperationalError, match="no such table"):
        g.decide("bot", "pay", "p")


def test_only_an_in_memory_engine_is_spoken_to_directly(tmp_path: Path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'state.db'}")
    assert MemoryDB.of(engine) is None
    memory = open_engine("memory://")
    assert MemoryDB.of(memory) is MemoryDB.of(memory) is not None


def test_a_shared_database_file_is_asked_every_time(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    from guardian.migrations import upgrade

    upgrade(url)
    first = Guardian(RULES, state=url)
    second = Guardian(RULES, state=url)  # another process, as far as the first can tell
    asked = first.decide("bot", "pay", "p")
    assert first.decide("bot", "pay", "p").decision == "ASK"
    assert asked.proposal_id is not None
    second.approve(asked.proposal_id, ALICE)
    assert first.decide("bot", "pay", "p").approval_id == asked.proposal_id
