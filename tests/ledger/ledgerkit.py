"""Helpers for the ledger tests: how to open each store, payloads shaped like real entries."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.ledger.open import open_ledger
from guardian.ledger.store import Ledger


@dataclass
class Backend:
    """How to open (and reopen) one store of a given kind for a test."""

    name: str
    url: str
    durable: bool
    key: Ed25519PrivateKey = field(default_factory=Ed25519PrivateKey.generate)
    opened: list[Ledger] = field(default_factory=list)

    def open(self, **kwargs: Any) -> Ledger:
        kwargs.setdefault("signing_key", self.key)
        if self.name == "memory":
            kwargs.pop("signing_key")
            kwargs.pop("checkpoint_every", None)
        ledger = open_ledger(self.url, **kwargs)
        self.opened.append(ledger)
        return ledger

    def close_all(self) -> None:
        for ledger in self.opened:
            ledger.close()


def decision_payload(i: int, **extra: Any) -> dict[str, Any]:
    """A payload shaped like the lead's decision entries."""
    return {
        "decision_id": f"d-{i}",
        "intent": {
            "actor": "agent-7",
            "action": "db.query",
            "target": "orders",
            "params": {"sql": f"SELECT {i}", "limit": 10},
            "metadata": {},
            "session_id": "s-1",
            "task_id": None,
        },
        "intent_hash": "sha256:" + "ab" * 32,
        "decision": "ALLOW",
        "rule_id": "allow-reads",
        "reasons": [{"code": "rule_match", "message": "matched allow-reads"}],
        "policy_hash": "sha256:" + "cd" * 32,
        **extra,
    }


PayloadFactory = Callable[[int], dict[str, Any]]
