"""The streaming chain check behind every verifier: one pass, memory flat in the ledger's size.

Three paths, each of which only *accepts*; what one does not accept goes to the next:

1. `accept_block` (blockcheck.py): a block of whole lines (1 MB of a JSONL file) at once, with
   no Python work per line beyond parsing and hashing;
2. `_fast`: one line at a time (orjson parse, re-encode with sorted keys and compare: the line is
   canonical; SHA-256 over the line's bytes minus its `hash` member, which sorts first). It
   accepts only float-free, ASCII lines, where orjson's sorted output is RFC 8785 (floats and
   astral characters go through `canonical_json`, i.e. `rfc8785`);
3. `reference.check_line`: the exact check, which also names the problem.

Leaves feed an RFC 9162 frontier; at each checkpoint's tree size the root must match it.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from itertools import chain as concat
from typing import Any, BinaryIO

import orjson

from guardian.ledger.blockcheck import accept_block
from guardian.ledger.chainstate import Chain, Problem
from guardian.ledger.entry import KIND_RE, TS_RE
from guardian.ledger.reference import canonical_line, check_line

_loads, _dumps, _SORT = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS
_sha256 = hashlib.sha256
_kind_ok, _ts_ok = KIND_RE.fullmatch, TS_RE.fullmatch
#: `{"hash":"<64 hex>",` is the first 75 bytes of a canonical line; the hashed body follows.
_HASH_MEMBER = 75
#: Bytes read at a time from a file; each block is extended to the end of its last line.
BLOCK_BYTES = 32 << 10

__all__ = [
    "Chain",
    "Problem",
    "canonical_line",
    "read_blocks",
    "run",
    "run_blocks",
    "scan",
    "scan_blocks",
]


def _has_float(value: Any) -> bool:
    for item in value.values() if type(value) is dict else value:
        t = type(item)
        if t is float or ((t is dict or t is list) and _has_float(item)):
            return True
    return False


def read_blocks(f: BinaryIO, size: int = BLOCK_BYTES) -> Iterator[bytes]:
    """The file in blocks of whole lines of about `size` bytes (a torn last line ends the last)."""
    while block := f.read(size):
        if block[-1] != 10:
            block += f.readline()
        yield block


def _lines(block: bytes, lineno: int) -> Iterator[tuple[int, bytes]]:
    return enumerate(io.BytesIO(block), lineno)  # split on b"\n" only, as a file is


def scan_blocks(blocks: Iterator[bytes], chain: Chain) -> Problem | None:
    """Check blocks of whole lines in order: each at once, or line by line when it is not plainly
    good (to accept what only the slower paths accept, or to name the first problem)."""
    lineno = 1
    for block in blocks:
        accepted = accept_block(block, chain)
        if accepted:
            lineno += accepted
            continue
        rest = (line for later in blocks for line in _lines(later, 0))  # line numbers unused
        problem = scan(_lines(block, lineno), chain, rest)
        if problem is not None:
            return problem
        lineno += block.count(b"\n")
    return None


def scan(
    lines: Iterator[tuple[int, bytes]],
    chain: Chain,
    rest: Iterable[tuple[int, bytes]] = (),
) -> Problem | None:
    """Check `(line number, line with newline)` pairs in order; the first problem, or None.
    `rest` follows `lines` in the source: a misplaced entry is looked for there too."""
    while True:
        stopped = _fast(lines, chain)
        if stopped is None:
            return None
        lineno, line = stopped
        problem = check_line(lineno, line, chain, concat(lines, rest))
        if problem is not None:
            return problem


def _fast(lines: Iterator[tuple[int, bytes]], chain: Chain) -> tuple[int, bytes] | None:
    """Accept lines while they are plainly good; hand back the first that is not (or None at end)."""
    if chain.floating and chain.first is None:
        return next(lines, None)  # the first line of a chunk sets the origin: reference path
    expected, last, leaves, kinds = chain.seq + 1, chain.hash, chain.leaves, chain.kinds
    cp_at, collect, floating = chain.next_cp, chain.collecting, chain.floating
    last_ts = ""  # a batch shares one timestamp: check its form once
    for lineno, line in lines:
        try:
            obj = _loads(line)
            enc = _dumps(obj, option=_SORT)
            seq, ts = obj["seq"], obj["ts"]
            if (
                len(line) != len(enc) + 1
                or line[-1] != 10
                or not line.startswith(enc)
                or not line.isascii()
                or seq != expected
                or type(seq) is not int
                or obj["prev_hash"] != last
                or not (obj["kind"] in kinds or _new_kind(obj["kind"], kinds))
                or (ts != last_ts and (type(ts) is not str or not _ts_ok(ts)))
                or type(obj["payload"]) is not dict
                or _has_float(obj["payload"])
                or len(obj) != 6
            ):
                raise ValueError
            last_ts = ts
        except (ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
            chain.seq, chain.hash = expected - 1, last
            return lineno, line
        digest = _sha256(b"\x00{" + line[_HASH_MEMBER:-1]).digest()
        digest_hex = digest.hex()
        if digest_hex != obj["hash"]:
            chain.seq, chain.hash = expected - 1, last
            return lineno, line
        chain.prev = last
        last = digest_hex
        if collect:
            leaves.append(digest)
            if expected == cp_at or not (expected & 0xFFFF or floating):  # bound the leaves held
                chain.seq, chain.hash, chain.leaves = expected, last, leaves
                if expected == cp_at:
                    chain.check_checkpoints()
                else:
                    chain.flush()
                leaves, cp_at, collect = chain.leaves, chain.next_cp, chain.collecting
        expected += 1
    chain.seq, chain.hash, chain.leaves = expected - 1, last, leaves
    return None


def _new_kind(kind: object, kinds: set[str]) -> bool:
    if type(kind) is str and _kind_ok(kind):
        kinds.add(kind)
        return True
    return False


def run(lines: Iterator[tuple[int, bytes]], chain: Chain) -> Problem | None:
    """`scan` to the end, then the end-of-ledger checks (truncation against checkpoints)."""
    problem = scan(lines, chain)
    return chain.explain(problem) if problem is not None else chain.finish()


def run_blocks(blocks: Iterator[bytes], chain: Chain) -> Problem | None:
    """`scan_blocks` to the end, then the end-of-ledger checks."""
    problem = scan_blocks(blocks, chain)
    return chain.explain(problem) if problem is not None else chain.finish()
