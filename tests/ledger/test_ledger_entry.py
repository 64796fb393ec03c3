"""Strict entry parsing, and the writer's spliced sealing against the reference `Entry.seal`."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardian.core.canonical import canonical_json
from guardian.ledger.chaincheck import canonical_line
from guardian.ledger.entry import (
    GENESIS_HASH,
    Entry,
    EntryError,
    parse_line,
    seal_hash,
    seal_line,
)
from guardian.testing import json_values

TS = "2026-11-21T05:07:08.123456Z"


def good() -> dict[str, Any]:
    return Entry.seal(1, "decision", TS, {"a": 1}, GENESIS_HASH).to_dict()


def test_round_trip() -> None:
    entry = Entry.from_dict(good())
    assert parse_line(entry.line()) == entry
    assert entry.line() == canonical_json(entry.to_dict()) + b"\n"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"extra": 1}, "unknown field"),
        ({"seq": "1"}, "seq must be a positive integer"),
        ({"seq": True}, "seq must be a positive integer"),
        ({"seq": 0}, "seq must be a positive integer"),
        ({"seq": 1.0}, "seq must be a positive integer"),
        ({"kind": 3}, "kind must be a string"),
        ({"kind": "Decision"}, "kind must match"),
        ({"kind": "a b"}, "kind must match"),
        ({"ts": "2026-11-21 05:07:08"}, "ts must be a UTC timestamp"),
        ({"ts": "2026-11-21T05:07:08.123456+00:00"}, "ts must be a UTC timestamp"),
        ({"payload": []}, "payload must be an object"),
        ({"payload": None}, "payload must be an object"),
        ({"prev_hash": "0" * 63}, "prev_hash must be 64"),
        ({"hash": "A" * 64}, "hash must be 64"),
        ({"hash": None}, "hash must be a string"),
    ],
)
def test_strict_parse(change: dict[str, Any], message: str) -> None:
    data = {**good(), **change}
    with pytest.raises(EntryError, match=message):
        Entry.from_dict(data)


def test_missing_field() -> None:
    data = good()
    del data["ts"]
    with pytest.raises(EntryError, match="missing field"):
        Entry.from_dict(data)


@pytest.mark.parametrize("line", [b"", b"{", b"[1]", b"null", b'{"seq": 1}'])
def test_parse_line_refuses(line: bytes) -> None:
    with pytest.raises(EntryError):
        parse_line(line)


json_value = json_values(max_leaves=12, text_size=8)


@settings(max_examples=300, deadline=None)
@given(
    payload=st.dictionaries(st.text(max_size=6), json_value, max_size=5),
    seq=st.integers(1, 10**12),
    kind=st.from_regex(r"[a-z][a-z0-9_.-]{0,20}", fullmatch=True),
)
def test_seal_line_equals_entry_seal(payload: dict[str, Any], seq: int, kind: str) -> None:
    reference = Entry.seal(seq, kind, TS, payload, "ab" * 32)
    digest, line = seal_line(seq, kind, TS, canonical_json(payload), "ab" * 32)
    assert digest == reference.hash == seal_hash(seq, kind, TS, canonical_json(payload), "ab" * 32)
    assert line == reference.line()
    assert canonical_line(orjson.loads(line)) == line  # what the verifier re-derives


def test_entry_is_still_a_frozen_dataclass() -> None:
    import dataclasses
    import pickle

    entry = Entry(seq=1, kind="decision", ts=TS, payload={"a": 1}, prev_hash=GENESIS_HASH, hash="h")
    assert entry == Entry(1, "decision", TS, {"a": 1}, GENESIS_HASH, "h")
    assert [f.name for f in dataclasses.fields(entry)] == list(entry.to_dict())
    assert dataclasses.replace(entry, seq=2).seq == 2 and entry.seq == 1
    assert pickle.loads(pickle.dumps(entry)) == entry
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.seq = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        Entry(1, "decision", TS, {}, GENESIS_HASH)  # type: ignore[call-arg]
    assert repr(entry).startswith("Entry(seq=1, kind='decision'")
