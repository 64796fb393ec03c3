"""The mirror's fdatasync behind the answer: coalesced, flushed on demand, failures reported."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from guardian.ledger.durable import DurableLedger
from guardian.ledger.errors import LedgerError, MirrorError
from guardian.ledger.mirrorsync import MirrorSyncer
from guardian.ledger.open import open_ledger
from guardian.ledger.verify import verify_jsonl

from .ledgerkit import decision_payload


class SlowSync:
    """A sync step that takes a while and counts how often it ran."""

    def __init__(self, delay: float = 0.02) -> None:
        self.delay = delay
        self.runs = 0
        self.lock = threading.Lock()

    def __call__(self) -> None:
        time.sleep(self.delay)
        with self.lock:
            self.runs += 1


def test_flush_waits_for_every_queued_sync() -> None:
    syncer = MirrorSyncer(interval=0.5)
    first, second = SlowSync(), SlowSync()
    syncer.submit([first])
    syncer.submit([second])
    syncer.flush()  # cuts the interval short
    assert (first.runs, second.runs) == (1, 1)
    syncer.close()


def test_batches_queued_during_a_sync_share_the_next_one() -> None:
    syncer = MirrorSyncer(interval=0.0)
    slow = SlowSync(delay=0.05)
    syncer.submit([slow])
    time.sleep(0.01)  # the thread is inside the slow sync now
    later = [SlowSync(delay=0.0) for _ in range(5)]
    for one in later:
        syncer.submit([one])
    syncer.flush()
    assert slow.runs == 1 and all(one.runs == 1 for one in later)
    syncer.close()


def test_a_failed_sync_is_reported_once() -> None:
    syncer = MirrorSyncer(interval=0.0)

    def broken() -> None:
        raise OSError(5, "Input/output error")

    syncer.submit([broken])
    syncer.flush()
    failure = syncer.take_failure()
    assert isinstance(failure, OSError) and failure.errno == 5
    assert syncer.take_failure() is None
    syncer.close()


def test_close_runs_what_is_queued_and_later_submits_run_inline() -> None:
    syncer = MirrorSyncer(interval=10.0)
    queued = SlowSync(delay=0.0)
    syncer.submit([queued])
    syncer.close()
    assert queued.runs == 1
    after = SlowSync(delay=0.0)
    syncer.submit([after])
    assert after.runs == 1


@pytest.mark.parametrize("mode", ["background", "before_ack"])
def test_both_modes_mirror_every_entry(tmp_path: Path, mode: str) -> None:
    ledger = open_ledger(f"sqlite:///{tmp_path / 'g.db'}", signing_key=False, mirror_sync=mode)
    assert isinstance(ledger, DurableLedger)
    entries = [ledger.append("decision", decision_payload(i)) for i in range(30)]
    mirror = tmp_path / "g.jsonl"
    # the line is written before the answer in both modes; only its fdatasync may follow
    assert mirror.read_bytes().splitlines()[-1] == entries[-1].line().rstrip(b"\n")
    ledger.flush()
    ledger.close()
    assert verify_jsonl(mirror).ok


def test_unknown_mode_is_refused(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="mirror_sync must be one of"):
        open_ledger(f"sqlite:///{tmp_path / 'g.db'}", signing_key=False, mirror_sync="never")


def test_a_background_failure_reaches_the_next_append(tmp_path: Path) -> None:
    ledger = open_ledger(f"sqlite:///{tmp_path / 'g.db'}", signing_key=False)
    assert isinstance(ledger, DurableLedger)
    first = ledger.append("decision", decision_payload(1))
    syncer = ledger._writer.mirrors._syncer  # type: ignore[union-attr]
    assert syncer is not None

    def broken() -> None:
        raise OSError(28, "No space left on device")

    syncer.submit([broken])
    syncer.flush()
    with pytest.raises(MirrorError, match="No space left on device") as caught:
        ledger.append("decision", decision_payload(2))
    assert caught.value.entry is not None and caught.value.entry.seq == first.seq + 1
    ledger.append("decision", decision_payload(3))  # reported once; the ledger goes on
    ledger.close()
