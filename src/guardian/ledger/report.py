"""What verification returns (`VerifyReport`, `ProofReport`), how a public key is found, and how a
chain pass becomes a report. Shared by every verifier source; imports no writer code."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guardian.ledger.chainstate import Chain, Problem
from guardian.ledger.checkpoint import Checkpoint, CheckpointError, key_id, load_public_key

KeyArg = Ed25519PublicKey | str | Path | None


class VerifyError(ValueError):
    """The source cannot be read at all (missing file, bad key, unknown format): not a verdict."""


@dataclass(slots=True)
class VerifyReport:
    source: str
    ok: bool
    entries: int
    head_seq: int | None = None
    head_hash: str | None = None
    first_bad_seq: int | None = None
    reason: str | None = None
    detail: str | None = None
    line: int | None = None
    checkpoints: int = 0
    latest_checkpoint: int | None = None
    signatures: str = "none"  # verified | unchecked (no public key) | none (no checkpoints)
    key_id: str | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def summary(self) -> str:
        if self.ok:
            cps = f", {self.checkpoints} checkpoint(s) matched (signatures {self.signatures})"
            return f"OK: {self.entries} entries verified in {self.source}{cps if self.checkpoints else ''}"
        return f"INVALID at seq {self.first_bad_seq} ({self.reason}): {self.detail}"


@dataclass(slots=True)
class ProofReport:
    ok: bool
    type: str | None
    reason: str | None = None
    detail: str | None = None
    seq: int | None = None
    tree_size: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_key(
    public_key: KeyArg, near: Path | None = None
) -> tuple[Ed25519PublicKey | None, str]:
    """The public key to check signatures with, and where it came from (`signing.pub` beside the
    source when none is given)."""
    if isinstance(public_key, Ed25519PublicKey):
        return public_key, "given"
    if public_key is None:
        if near is None or not (near.parent / "signing.pub").exists():
            return None, "none"
        public_key = near.parent / "signing.pub"
    path = Path(public_key)
    try:
        text = path.read_bytes() if path.is_file() else str(public_key).encode()
        return load_public_key(text), str(path) if path.is_file() else "given"
    except (CheckpointError, OSError) as exc:
        raise VerifyError(f"public key {public_key}: {exc}") from None


def base_report(source: str, cps: list[Checkpoint], key: Ed25519PublicKey | None) -> VerifyReport:
    report = VerifyReport(source, True, 0)
    report.latest_checkpoint = max((c.tree_size for c in cps), default=None)
    if not cps:
        return report
    if key is None:
        report.signatures = "unchecked"
        return report
    report.signatures, report.key_id = "verified", key_id(key)
    for cp in cps:
        if not cp.signature_valid(key):
            report.ok, report.reason = False, "bad_checkpoint"
            report.detail = (
                f"the checkpoint of tree size {cp.tree_size} is not signed by key {key_id(key)}"
            )
            return report
    return report


def finish(report: VerifyReport, chain: Chain, problem: Problem | None) -> None:
    report.checkpoints = sum(1 for c in chain.cps if c.tree_size <= chain.cp_verified)
    if problem is None:
        report.entries = chain.seq
        report.head_seq = chain.seq or None
        report.head_hash = chain.hash if chain.seq else None
        return
    report.ok = False
    report.first_bad_seq, report.reason, report.detail, report.line = (
        problem.seq, problem.reason, problem.detail, problem.line)  # fmt: skip
    report.entries = max((problem.seq or 1) - 1, 0)
