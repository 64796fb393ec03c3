"""The streaming chain check behind every verifier: one pass, memory flat in the ledger's size.

Each line goes through a fast path (orjson parse, re-encode with sorted keys and compare: the line
is canonical; SHA-256 over the line's bytes minus its `hash` member, which sorts first) that only
*accepts*; anything it does not accept goes to `reference.check_line`, the exact check, which also
names the problem. The fast path is sound: it accepts only float-free, ASCII lines, where orjson's sorted
output is RFC 8785 (floats and astral characters go through `canonical_json`, i.e. `rfc8785`).
Leaves feed an RFC 9162 frontier; at each checkpoint's tree size the root must match it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson

from guardian.ledger.chainstate import Chain, Problem
from guardian.ledger.entry import KIND_RE, TS_RE
from guardian.ledger.reference import canonical_line, check_line

_loads, _dumps, _SORT = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS
_sha256 = hashlib.sha256
_kind_ok, _ts_ok = KIND_RE.fullmatch, TS_RE.fullmatch
#: `{"hash":"<64 hex>",` is the first 75 bytes of a canonical line; the hashed body follows.
_HASH_MEMBER = 75

__all__ = ["Chain", "Problem", "canonical_line", "run", "scan"]


def _has_float(value: Any) -> bool:
    for item in value.values() if type(value) is dict else value:
        t = type(item)
        if t is float or ((t is dict or t is list) and _has_float(item)):
            return True
    return False


def scan(lines: Iterator[tuple[int, bytes]], chain: Chain) -> Problem | None:
    """Check `(line number, line with newline)` pairs in order; the first problem, or None."""
    while True:
        stopped = _fast(lines, chain)
        if stopped is None:
            return None
        lineno, line = stopped
        problem = check_line(lineno, line, chain, lines)
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
