"""One ledger entry and its hash: SHA-256(0x00 || RFC 8785 JSON of every field but `hash`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardian.core.canonical import ENTRY_DOMAIN, canonical_json, sha256_hex

#: `prev_hash` of the first entry.
GENESIS_HASH = "0" * 64

_FIELDS = ("seq", "kind", "ts", "payload", "prev_hash", "hash")


class EntryError(ValueError):
    """An entry that does not parse: unknown or missing fields, wrong types."""


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    kind: str
    ts: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

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
        return cls(seq, kind, ts, payload, data["prev_hash"], data["hash"])
