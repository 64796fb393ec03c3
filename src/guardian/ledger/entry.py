"""One ledger entry and its hash: SHA-256(0x00 || RFC 8785 JSON of every field but `hash`)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import orjson

from guardian.core.canonical import ENTRY_DOMAIN, canonical_json, sha256_hex

#: `prev_hash` of the first entry.
GENESIS_HASH = "0" * 64

_FIELDS = ("seq", "kind", "ts", "payload", "prev_hash", "hash")

#: Entry kinds are short lower-case identifiers ("decision", "receipt", "policy", ...): they need no
#: JSON escaping, so a sealed line can be spliced from pre-encoded parts (see `seal_line`).
KIND_RE = re.compile(r"[a-z][a-z0-9_.-]{0,63}")
#: The one timestamp form `iso_utc` writes.
TS_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
HASH_RE = re.compile(r"[0-9a-f]{64}")


_TS_OK = TS_RE.fullmatch
#: Kinds already seen valid (a ledger has a handful): a set lookup instead of a regex per entry.
#: Only `check_kind` adds to it, and only valid `str` kinds (never a subclass: see `_new_kind`).
KINDS_SEEN: set[str] = set()
_HEX = "0123456789abcdef"


def _new_kind(kind: object) -> bool:
    if type(kind) is str and KIND_RE.fullmatch(kind) and len(KINDS_SEEN) < 1024:
        KINDS_SEEN.add(kind)
        return True
    return False


def _are_hashes(first: object, second: object) -> bool:
    """Both 64 lower-case hex digits (what HASH_RE says), without a regex: stripping every hex
    digit from both ends leaves nothing only if there is nothing else."""
    return (
        type(first) is str
        and type(second) is str
        and len(first) == 64
        and len(second) == 64
        and not (first + second).strip(_HEX)
    )


def plain_fields(data: Any) -> tuple[int, str, str, dict[str, Any]] | None:
    """(seq, kind, ts, payload) of a parsed entry that passes every check of `Entry.from_dict`,
    checked cheaply; None for anything else (`Entry.from_dict` then says what is wrong)."""
    if type(data) is not dict or len(data) != 6:
        return None
    try:  # six keys, and these six among them: exactly these six
        seq, kind, ts, payload = data["seq"], data["kind"], data["ts"], data["payload"]
        prev_hash, digest = data["prev_hash"], data["hash"]
    except KeyError:
        return None
    if (
        type(seq) is int
        and seq >= 1
        and type(payload) is dict
        and type(kind) is str
        and (kind in KINDS_SEEN or _new_kind(kind))
        and type(ts) is str
        and _TS_OK(ts)
        and _are_hashes(prev_hash, digest)
    ):
        return seq, kind, ts, payload
    return None


class EntryError(ValueError):
    """An entry that does not parse: unknown or missing fields, wrong types."""


def check_kind(kind: object) -> str:
    """Return `kind` if it is a valid entry kind; raise EntryError naming it otherwise."""
    if type(kind) is str and (kind in KINDS_SEEN or _new_kind(kind)):
        return kind
    if not isinstance(kind, str) or not KIND_RE.fullmatch(kind):
        raise EntryError(f"kind must match {KIND_RE.pattern}, got {kind!r}")
    return kind


@dataclass(frozen=True, slots=True, init=False)
class Entry:
    seq: int
    kind: str
    ts: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def __init__(
        self, seq: int, kind: str, ts: str, payload: dict[str, Any], prev_hash: str, hash: str
    ) -> None:
        # What the generated __init__ does, through the slots' own setters rather than
        # object.__setattr__ by name: one entry is built per decision, and this halves its cost.
        _set_seq(self, seq)
        _set_kind(self, kind)
        _set_ts(self, ts)
        _set_payload(self, payload)
        _set_prev_hash(self, prev_hash)
        _set_hash(self, hash)

    @staticmethod
    def compute_hash(
        seq: int,
        kind: str,
        ts: str,
        payload: dict[str, Any],
        prev_hash: str,
        *,
        has_float: bool | None = None,
    ) -> str:
        body = {"seq": seq, "kind": kind, "ts": ts, "payload": payload, "prev_hash": prev_hash}
        return sha256_hex(canonical_json(body, has_float=has_float), ENTRY_DOMAIN)

    @classmethod
    def seal(
        cls,
        seq: int,
        kind: str,
        ts: str,
        payload: dict[str, Any],
        prev_hash: str,
        *,
        has_float: bool | None = None,
    ) -> Entry:
        """Build the entry that follows `prev_hash`, computing its own hash."""
        digest = cls.compute_hash(seq, kind, ts, payload, prev_hash, has_float=has_float)
        return cls(seq, kind, ts, payload, prev_hash, digest)

    def recomputed_hash(self) -> str:
        return self.compute_hash(self.seq, self.kind, self.ts, self.payload, self.prev_hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "kind": self.kind,
            "ts": self.ts,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }

    def canonical(self) -> bytes:
        return canonical_json(self.to_dict())

    @classmethod
    def from_dict(cls, data: Any) -> Entry:
        """Strict parse: exactly the six fields, each of its type."""
        fields = plain_fields(data)
        if fields is not None:
            return cls(*fields, data["prev_hash"], data["hash"])
        return cls._from_dict_checked(data)

    @classmethod
    def _from_dict_checked(cls, data: Any) -> Entry:
        """The check that names what is wrong."""
        if not isinstance(data, dict):
            raise EntryError(f"entry must be an object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(_FIELDS))
        missing = [f for f in _FIELDS if f not in data]
        if unknown:
            raise EntryError(f"unknown field(s): {', '.join(unknown)}")
        if missing:
            raise EntryError(f"missing field(s): {', '.join(missing)}")
        seq, kind, ts, payload = data["seq"], data["kind"], data["ts"], data["payload"]
        if type(seq) is not int or seq < 1:
            raise EntryError(f"seq must be a positive integer, got {seq!r}")
        for name in ("kind", "ts", "prev_hash", "hash"):
            if not isinstance(data[name], str):
                raise EntryError(f"{name} must be a string, got {type(data[name]).__name__}")
        if not isinstance(payload, dict):
            raise EntryError(f"payload must be an object, got {type(payload).__name__}")
        check_kind(kind)
        if not TS_RE.fullmatch(ts):
            raise EntryError(
                f"ts must be a UTC timestamp like 2026-01-01T00:00:00.000000Z, got {ts!r}"
            )
        for name in ("prev_hash", "hash"):
            if not HASH_RE.fullmatch(data[name]):
                raise EntryError(f"{name} must be 64 lower-case hex digits, got {data[name]!r}")
        return cls(seq, kind, ts, payload, data["prev_hash"], data["hash"])

    def line(self) -> bytes:
        """The entry as one JSONL line: its canonical JSON and a newline."""
        return self.canonical() + b"\n"


_Setter = Callable[[Entry, Any], None]
_set_seq, _set_kind, _set_ts, _set_payload, _set_prev_hash, _set_hash = (
    cast(_Setter, getattr(Entry, name).__set__) for name in _FIELDS
)


def parse_line(line: bytes | str) -> Entry:
    """Strictly parse one JSONL line (trailing newline allowed) into an Entry; EntryError otherwise."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        raise EntryError(f"not JSON: {exc}") from None
    return Entry.from_dict(data)


def seal_line(
    seq: int, kind: str, ts: str, payload_json: bytes, prev_hash: str
) -> tuple[str, bytes]:
    """Hash and canonical JSONL line of an entry whose payload is already canonical JSON.

    Equal to `Entry.seal(...).line()` (a test pins this) but splices the pre-encoded payload instead of
    re-encoding it: the writer thread seals every entry while holding the write lock. RFC 8785 members
    are sorted (hash < kind < payload < prev_hash < seq < ts) and `kind`/`ts` never need escaping.
    """
    body = _spliced_body(seq, kind, ts, payload_json, prev_hash)
    digest = hashlib.sha256(ENTRY_DOMAIN + body).hexdigest()
    return digest, b'{"hash":"' + digest.encode() + b'",' + body[1:] + b"\n"


def seal_hash(seq: int, kind: str, ts: str, payload_json: bytes, prev_hash: str) -> str:
    """`seal_line`'s hash alone, for a store that keeps no line (the in-memory one)."""
    return _sha256(
        _DOMAIN_BODY % (kind.encode(), payload_json, prev_hash.encode(), seq, ts.encode())
    ).hexdigest()


#: The body below behind the domain byte, in one formatting step (the hot path's form of it).
_DOMAIN_BODY = ENTRY_DOMAIN + b'{"kind":"%s","payload":%s,"prev_hash":"%s","seq":%d,"ts":"%s"}'
_BODY = _DOMAIN_BODY[len(ENTRY_DOMAIN) :]
_sha256 = hashlib.sha256


def _spliced_body(seq: int, kind: str, ts: str, payload_json: bytes, prev_hash: str) -> bytes:
    """RFC 8785 bytes of the entry without its hash, from a payload already in canonical JSON."""
    return _BODY % (kind.encode(), payload_json, prev_hash.encode(), seq, ts.encode())
