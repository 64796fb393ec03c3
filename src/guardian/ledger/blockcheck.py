"""The block fast path of the chain check: a block of whole JSONL lines accepted (or not) at once.

A block is accepted only if every line in it would be accepted by the line fast path in
`chaincheck` (and so is a canonical, well-formed entry that extends the chain); anything else is
left, whole, to the line paths, which accept it or name the first problem. The work per line is
the C work (parse, encode, hash); every check is one C-level operation over the block's columns.

Why accepting is sound, for a block B = l1 \\n l2 \\n ... ln \\n:

- *Each line is canonical.* Every li is parsed on its own (so each is exactly one JSON value oi),
  and orjson's sorted encoding of [o1, ..., on] must equal `[` l1 `,` ... `,` ln `]`. The encoding
  is `[` e1 `,` ... `,` en `]` with ei the sorted encoding of oi, so the two texts are one string
  S. l1 and e1 both start S and are each one whole JSON object; an object's extent is fixed by
  its text (its closing brace is the first one at depth 0 outside strings), so l1 cannot be a
  proper prefix of e1 nor extend past it (S has no whitespace outside strings, and l1 may only add
  whitespace after its object). So l1 = e1, and the rest follows by induction. Joining lines into
  one array and parsing that instead would NOT do: a string or an array may then span lines.
- *orjson's sorted encoding is RFC 8785 here.* The block is ASCII (so no astral characters, whose
  keys would sort differently in UTF-16) and its payloads hold no float (the only values whose
  orjson and RFC 8785 texts can differ): `gc.get_referents` of a dict is its values and of a list
  its items (CPython's garbage collector must see every one of them), so a level-by-level walk in
  C reaches every value. An integer token orjson reads as a float (beyond 64 bits) fails the
  comparison above, since orjson never writes a float without `.` or `e`.
- *The fields.* Each object has exactly the six fields (all six are read, and its length is 6),
  seq is an `int` (not a bool) and runs on from the chain, payload is a dict, prev_hash is the
  previous entry's hash, kind and ts have their forms, and hash (64 characters each) is the
  SHA-256 of `0x00 {` + the line after its first 75 bytes: with `hash` sorting first and being
  64 hex digits, those bytes are `{"hash":"<hash>",`, and the rest is the entry without `hash`.
"""

from __future__ import annotations

import gc
import hashlib
import operator
import re
from collections.abc import Iterable

import orjson

from guardian.ledger.chainstate import Chain
from guardian.ledger.entry import KIND_RE, TS_RE

_loads, _dumps, _SORT = orjson.loads, orjson.dumps, orjson.OPT_SORT_KEYS
_COLUMNS = operator.itemgetter("seq", "kind", "ts", "payload", "prev_hash", "hash")
_referents = gc.get_referents
#: SHA-256 state after `0x00 {`: the entry domain byte and the `{` that the hash member follows.
_PREFIXED = hashlib.sha256(b"\x00{")
#: Every timestamp has one length, so a run of them is checked as one string.
_TS_LEN = 27
_TS_RUN = re.compile(f"(?:{TS_RE.pattern})*")
_kind_ok = KIND_RE.fullmatch
_HASH_MEMBER = 75


def accept_block(block: bytes, chain: Chain) -> int:
    """Accept every line of `block` onto `chain` and return how many, or return 0 and change
    nothing (but `chain.kinds`, which only ever holds valid kinds)."""
    if block[-1:] != b"\n" or not block.isascii():
        return 0
    body = block[:-1]
    lines = body.split(b"\n")
    try:
        objs = list(map(_loads, lines))
        if _dumps(objs, option=_SORT) != b"[" + body.replace(b"\n", b",") + b"]":
            return 0
        seqs, kinds, stamps, payloads, prevs, hashes = zip(*map(_COLUMNS, objs), strict=True)
        if not _fields_ok(objs, seqs, kinds, stamps, payloads, hashes, chain.kinds):
            return 0
    except (ValueError, KeyError, TypeError):  # JSONDecodeError is a ValueError
        return 0
    if _has_float(payloads):
        return 0
    floating = chain.floating and chain.first is None
    expected, last = (seqs[0], prevs[0]) if floating else (chain.seq + 1, chain.hash)
    if expected < 1 or seqs != tuple(range(expected, expected + len(seqs))):
        return 0
    if prevs != (last, *hashes[:-1]):
        return 0
    digests = _digests(lines)
    if b"".join(digests).hex() != "".join(hashes):
        return 0
    if floating:
        chain.first, chain.seq, chain.hash = (expected, last), expected - 1, last
    chain.extend(digests, prevs[-1], hashes[-1])
    return len(lines)


def _has_float(payloads: Iterable[object]) -> bool:
    """Whether a float occurs anywhere in the payloads, level by level: `gc.get_referents` of a
    dict is its values, of a list its items, of a str, int, bool or None nothing."""
    level = list(payloads)
    while level:
        level = _referents(*level)
        if float in map(type, level):
            return True
    return False


def _digests(lines: list[bytes]) -> list[bytes]:
    """SHA-256 of 0x00 + each line without its `hash` member: the entry hashes, as bytes."""
    out = []
    copy = _PREFIXED.copy
    for line in lines:
        h = copy()
        h.update(line[_HASH_MEMBER:])
        out.append(h.digest())
    return out


def _fields_ok(
    objs: list[object],
    seqs: tuple[object, ...],
    kinds: tuple[object, ...],
    stamps: tuple[object, ...],
    payloads: tuple[object, ...],
    hashes: tuple[object, ...],
    known_kinds: set[str],
) -> bool:
    """Types and forms, column by column (a TypeError on a wrong type means False)."""
    if (
        set(map(len, objs)) != {6}  # type: ignore[arg-type]
        or set(map(type, seqs)) != {int}
        or set(map(type, payloads)) != {dict}
        or set(map(type, hashes)) != {str}
        or set(map(len, hashes)) != {64}  # type: ignore[arg-type]
    ):
        return False
    seen = set(stamps)
    if set(map(len, seen)) != {_TS_LEN} or not _TS_RUN.fullmatch("".join(seen)):  # type: ignore[arg-type]
        return False
    for kind in set(kinds) - known_kinds:
        if type(kind) is not str or not _kind_ok(kind):
            return False
        known_kinds.add(kind)
    return True
