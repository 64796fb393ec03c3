"""Proof documents: what `guardian ledger prove` prints and `guardian ledger verify --proof` checks.

An inclusion proof carries the entry itself, its RFC 9162 audit path and the signed checkpoint it
reaches; a consistency proof carries two signed checkpoints and the path between them. Anyone holding
the public key can check either without the ledger. Pure: the offline verifier imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardian.ledger.checkpoint import Checkpoint, CheckpointError
from guardian.ledger.entry import Entry, EntryError
from guardian.ledger.merkle import verify_consistency, verify_inclusion

INCLUSION = "guardian.inclusion_proof.v1"
CONSISTENCY = "guardian.consistency_proof.v1"


class ProofError(ValueError):
    """A proof document that does not parse."""


def _path(data: dict[str, Any]) -> list[bytes]:
    path = data.get("path")
    if not isinstance(path, list) or not all(isinstance(p, str) and len(p) == 64 for p in path):
        raise ProofError("path must be a list of 64-hex-digit hashes")
    try:
        return [bytes.fromhex(p) for p in path]
    except ValueError:
        raise ProofError("path must be a list of 64-hex-digit hashes") from None


def _fields(data: Any, allowed: set[str]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProofError(f"a proof must be a JSON object, got {type(data).__name__}")
    extra, missing = set(data) - allowed, allowed - set(data)
    if extra or missing:
        raise ProofError(f"proof fields: unknown {sorted(extra)}, missing {sorted(missing)}")
    return data


@dataclass(frozen=True, slots=True)
class InclusionProof:
    entry: Entry
    checkpoint: Checkpoint
    path: list[bytes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": INCLUSION,
            "leaf_index": self.entry.seq - 1,
            "tree_size": self.checkpoint.tree_size,
            "entry": self.entry.to_dict(),
            "path": [p.hex() for p in self.path],
            "checkpoint": self.checkpoint.to_dict(),
        }

    @classmethod
    def from_dict(cls, data: Any) -> InclusionProof:
        doc = _fields(data, {"type", "leaf_index", "tree_size", "entry", "path", "checkpoint"})
        try:
            entry, cp = Entry.from_dict(doc["entry"]), Checkpoint.from_dict(doc["checkpoint"])
        except (EntryError, CheckpointError) as exc:
            raise ProofError(str(exc)) from None
        if doc["leaf_index"] != entry.seq - 1 or doc["tree_size"] != cp.tree_size:
            raise ProofError("leaf_index/tree_size disagree with the entry and checkpoint")
        return cls(entry, cp, _path(doc))

    def problem(self) -> str | None:
        """None when the entry is in the tree the checkpoint signs, else why not (signature aside)."""
        if self.entry.recomputed_hash() != self.entry.hash:
            return f"entry {self.entry.seq}: hash does not match its fields"
        leaf = bytes.fromhex(self.entry.hash)
        size = self.checkpoint.tree_size
        if not verify_inclusion(leaf, self.entry.seq - 1, size, self.path, self.checkpoint.root()):
            return f"entry {self.entry.seq} is not in the tree of size {size} with root {self.checkpoint.root_hash}"
        return None


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    first: Checkpoint
    second: Checkpoint
    path: list[bytes]

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": CONSISTENCY,
            "first": self.first.to_dict(),
            "second": self.second.to_dict(),
            "path": [p.hex() for p in self.path],
        }

    @classmethod
    def from_dict(cls, data: Any) -> ConsistencyProof:
        doc = _fields(data, {"type", "first", "second", "path"})
        try:
            first, second = Checkpoint.from_dict(doc["first"]), Checkpoint.from_dict(doc["second"])
        except CheckpointError as exc:
            raise ProofError(str(exc)) from None
        return cls(first, second, _path(doc))

    def problem(self) -> str | None:
        a, b = self.first, self.second
        if not verify_consistency(a.tree_size, b.tree_size, a.root(), b.root(), self.path):
            return f"the tree of size {b.tree_size} does not extend the tree of size {a.tree_size}"
        return None


def parse_proof(data: Any) -> InclusionProof | ConsistencyProof:
    kind = data.get("type") if isinstance(data, dict) else None
    if kind == INCLUSION:
        return InclusionProof.from_dict(data)
    if kind == CONSISTENCY:
        return ConsistencyProof.from_dict(data)
    raise ProofError(f"unknown proof type {kind!r}; expected {INCLUSION!r} or {CONSISTENCY!r}")
