"""One conformance suite, run against every store (memory, SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from guardian.core.canonical import canonical_json
from guardian.ledger.entry import GENESIS_HASH, TS_RE, EntryError
from guardian.ledger.errors import DuplicateEntry, LedgerClosed
from guardian.ledger.verify import verify_entries
from guardian.testing import FakeClock

from .ledgerkit import Backend, decision_payload


def test_empty_store(backend: Backend) -> None:
    ledger = backend.open()
    assert ledger.head() is None
    assert list(ledger.entries()) == []
    assert ledger.find("decision", "nope") is None


def test_append_seals_and_links(backend: Backend) -> None:
    ledger = backend.open()
    first = ledger.append("decision", decision_payload(1))
    second = ledger.append("receipt", {"decision_id": "d-1", "ok": True})
    assert (first.seq, first.prev_hash) == (1, GENESIS_HASH)
    assert (second.seq, second.prev_hash) == (2, first.hash)
    for entry in (first, second):
        assert entry.hash == entry.recomputed_hash()
        assert TS_RE.fullmatch(entry.ts)
    assert first.payload == decision_payload(1)
    assert list(ledger.entries()) == [first, second]
    assert ledger.head() == second


def test_entries_after(backend: Backend) -> None:
    ledger = backend.open()
    made = [ledger.append("decision", decision_payload(i)) for i in range(1, 11)]
    assert list(ledger.entries(after=7)) == made[7:]
    assert list(ledger.entries(after=10)) == []
    assert list(ledger.entries(after=-5)) == made


def test_chain_verifies(backend: Backend) -> None:
    ledger = backend.open()
    for i in range(1, 41):
        ledger.append("decision", decision_payload(i))
    report = verify_entries(ledger.entries())
    assert report.ok and report.entries == 40


def test_identical_payloads_in_the_same_microsecond_hash_differently(backend: Backend) -> None:
    ledger = backend.open(clock=FakeClock())
    a = ledger.append("decision", {"same": 1})
    b = ledger.append("decision", {"same": 1})
    assert a.ts == b.ts and a.payload == b.payload
    assert a.hash != b.hash
    assert (b.seq, b.prev_hash) == (a.seq + 1, a.hash)
    assert verify_entries(ledger.entries()).ok


OPAQUE: list[dict[str, Any]] = [
    {},
    {"nested": {"a": [1, 2, {"b": None}], "t": True, "f": False}},
    {"floats": [0.1, 1.5, -2.25, 1e21, 1e-7, 123456789.125], "one": 1.0},
    {"big": 2**53, "neg": -(2**40), "zero": 0},
    {"unicode": 'é ü 中文 \u2028 "quoted" \\ back', "emoji 😀": "😀 astral", "\ue000": "private"},
    {"empty": {"list": [], "obj": {}, "str": ""}},
]


@pytest.mark.parametrize("payload", OPAQUE, ids=range(len(OPAQUE)))
def test_payloads_are_opaque_json(backend: Backend, payload: dict[str, Any]) -> None:
    ledger = backend.open()
    entry = ledger.append("note", payload)
    stored = list(ledger.entries())
    assert stored == [entry]
    assert stored[0].payload == payload
    assert stored[0].hash == stored[0].recomputed_hash()
    assert verify_entries(stored).ok


@pytest.mark.parametrize(
    ("kind", "payload"),
    [
        ("Bad Kind", {}),
        ("", {}),
        (5, {}),
        ("decision", ["not", "an", "object"]),
        ("decision", {"x": {1, 2}}),
        ("decision", {"x": float("nan")}),
        ("decision", {1: "non-string key"}),
    ],
)
def test_bad_appends_are_refused_and_nothing_is_written(
    backend: Backend, kind: Any, payload: Any
) -> None:
    ledger = backend.open()
    ledger.append("decision", {"ok": 1})
    with pytest.raises((EntryError, TypeError, ValueError)):
        ledger.append(kind, payload)
    assert [e.seq for e in ledger.entries()] == [1]
    assert ledger.append("decision", {"ok": 2}).seq == 2


def test_once_per_decision(backend: Backend) -> None:
    ledger = backend.open()
    ledger.append("decision", decision_payload(1))
    receipt = ledger.append("receipt", {"decision_id": "d-1", "n": 1}, once_per_decision=True)
    with pytest.raises(DuplicateEntry):
        ledger.append("receipt", {"decision_id": "d-1", "n": 2}, once_per_decision=True)
    ledger.append("approval", {"decision_id": "d-1"}, once_per_decision=True)  # another kind
    ledger.append("receipt", {"decision_id": "d-1", "n": 3})  # not asked to be unique
    ledger.append("receipt", {"n": 4}, once_per_decision=True)  # no decision_id: nothing to check
    assert ledger.find("receipt", "d-1") == receipt
    assert ledger.find("decision", "d-1") is not None
    assert [e.seq for e in ledger.entries()] == [1, 2, 3, 4, 5]


def test_concurrent_appends_form_one_chain(backend: Backend) -> None:
    ledger = backend.open()
    errors: list[BaseException] = []

    def work(t: int) -> None:
        try:
            for i in range(25):
                ledger.append("decision", decision_payload(t * 100 + i))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    entries = list(ledger.entries())
    assert [e.seq for e in entries] == list(range(1, 201))
    assert verify_entries(entries).ok


def test_once_per_decision_under_concurrency(backend: Backend) -> None:
    ledger = backend.open()
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        try:
            ledger.append("receipt", {"decision_id": "d-race"}, once_per_decision=True)
            outcomes.append("won")
        except DuplicateEntry:
            outcomes.append("refused")

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["refused"] * 7 + ["won"]


def test_reopen_keeps_the_chain(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip("memory does not persist")
    ledger = backend.open()
    made = [ledger.append("decision", decision_payload(i)) for i in range(5)]
    ledger.close()
    again = backend.open()
    assert list(again.entries()) == made
    nxt = again.append("decision", decision_payload(6))
    assert (nxt.seq, nxt.prev_hash) == (6, made[-1].hash)
    assert verify_entries(again.entries()).ok


def test_returned_payload_is_the_stored_one(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip("the memory store keeps the caller's dict")
    ledger = backend.open()
    payload = {"a": [1]}
    entry = ledger.append("note", payload)
    payload["a"].append(2)
    assert entry.payload == {"a": [1]}
    assert next(iter(ledger.entries())).payload == {"a": [1]}


def test_append_after_close_is_refused(backend: Backend) -> None:
    if not backend.durable:
        pytest.skip("closing the memory store releases nothing")
    ledger = backend.open()
    ledger.close()
    ledger.close()  # idempotent
    with pytest.raises(LedgerClosed):
        ledger.append("decision", {})


def test_get_and_count(backend: Backend) -> None:
    ledger: Any = backend.open()
    assert ledger.count() == 0 and ledger.get(1) is None
    made = [ledger.append("decision", decision_payload(i)) for i in range(3)]
    assert ledger.count() == 3
    assert [ledger.get(i) for i in (1, 2, 3, 4)] == [*made, None]


def test_precomputed_payload_bytes_seal_the_same_entry(backend: Backend) -> None:
    ledger = backend.open()
    payload = {"decision_id": "d-1", "intent": {"actor": "a", "n": 1}, "reasons": []}
    given = ledger.append("decision", payload, payload_json=canonical_json(payload))
    assert given.hash == given.recomputed_hash()
    assert ledger.get(given.seq) == given
    assert verify_entries(ledger.entries()).ok
