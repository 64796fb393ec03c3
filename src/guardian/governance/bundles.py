"""Session audit bundles (seed 000): one session's actions, decisions and outcomes, sealed and signed.

While open, a bundle collects; `close()` stamps `closed_at`, signs the canonical JSON of everything
but the signature with Ed25519 and freezes it: any later `add_*` raises BundleClosed. `verify_bundle`
checks a bundle offline with only the public key: the signature, and that every decision and outcome
carries the ledger hash it claims (recomputed from the entry it embeds).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import orjson
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from guardian.core.canonical import canonical_json
from guardian.core.errors import GuardianError
from guardian.ledger.entry import Entry, EntryError

BUNDLE_VERSION = 1


class BundleClosed(GuardianError):
    code = "bundle_closed"


@dataclass
class AuditBundle:
    agent_id: str
    session_id: str
    started_at: str
    goal: str | None = None
    closed_at: str | None = None
    actions: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    public_key: str | None = None
    signature: str | None = None

    @property
    def closed(self) -> bool:
        return self.signature is not None

    def _open(self) -> None:
        if self.closed:
            raise BundleClosed(f"bundle of session {self.session_id} is closed and cannot change")

    def add_action(self, intent: dict[str, Any]) -> None:
        self._open()
        self.actions.append(intent)

    def add_decision(self, entry: Entry) -> None:
        """A decision entry, whole: the offline verifier recomputes its hash."""
        self._open()
        self.decisions.append(entry.to_dict())

    def add_outcome(self, entry: Entry) -> None:
        self._open()
        self.outcomes.append(entry.to_dict())

    def close(self, closed_at: str, key: Ed25519PrivateKey) -> AuditBundle:
        self._open()
        self.closed_at = closed_at
        self.public_key = base64.b64encode(
            key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        ).decode()
        self.signature = base64.b64encode(key.sign(signed_bytes(self.body()))).decode()
        return self

    def body(self) -> dict[str, Any]:
        """Everything the signature covers (all but the signature itself)."""
        return {
            "version": BUNDLE_VERSION, "agent_id": self.agent_id, "session_id": self.session_id,
            "goal": self.goal, "started_at": self.started_at, "closed_at": self.closed_at,
            "actions": self.actions, "decisions": self.decisions, "outcomes": self.outcomes,
            "public_key": self.public_key,
        }  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {**self.body(), "signature": self.signature}

    def to_json(self) -> str:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_INDENT_2).decode()

    json = to_json  # seed 000's name


def signed_bytes(body: dict[str, Any]) -> bytes:
    return b"guardian-bundle-v1\x00" + canonical_json(body)


@dataclass
class BundleReport:
    ok: bool
    problems: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems}


def verify_bundle(data: Any, public_key: Ed25519PublicKey) -> BundleReport:
    """Check a bundle (parsed JSON) offline: signature by `public_key`, and each entry's own hash."""
    problems: list[str] = []
    if not isinstance(data, dict) or "signature" not in data:
        return BundleReport(False, ["not a bundle: expected an object with a signature"])
    body = {k: v for k, v in data.items() if k != "signature"}
    try:
        public_key.verify(
            base64.b64decode(str(data["signature"]), validate=True), signed_bytes(body)
        )
    except (InvalidSignature, ValueError):
        problems.append("signature does not verify with the given key")
    for kind in ("decisions", "outcomes"):
        items = data.get(kind)
        if not isinstance(items, list):
            problems.append(f"{kind}: expected a list")
            continue
        for index, item in enumerate(items):
            try:
                entry = Entry.from_dict(item)
            except EntryError as exc:
                problems.append(f"{kind}[{index}]: {exc}")
                continue
            if entry.recomputed_hash() != entry.hash:
                problems.append(
                    f"{kind}[{index}] (seq {entry.seq}): hash does not match its content"
                )
            if kind == "decisions" and entry.payload.get("intent", {}).get(
                "session_id"
            ) != data.get("session_id"):
                problems.append(f"decisions[{index}] (seq {entry.seq}): belongs to another session")
    return BundleReport(not problems, problems)
