"""Tampering with a ledger, as a JSONL file and as a database, is always caught at the right seq.

The oracle: entries 1..k that still equal the original, in order, verify, so the first bad seq is
the length of the common prefix of the tampered and the original ledger, plus one.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guardian.core.canonical import canonical_json
from guardian.ledger import parallel
from guardian.ledger.checkpoint import Checkpoint, checkpoints_path
from guardian.ledger.entry import GENESIS_HASH, Entry
from guardian.ledger.merkle import Frontier
from guardian.ledger.open import open_ledger
from guardian.ledger.verify import VerifyError, verify, verify_jsonl, verify_sqlite

from .ledgerkit import decision_payload

KEY = Ed25519PrivateKey.generate()
PUB = KEY.public_key()
N = 12


def make_chain(n: int = N, every: int = 5) -> tuple[list[dict[str, Any]], list[Checkpoint]]:
    """n sealed entries and a signed checkpoint every `every` entries and at the end."""
    entries, cps, prev, frontier = [], [], GENESIS_HASH, Frontier()
    for seq in range(1, n + 1):
        ts = f"2026-11-21T05:07:{seq % 60:02d}.{seq:06d}Z"
        entry = Entry.seal(
            seq, "decision" if seq % 3 else "receipt", ts, decision_payload(seq), prev
        )
        entries.append(entry.to_dict())
        frontier.append(bytes.fromhex(entry.hash))
        if seq % every == 0 or seq == n:
            cps.append(Checkpoint.sign(seq, frontier.root(), ts, KEY))
        prev = entry.hash
    return entries, cps


ORIGINAL, CHECKPOINTS = make_chain()


def write(tmp: Path, entries: list[dict[str, Any]], cps: list[Checkpoint] = CHECKPOINTS) -> Path:
    path = tmp / "ledger.jsonl"
    path.write_bytes(b"".join(canonical_json(e) + b"\n" for e in entries))
    checkpoints_path(path).write_bytes(b"".join(cp.line() for cp in cps))
    return path


def oracle(tampered: list[dict[str, Any]]) -> int:
    k = 0
    while k < min(len(tampered), len(ORIGINAL)) and tampered[k] == ORIGINAL[k]:
        k += 1
    return k + 1


def test_intact_ledger_verifies(tmp_path: Path) -> None:
    report = verify_jsonl(write(tmp_path, ORIGINAL), public_key=PUB)
    assert report.ok, report.detail
    assert (report.entries, report.head_seq, report.checkpoints) == (N, N, len(CHECKPOINTS))
    assert report.signatures == "verified" and report.head_hash == ORIGINAL[-1]["hash"]


FIELD_VALUES: dict[str, list[Any]] = {
    "seq": [0, 3, 99, -1, "1", None, 2.5],
    "kind": ["approval", "BAD", 7],
    "ts": ["2030-01-01T00:00:00.000000Z", "yesterday"],
    "payload": [{}, {"decision_id": "forged"}, []],
    "prev_hash": ["ab" * 32, "xyz"],
    "hash": ["cd" * 32, ""],
}


@pytest.mark.parametrize("index", [0, 4, 5, N - 1])
@pytest.mark.parametrize(("field", "value"), [(f, v) for f, vs in FIELD_VALUES.items() for v in vs])
def test_changing_any_field_of_any_entry(
    tmp_path: Path, index: int, field: str, value: Any
) -> None:
    tampered = [dict(e) for e in ORIGINAL]
    if tampered[index][field] == value:
        pytest.skip("no change")
    tampered[index][field] = value
    report = verify_jsonl(write(tmp_path, tampered), public_key=PUB)
    assert not report.ok
    assert report.first_bad_seq == index + 1, report.detail


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("delete", lambda e: e[:3] + e[4:], "gap"),
        ("delete first", lambda e: e[1:], "gap"),
        ("swap adjacent", lambda e: [*e[:3], e[4], e[3], *e[5:]], "reorder"),
        ("swap far", lambda e: [*e[:2], e[9], *e[3:9], e[2], *e[10:]], "reorder"),
        ("duplicate", lambda e: [*e[:4], e[3], *e[4:]], "duplicate"),
        ("copy from elsewhere", lambda e: [*e[:6], e[1], *e[6:]], "reorder"),
        ("truncate one", lambda e: e[:-1], "truncated"),
        ("truncate many", lambda e: e[:4], "truncated"),
        ("truncate all", lambda e: [], "truncated"),
    ],
)
def test_structural_tampering(tmp_path: Path, name: str, make: Any, reason: str) -> None:
    tampered = make([dict(e) for e in ORIGINAL])
    report = verify_jsonl(write(tmp_path, tampered), public_key=PUB)
    assert not report.ok, name
    assert (report.first_bad_seq, report.reason) == (oracle(tampered), reason), report.detail


def forged(seq: int, prev: str) -> dict[str, Any]:
    return Entry.seal(
        seq, "decision", "2026-11-21T06:00:00.000000Z", {"forged": True}, prev
    ).to_dict()


def test_inserted_entry_that_links_is_a_fork(tmp_path: Path) -> None:
    tampered = [*ORIGINAL[:5], forged(6, ORIGINAL[4]["hash"]), *ORIGINAL[5:]]
    report = verify_jsonl(write(tmp_path, tampered), public_key=PUB)
    assert (report.ok, report.first_bad_seq, report.reason) == (False, 6, "duplicate")


def test_resealed_history_is_caught_by_the_checkpoint(tmp_path: Path) -> None:
    """An attacker who rewrites entry 7 and re-seals everything after it keeps a valid chain."""
    tampered, prev = ORIGINAL[:6], ORIGINAL[5]["hash"]
    for e in ORIGINAL[6:]:
        payload = {"rewritten": True} if e["seq"] == 7 else e["payload"]
        tampered.append(Entry.seal(e["seq"], e["kind"], e["ts"], payload, prev).to_dict())
        prev = tampered[-1]["hash"]
    report = verify_jsonl(write(tmp_path, tampered), public_key=PUB)
    assert (report.ok, report.reason, report.first_bad_seq) == (False, "checkpoint_mismatch", 6)
    no_checkpoints = verify_jsonl(write(tmp_path, tampered, []), public_key=PUB)
    assert (
        no_checkpoints.ok
    )  # documented: without a checkpoint a re-sealed tail cannot be told apart


def test_truncation_is_invisible_without_checkpoints(tmp_path: Path) -> None:
    assert verify_jsonl(write(tmp_path, ORIGINAL[:7], []), public_key=PUB).ok


def test_checkpoint_signatures(tmp_path: Path) -> None:
    path = write(tmp_path, ORIGINAL)
    other = Ed25519PrivateKey.generate().public_key()
    assert verify_jsonl(path, public_key=other).reason == "bad_checkpoint"
    unsigned = verify_jsonl(path)  # no key given, none beside the file
    assert unsigned.ok and unsigned.signatures == "unchecked"
    bad = [Checkpoint(c.tree_size, "00" * 32, c.ts, c.key_id, c.signature) for c in CHECKPOINTS]
    assert verify_jsonl(write(tmp_path, ORIGINAL, bad), public_key=PUB).reason == "bad_checkpoint"
    assert verify_jsonl(write(tmp_path, ORIGINAL, bad)).reason == "checkpoint_mismatch"


def test_torn_and_garbled_lines(tmp_path: Path) -> None:
    path = write(tmp_path, ORIGINAL)
    data = path.read_bytes()
    path.write_bytes(data[:-20])  # a torn last line
    report = verify_jsonl(path, public_key=PUB)
    assert (report.first_bad_seq, report.reason, report.line) == (N, "unparseable", N)
    assert "torn" in (report.detail or "")
    lines = data.splitlines(keepends=True)
    lines[3] = b"{not json\n"
    path.write_bytes(b"".join(lines))
    assert verify_jsonl(path, public_key=PUB).first_bad_seq == 4
    lines = data.splitlines(keepends=True)
    lines[3] = (
        orjson.dumps(orjson.loads(lines[3]), option=orjson.OPT_INDENT_2).replace(b"\n", b" ")
        + b"\n"
    )
    report = verify_jsonl(path.write_bytes(b"".join(lines)) and path, public_key=PUB)
    assert (report.first_bad_seq, report.reason) == (4, "not_canonical")


def test_floats_and_astral_text_take_the_reference_path(tmp_path: Path) -> None:
    entries, prev = [], GENESIS_HASH
    for seq, payload in enumerate(
        [{"x": 1.5}, {"😀": 1, "\ue000": 2}, {"big": 1e20, "f": 0.5}, {"n": 1}], 1
    ):
        entries.append(
            Entry.seal(seq, "note", "2026-11-21T05:07:08.000000Z", payload, prev).to_dict()
        )
        prev = entries[-1]["hash"]
    assert verify_jsonl(write(tmp_path, entries, [])).ok


tamper_ops = st.one_of(
    st.tuples(
        st.just("modify"), st.integers(0, N - 1), st.sampled_from(sorted(FIELD_VALUES)), st.data()
    ),
    st.tuples(st.just("delete"), st.integers(0, N - 1)),
    st.tuples(st.just("swap"), st.integers(0, N - 1), st.integers(0, N - 1)),
    st.tuples(st.just("truncate"), st.integers(1, N)),
    st.tuples(st.just("copy"), st.integers(0, N - 1), st.integers(0, N)),
    st.tuples(st.just("forge"), st.integers(0, N - 1)),
    st.tuples(st.just("garble"), st.integers(0, N - 1), st.binary(max_size=30)),
)


@settings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(op=tamper_ops)
def test_random_tampering_is_always_caught(tmp_path: Path, op: tuple[Any, ...]) -> None:
    tampered: list[Any] = [dict(e) for e in ORIGINAL]
    if op[0] == "modify":
        _, i, name, data = op
        value = data.draw(
            st.sampled_from(FIELD_VALUES[name]) | st.integers(-(2**40), 2**40) | st.text(max_size=5)
        )
        if tampered[i][name] == value:
            return
        tampered[i][name] = value
    elif op[0] == "delete":
        del tampered[op[1]]
    elif op[0] == "swap":
        if op[1] == op[2]:
            return
        tampered[op[1]], tampered[op[2]] = tampered[op[2]], tampered[op[1]]
    elif op[0] == "truncate":
        del tampered[-op[1] :]
    elif op[0] == "copy":
        tampered.insert(op[2], dict(ORIGINAL[op[1]]))
    elif op[0] == "forge":
        tampered.insert(
            op[1], forged(op[1] + 1, ORIGINAL[op[1] - 1]["hash"] if op[1] else GENESIS_HASH)
        )
    else:
        tampered[op[1]] = {"garbled": op[2].hex()}
    report = verify_jsonl(write(tmp_path, tampered), public_key=PUB)
    assert not report.ok, op
    assert report.first_bad_seq == oracle(tampered), (op, report)


# -- the database as source -------------------------------------------------------------------


@pytest.fixture
def sqlite_ledger(tmp_path: Path) -> Path:
    db = tmp_path / "ledger.db"
    ledger = open_ledger(f"sqlite:///{db}", signing_key=KEY, checkpoint_every=5, mirror=False)
    for i in range(1, N + 1):
        ledger.append("decision", decision_payload(i))
    ledger.checkpoint()  # type: ignore[attr-defined]
    ledger.close()
    return db


def sql(db: Path, statement: str, *params: Any) -> None:
    conn = sqlite3.connect(db)
    try:
        with conn:
            conn.execute(statement, params)
    finally:
        conn.close()


@pytest.mark.parametrize(
    ("column", "value"),
    [("kind", "approval"), ("kind", 5), ("ts", "2030-01-01T00:00:00.000000Z"), ("payload", '{"a":1}'),
     ("payload", "not json"), ("prev_hash", "ab" * 32), ("hash", "cd" * 32), ("seq", 1000)],
)  # fmt: skip
@pytest.mark.parametrize("seq", [1, 6, N])
def test_database_field_tampering(sqlite_ledger: Path, column: str, value: Any, seq: int) -> None:
    assert verify_sqlite(sqlite_ledger, public_key=PUB).ok
    sql(sqlite_ledger, f"UPDATE ledger_entries SET {column} = ? WHERE seq = ?", value, seq)
    report = verify_sqlite(sqlite_ledger, public_key=PUB)
    assert (report.ok, report.first_bad_seq) == (False, seq), report.detail


def test_database_structural_tampering(sqlite_ledger: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    for statements, first_bad, reason in [
        (["DELETE FROM ledger_entries WHERE seq = 4"], 4, "gap"),
        (["DELETE FROM ledger_entries WHERE seq > 9"], 10, "truncated"),
        (["UPDATE ledger_entries SET seq = -3 WHERE seq = 3", "UPDATE ledger_entries SET seq = 3 WHERE seq = 8",
          "UPDATE ledger_entries SET seq = 8 WHERE seq = -3"], 3, "broken_link"),  # swap two rows
        (["UPDATE ledger_checkpoints SET root_hash = ?"], None, "bad_checkpoint"),
    ]:  # fmt: skip
        for leftover in (copy, copy.with_name("copy.db-wal"), copy.with_name("copy.db-shm")):
            leftover.unlink(missing_ok=True)
        copy.write_bytes(sqlite_ledger.read_bytes())
        for statement in statements:
            sql(copy, statement, *(["00" * 32] if "?" in statement else []))
        report = verify_sqlite(copy, public_key=PUB)
        assert (report.ok, report.first_bad_seq, report.reason) == (False, first_bad, reason), (
            statements
        )


def test_verify_dispatches_on_the_source(sqlite_ledger: Path, tmp_path: Path) -> None:
    assert verify(sqlite_ledger, public_key=PUB).ok
    assert verify(f"sqlite:///{sqlite_ledger}", public_key=PUB).ok
    assert verify(write(tmp_path, ORIGINAL), public_key=PUB).ok
    with pytest.raises(VerifyError, match="no such file"):
        verify(tmp_path / "missing.jsonl")
    with pytest.raises(VerifyError, match="public key"):
        verify(sqlite_ledger, public_key="not a key")


# -- the parallel pass gives the sequential pass's answer --------------------------------------


@pytest.mark.parametrize("tamper", [None, 150, 299])
def test_parallel_matches_sequential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tamper: int | None
) -> None:
    entries, cps = make_chain(300, every=37)
    if tamper is not None:
        entries[tamper]["payload"] = {"tampered": True}
    path = write(tmp_path, entries, cps)
    monkeypatch.setattr(parallel, "CHUNK_BYTES", 4000)
    sequential = verify_jsonl(path, public_key=PUB, workers=0)
    parallel_ = verify_jsonl(path, public_key=PUB, workers=2)
    sequential.seconds = parallel_.seconds = 0.0
    assert sequential == parallel_
    assert sequential.ok is (tamper is None)
