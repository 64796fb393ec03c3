"""The block fast path accepts only what the line paths accept, and never hides a problem.

Files here span many blocks (the block size is shrunk), so tampering lands in the middle of one,
at its edges, and in later blocks; the verdict must equal the line-by-line verdict.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from guardian.core.canonical import canonical_json
from guardian.ledger import chaincheck
from guardian.ledger.blockcheck import accept_block
from guardian.ledger.chainstate import Chain
from guardian.ledger.entry import GENESIS_HASH, Entry
from guardian.ledger.verify import verify_jsonl

from .ledgerkit import decision_payload

TS = "2026-11-21T05:07:08.123456Z"


def chain_of(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out, prev = [], GENESIS_HASH
    for seq, payload in enumerate(payloads, 1):
        entry = Entry.seal(seq, "decision", TS, payload, prev)
        out.append(entry.to_dict())
        prev = entry.hash
    return out


def lines_of(entries: list[dict[str, Any]]) -> list[bytes]:
    return [canonical_json(e) + b"\n" for e in entries]


def line_by_line(path: Path) -> Any:
    chain = Chain()
    with path.open("rb") as f:
        return chaincheck.run(enumerate(f, 1), chain), chain.seq


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chaincheck, "BLOCK_BYTES", 1500)


ENTRIES = chain_of([decision_payload(i) for i in range(1, 41)])


def test_a_clean_file_is_accepted_block_by_block(tmp_path: Path) -> None:
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"".join(lines_of(ENTRIES)))
    report = verify_jsonl(path, workers=0)
    assert report.ok and report.entries == 40
    chain = Chain()
    assert accept_block(b"".join(lines_of(ENTRIES)), chain) == 40
    assert chain.seq == 40 and chain.hash == ENTRIES[-1]["hash"]


def _mutations(lines: list[bytes], i: int) -> list[list[bytes]]:
    """Ways to spoil line i that keep the file parseable as a whole where possible."""
    line = lines[i]
    obj = orjson.loads(line)
    out = []
    spaced = line.replace(b'":', b'": ', 1)  # whitespace: same entry, not canonical
    out.append([*lines[:i], spaced, *lines[i + 1 :]])
    unsorted = orjson.dumps({"seq": obj["seq"], **obj}) + b"\n"  # keys out of order
    out.append([*lines[:i], unsorted, *lines[i + 1 :]])
    escaped = line.replace(b"agent-7", b"agent\\u002d7")  # an escape that was not needed
    out.append([*lines[:i], escaped, *lines[i + 1 :]])
    if i == 0:  # true == 1 in Python
        out.append([line.replace(b'"seq":1,', b'"seq":true,'), *lines[1:]])
    as_float = line.replace(b'"limit":10', b'"limit":10.0')  # orjson keeps it, RFC 8785 does not
    out.append([*lines[:i], as_float, *lines[i + 1 :]])
    split = line.replace(b"SELECT", b'SEL"\n"ECT', 1)  # one entry over two lines
    out.append([*lines[:i], split, *lines[i + 1 :]])
    return out


@pytest.mark.parametrize("i", [0, 1, 7, 19, 39])
def test_spoilt_lines_get_the_line_by_line_verdict(tmp_path: Path, i: int) -> None:
    lines = lines_of(ENTRIES)
    for spoilt in _mutations(lines, i):
        path = tmp_path / "ledger.jsonl"
        path.write_bytes(b"".join(spoilt))
        report = verify_jsonl(path, workers=0)
        expected, _ = line_by_line(path)
        assert not report.ok
        assert (report.first_bad_seq, report.reason) == (expected.seq, expected.reason)
        assert report.first_bad_seq == i + 1


def test_floats_are_left_to_the_exact_path(tmp_path: Path) -> None:
    entries = chain_of([{"x": 1.5, "n": i} for i in range(1, 30)])
    block = b"".join(lines_of(entries))
    assert accept_block(block, Chain()) == 0  # not the block path's to decide
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(block)
    assert verify_jsonl(path, workers=0).ok


def test_lines_that_only_parse_when_joined_are_refused() -> None:
    """`{"a":"x` + newline + `y"}` is one string once newlines become commas: each line must
    parse on its own."""
    lines = lines_of(ENTRIES[:3])
    a, b = lines[1][:100], lines[1][100:]
    assert accept_block(lines[0] + a + b"\n" + b + lines[2], Chain()) == 0


def test_a_floating_chain_takes_its_origin_from_the_first_line() -> None:
    chain = Chain(floating=True)
    assert accept_block(b"".join(lines_of(ENTRIES[10:20])), chain) == 10
    assert chain.first == (11, ENTRIES[9]["hash"])
    assert (chain.seq, chain.hash) == (20, ENTRIES[19]["hash"])
    assert len(chain.leaves) == 10


def test_resealed_non_canonical_last_lines_are_refused(tmp_path: Path) -> None:
    """The hash recomputed over the spoilt bytes themselves: only canonicality catches these."""
    import hashlib

    lines = lines_of(ENTRIES)
    for spoilt in _mutations(lines, 39):
        last = spoilt[-1]
        if not last.startswith(b'{"hash":"') or last.count(b"\n") != 1:
            continue
        digest = hashlib.sha256(b"\x00{" + last[75:-1]).hexdigest().encode()
        resealed = [*spoilt[:-1], last[:9] + digest + last[73:]]
        assert accept_block(b"".join(resealed), Chain()) == 0
        path = tmp_path / "ledger.jsonl"
        path.write_bytes(b"".join(resealed))
        report = verify_jsonl(path, workers=0)
        assert (report.ok, report.first_bad_seq) == (False, 40), report


def test_folding_leaves_a_level_at_a_time_equals_appending_them() -> None:
    import os
    import random

    from guardian.ledger.chainstate import fold
    from guardian.ledger.merkle import Frontier

    rng = random.Random(1)
    for _ in range(200):
        one_by_one, folded = Frontier(), Frontier()
        for _ in range(rng.randint(1, 6)):
            leaves = [os.urandom(32) for _ in range(rng.randint(0, 70))]
            for leaf in leaves:
                one_by_one.append(leaf)
            fold(folded, leaves)
            assert (folded.size, folded.nodes) == (one_by_one.size, one_by_one.nodes)
