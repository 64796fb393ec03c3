"""The exact check of one ledger line: RFC 8785 through `canonical_json`, strict parsing, and the
name of whatever is wrong (gap, reorder, duplicate or fork, broken link, hash mismatch, ...).

The fast path in `chaincheck` only accepts; every line it does not accept comes here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import orjson

from guardian.core.canonical import ENTRY_DOMAIN, canonical_json
from guardian.ledger.chainstate import Chain, Problem
from guardian.ledger.entry import Entry, EntryError


def check_line(
    lineno: int, line: bytes, chain: Chain, rest: Iterator[tuple[int, bytes]]
) -> Problem | None:
    """The exact check of one line against the chain so far; accepts it or says what is wrong."""
    expected = chain.seq + 1
    where = f"{chain.unit} {lineno}"
    if not line.endswith(b"\n"):
        return Problem(
            "unparseable", expected, f"{where} is torn: no newline at the end of the file", lineno
        )
    try:
        obj = orjson.loads(line)
        entry = Entry.from_dict(obj)
    except orjson.JSONDecodeError as exc:
        return Problem("unparseable", expected, f"{where}: not JSON ({exc})", lineno)
    except EntryError as exc:
        return Problem("unparseable", expected, f"{where}: {exc}", lineno)
    if chain.floating and chain.first is None:
        expected = entry.seq
        chain.seq, chain.hash = entry.seq - 1, entry.prev_hash
    seq = entry.seq
    if seq != expected:
        return _misplaced(entry, chain, rest, lineno)
    if entry.prev_hash != chain.hash:
        return Problem(
            "broken_link", seq,
            f"{where}: entry {seq} links to {entry.prev_hash}, but entry {seq - 1} has hash {chain.hash}",
            lineno,
        )  # fmt: skip
    try:
        canonical = _canonical(obj)
    except (TypeError, ValueError) as exc:
        return Problem(
            "unparseable", seq, f"{where}: entry {seq} is not canonical JSON ({exc})", lineno
        )
    body = {k: v for k, v in obj.items() if k != "hash"}
    recomputed = hashlib.sha256(ENTRY_DOMAIN + _canonical(body)).hexdigest()
    if recomputed != entry.hash:
        return Problem(
            "hash_mismatch", seq,
            f"{where}: entry {seq} has hash {entry.hash} but its fields hash to {recomputed}",
            lineno,
        )  # fmt: skip
    if canonical + b"\n" != line:
        return Problem(
            "not_canonical", seq, f"{where}: entry {seq} is not in RFC 8785 canonical form", lineno
        )
    chain.kinds.add(entry.kind)
    return chain.accept(seq, entry.prev_hash, entry.hash)


def canonical_line(value: Any) -> bytes:
    """The JSONL line of a parsed entry (or any JSON value) in RFC 8785 form."""
    return _canonical(value) + b"\n"


def _canonical(value: Any) -> bytes:
    """RFC 8785 bytes of a parsed value. A float of 2**53 or more with no fraction is written by
    RFC 8785 as plain digits, so it parses back as an int, which `rfc8785` refuses beside a float;
    such an int is re-encoded as the double whose RFC 8785 form is exactly its digits."""
    try:
        return canonical_json(value)
    except ValueError:
        return canonical_json(_big_ints_as_floats(value))


def _big_ints_as_floats(value: Any) -> Any:
    if type(value) is int and abs(value) >= 2**53 and abs(value) < 10**21:
        as_float = float(value)
        if canonical_json(as_float, has_float=True) == str(value).encode():
            return as_float
    if isinstance(value, dict):
        return {k: _big_ints_as_floats(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_big_ints_as_floats(v) for v in value]
    return value


def _misplaced(
    entry: Entry, chain: Chain, rest: Iterator[tuple[int, bytes]], lineno: int
) -> Problem:
    expected, seq = chain.seq + 1, entry.seq
    where = f"{chain.unit} {lineno}"
    if seq == chain.seq:
        if entry.hash == chain.hash:
            return Problem(
                "duplicate", expected, f"{where}: entry {seq} appears twice in a row", lineno
            )
        if entry.prev_hash == chain.prev:
            return Problem(
                "duplicate", seq,
                f"{where}: two different entries claim seq {seq} and link to the same predecessor (a fork)",
                lineno,
            )  # fmt: skip
        return Problem(
            "duplicate", expected, f"{where}: seq {seq} again where {expected} was expected", lineno
        )
    if seq < chain.seq:
        return Problem(
            "reorder", expected, f"{where}: entry {seq} appears after entry {chain.seq}", lineno
        )
    if _appears_later(expected, rest):
        return Problem(
            "reorder", expected,
            f"{where}: entry {seq} where {expected} was expected; entry {expected} comes later",
            lineno,
        )  # fmt: skip
    return Problem(
        "gap",
        expected,
        f"{where}: entry {seq} follows entry {chain.seq}: {expected}..{seq - 1} are missing",
        lineno,
    )


def _appears_later(seq: int, rest: Iterator[tuple[int, bytes]]) -> bool:
    for _, line in rest:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError:
            continue
        if isinstance(obj, dict) and obj.get("seq") == seq:
            return True
    return False
