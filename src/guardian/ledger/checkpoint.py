"""Signed checkpoints: an Ed25519 signature over the RFC 9162 tree head of the first `tree_size` entries.

Checkpoints live outside the chain (a `ledger_checkpoints` table and a `*.checkpoints.jsonl` file
beside the mirror), so cutting entries off the tail cannot also remove the checkpoint that covered
them. The signed message is a fixed prefix plus the canonical JSON of every field but the signature.
Pure (cryptography + stdlib): the offline verifier imports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from guardian.core.canonical import canonical_json
from guardian.ledger.entry import HASH_RE, TS_RE

#: Domain separation: a checkpoint signature can never be mistaken for any other Guardian signature.
SIGNING_PREFIX = b"guardian.checkpoint.v1\x00"
_FIELDS = ("tree_size", "root_hash", "ts", "key_id", "signature")


class CheckpointError(ValueError):
    """A checkpoint that does not parse."""


def checkpoints_path(mirror: Path) -> Path:
    """`ledger.jsonl` -> `ledger.checkpoints.jsonl`: where a mirror's signed checkpoints are kept."""
    return mirror.with_name(mirror.stem + ".checkpoints.jsonl")


def key_id(public_key: Ed25519PublicKey) -> str:
    """First 16 hex digits of SHA-256 over the raw 32-byte public key: names the key in a checkpoint."""
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Checkpoint:
    tree_size: int
    root_hash: str
    ts: str
    key_id: str
    signature: str  # base64 of the 64-byte Ed25519 signature

    def message(self) -> bytes:
        body = {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "ts": self.ts,
            "key_id": self.key_id,
        }
        return SIGNING_PREFIX + canonical_json(body, has_float=False)

    @classmethod
    def sign(
        cls, tree_size: int, root: bytes, ts: str, private_key: Ed25519PrivateKey
    ) -> Checkpoint:
        unsigned = cls(tree_size, root.hex(), ts, key_id(private_key.public_key()), "")
        signature = base64.b64encode(private_key.sign(unsigned.message())).decode()
        return cls(tree_size, unsigned.root_hash, ts, unsigned.key_id, signature)

    def signature_valid(self, public_key: Ed25519PublicKey) -> bool:
        if self.key_id != key_id(public_key):
            return False
        try:
            public_key.verify(base64.b64decode(self.signature, validate=True), self.message())
        except (InvalidSignature, binascii.Error, ValueError):
            return False
        return True

    def root(self) -> bytes:
        return bytes.fromhex(self.root_hash)

    def to_dict(self) -> dict[str, Any]:
        return {
            "tree_size": self.tree_size,
            "root_hash": self.root_hash,
            "ts": self.ts,
            "key_id": self.key_id,
            "signature": self.signature,
        }

    def line(self) -> bytes:
        return canonical_json(self.to_dict(), has_float=False) + b"\n"

    @classmethod
    def from_dict(cls, data: Any) -> Checkpoint:
        """Strict parse: exactly the five fields, each of its type and form."""
        if not isinstance(data, dict):
            raise CheckpointError(f"checkpoint must be an object, got {type(data).__name__}")
        unknown = sorted(set(data) - set(_FIELDS))
        missing = [f for f in _FIELDS if f not in data]
        if unknown or missing:
            raise CheckpointError(f"checkpoint fields: unknown {unknown}, missing {missing}")
        size = data["tree_size"]
        if type(size) is not int or size < 1:
            raise CheckpointError(f"tree_size must be a positive integer, got {size!r}")
        for name in ("root_hash", "ts", "key_id", "signature"):
            if not isinstance(data[name], str):
                raise CheckpointError(f"{name} must be a string, got {type(data[name]).__name__}")
        if not HASH_RE.fullmatch(data["root_hash"]):
            raise CheckpointError(
                f"root_hash must be 64 lower-case hex digits, got {data['root_hash']!r}"
            )
        if not TS_RE.fullmatch(data["ts"]):
            raise CheckpointError(f"ts must be a UTC timestamp, got {data['ts']!r}")
        return cls(size, data["root_hash"], data["ts"], data["key_id"], data["signature"])


def load_public_key(source: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM (public or private) or the raw 32 bytes in hex or base64."""
    from cryptography.hazmat.primitives.serialization import (
        load_pem_private_key,
        load_pem_public_key,
    )

    data = source.encode() if isinstance(source, str) else source
    text = data.strip()
    try:
        if text.startswith(b"-----BEGIN") and b"PRIVATE KEY" in text.split(b"\n", 1)[0]:
            private = load_pem_private_key(text, password=None)
            if isinstance(private, Ed25519PrivateKey):
                return private.public_key()
            raise CheckpointError("the PEM private key is not an Ed25519 key")
        if text.startswith(b"-----BEGIN"):
            public = load_pem_public_key(text)
            if isinstance(public, Ed25519PublicKey):
                return public
            raise CheckpointError("the PEM public key is not an Ed25519 key")
        raw = (
            bytes.fromhex(text.decode())
            if len(text) == 64
            else base64.b64decode(text, validate=True)
        )
        if len(raw) != 32:
            raise CheckpointError(f"a raw Ed25519 public key has 32 bytes, got {len(raw)}")
        return Ed25519PublicKey.from_public_bytes(raw)
    except CheckpointError:
        raise
    except (ValueError, TypeError, binascii.Error) as exc:
        raise CheckpointError(f"not an Ed25519 public key (PEM, hex or base64): {exc}") from None
