"""Group commit: batching, per-caller results and errors, closing; and a failing database."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import pytest

from guardian.ledger.errors import LedgerClosed, LedgerWriteError, MirrorError
from guardian.ledger.groupcommit import Committed, GroupCommitter
from guardian.ledger.open import open_ledger
from guardian.ledger.verify import verify_sqlite

from .ledgerkit import decision_payload


class Recorder:
    def __init__(self, delay: float = 0.002, fail_on: int | None = None) -> None:
        self.batches: list[list[int]] = []
        self.delay, self.fail_on = delay, fail_on

    def write(self, items: Sequence[int]) -> Committed[int]:
        time.sleep(self.delay)  # the fsync
        if self.fail_on is not None and self.fail_on in items:
            raise OSError("disk full")
        self.batches.append(list(items))
        return Committed([ValueError(f"odd {i}") if i % 100 == 99 else i * 2 for i in items])


def run_callers(gc: GroupCommitter[int, int], n_threads: int, per: int) -> dict[int, object]:
    out: dict[int, object] = {}
    lock = threading.Lock()

    def work(t: int) -> None:
        for i in range(per):
            item = t * 1000 + i
            try:
                result: object = gc.submit(item)
            except BaseException as exc:
                result = exc
            with lock:
                out[item] = result

    threads = [threading.Thread(target=work, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_concurrent_callers_share_batches() -> None:
    rec = Recorder()
    gc: GroupCommitter[int, int] = GroupCommitter(rec.write)
    out = run_callers(gc, 8, 30)
    gc.close()
    assert len(out) == 240
    assert all(out[i] == i * 2 for i in out if i % 100 != 99)
    assert max(len(b) for b in rec.batches) > 1
    assert sum(len(b) for b in rec.batches) == 240
    assert len(rec.batches) < 200


def test_each_caller_gets_its_own_exception() -> None:
    gc: GroupCommitter[int, int] = GroupCommitter(Recorder().write)
    with pytest.raises(ValueError, match="odd 99"):
        gc.submit(99)
    assert gc.submit(4) == 8
    gc.close()


def test_a_failed_batch_fails_its_callers_only() -> None:
    rec = Recorder(fail_on=13)
    gc: GroupCommitter[int, int] = GroupCommitter(rec.write)
    with pytest.raises(LedgerWriteError, match="disk full") as caught:
        gc.submit(13)
    assert isinstance(caught.value.__cause__, OSError)
    assert gc.submit(14) == 28  # the writer lives on
    gc.close()


def test_nothing_is_acknowledged_before_the_sync_step() -> None:
    synced: list[list[int]] = []
    acked: list[int] = []
    state = {"fail": False}

    def write(items: Sequence[int]) -> Committed[int]:
        def sync() -> None:
            time.sleep(0.005)
            if state["fail"]:
                raise OSError("mirror disk gone")
            synced.append(list(items))

        def failed(result: int, exc: BaseException) -> BaseException:
            return MirrorError(f"{result} committed, {exc}")

        return Committed(list(items), sync, failed)

    gc: GroupCommitter[int, int] = GroupCommitter(write)
    threads = [threading.Thread(target=lambda i=i: acked.append(gc.submit(i))) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(acked) == list(range(20)) == sorted(i for batch in synced for i in batch)
    state["fail"] = True
    with pytest.raises(MirrorError, match="7 committed, mirror disk gone"):
        gc.submit(7)
    gc.close()


def test_close_writes_what_is_queued_then_refuses() -> None:
    rec = Recorder(delay=0.05)
    gc: GroupCommitter[int, int] = GroupCommitter(rec.write)
    results: list[int] = []
    threads = [threading.Thread(target=lambda i=i: results.append(gc.submit(i))) for i in range(5)]
    for t in threads:
        t.start()
    time.sleep(0.01)
    gc.close()
    for t in threads:
        t.join()
    assert sorted(results) == [0, 2, 4, 6, 8]
    with pytest.raises(LedgerClosed):
        gc.submit(1)


def test_database_errors_reach_every_waiting_caller(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    ledger = open_ledger(f"sqlite:///{db}", signing_key=False)
    ledger.append("decision", decision_payload(0))
    conn = sqlite3.connect(db)
    conn.execute(
        "ALTER TABLE ledger_entries RENAME TO gone"
    )  # the table disappears under the writer
    conn.commit()
    errors: list[BaseException] = []

    def work() -> None:
        try:
            ledger.append("decision", decision_payload(1))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(errors) == 6 and all(isinstance(e, LedgerWriteError) for e in errors)
    assert "no such table" in str(errors[0])
    conn.execute("ALTER TABLE gone RENAME TO ledger_entries")
    conn.commit()
    conn.close()
    assert ledger.append("decision", decision_payload(2)).seq == 2  # nothing of the failed batches
    ledger.close()
    assert verify_sqlite(db).entries == 2


def test_sync_steps_run_one_at_a_time_in_commit_order() -> None:
    committed_order: list[int] = []
    synced_order: list[int] = []
    running = {"now": 0, "most": 0}
    lock = threading.Lock()
    counter = iter(range(10_000))

    def write(items: Sequence[int]) -> Committed[int]:
        batch = next(counter)
        committed_order.append(batch)

        def sync() -> None:
            with lock:
                running["now"] += 1
                running["most"] = max(running["most"], running["now"])
            time.sleep(0.001 * (batch % 3))  # later batches would overtake earlier ones
            with lock:
                running["now"] -= 1
                synced_order.append(batch)

        return Committed(list(items), sync)

    gc: GroupCommitter[int, int] = GroupCommitter(write)
    results = run_callers(gc, 8, 40)
    gc.close()
    assert sorted(results) == sorted(results.values())  # type: ignore[type-var]
    assert synced_order == committed_order and running["most"] == 1
