"""The offline verifier: is this ledger intact, and if not, where does it first go wrong?

Checks a JSONL file (an export or the mirror; streaming, memory flat, on every core when large), a
SQLite file or a PostgreSQL database, and proof documents. It imports no writer code: only the entry
model, canonical JSON, the Merkle and checkpoint modules, the stdlib, orjson and cryptography (and
psycopg for a PostgreSQL URL), so a third party needs nothing but the package.

`first_bad_seq` is the lowest seq whose entry is missing, altered, ambiguous or misplaced: entries
1..first_bad_seq-1 were verified. Reasons: unparseable, hash_mismatch, broken_link, gap, duplicate,
reorder, not_canonical, truncated (the ledger ends before a signed checkpoint's tree size),
checkpoint_mismatch (entries re-sealed after a signed checkpoint), bad_checkpoint.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from guardian.ledger import chaincheck, parallel
from guardian.ledger.chaincheck import Chain, Problem, canonical_line
from guardian.ledger.checkpoint import Checkpoint, CheckpointError, checkpoints_path, key_id
from guardian.ledger.entry import Entry
from guardian.ledger.proofs import InclusionProof, ProofError, parse_proof
from guardian.ledger.report import (
    KeyArg,
    ProofReport,
    VerifyError,
    VerifyReport,
    base_report,
    finish,
    resolve_key,
)
from guardian.ledger.verify_db import verify_postgres, verify_sqlite

__all__ = [
    "KeyArg",
    "ProofReport",
    "VerifyError",
    "VerifyReport",
    "load_checkpoints",
    "resolve_key",
    "verify",
    "verify_entries",
    "verify_jsonl",
    "verify_postgres",
    "verify_proof",
    "verify_sqlite",
]
_PG = ("postgresql://", "postgres://", "postgresql+psycopg://")


def verify(
    source: str | Path,
    *,
    public_key: KeyArg = None,
    checkpoints: str | Path | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify a JSONL file, a SQLite file (path or sqlite:/// URL) or a PostgreSQL URL."""
    text = str(source)
    if text.startswith(_PG):
        return verify_postgres(text, public_key=public_key)
    path = Path(text[len("sqlite:///") :] if text.startswith("sqlite:///") else text)
    if not path.is_file():
        raise VerifyError(f"no such file: {path}")
    if text.startswith("sqlite:///"):
        # No sniffing: closing any descriptor of a database file drops every POSIX lock this
        # process holds on it, and a process that also writes it (the server) would then
        # corrupt it. Only a bare path, from the command line, is sniffed.
        return verify_sqlite(path, public_key=public_key)
    with path.open("rb") as f:
        head = f.read(16)
    if head == b"SQLite format 3\x00":
        return verify_sqlite(path, public_key=public_key)
    return verify_jsonl(path, public_key=public_key, checkpoints=checkpoints, workers=workers)


def load_checkpoints(path: Path) -> list[Checkpoint]:
    out = []
    try:
        with path.open("rb") as f:
            for n, line in enumerate(f, 1):
                try:
                    out.append(Checkpoint.from_dict(orjson.loads(line)))
                except (orjson.JSONDecodeError, CheckpointError) as exc:
                    raise VerifyError(f"{path} line {n}: not a checkpoint ({exc})") from None
    except OSError as exc:
        raise VerifyError(f"cannot read checkpoints {path}: {exc.strerror}") from None
    return out


def verify_jsonl(
    path: str | Path,
    *,
    public_key: KeyArg = None,
    checkpoints: str | Path | Iterable[Checkpoint] | None = None,
    workers: int | None = None,
) -> VerifyReport:
    """Verify a JSONL ledger; checkpoints default to the `*.checkpoints.jsonl` file beside it."""
    started = time.perf_counter()
    path = Path(path)
    if checkpoints is None:
        sibling = checkpoints_path(path)
        cps = load_checkpoints(sibling) if sibling.exists() else []
    elif isinstance(checkpoints, (str, Path)):
        cps = load_checkpoints(Path(checkpoints))
    else:
        cps = list(checkpoints)
    key, _ = resolve_key(public_key, path)
    report = base_report(str(path), cps, key)
    if report.ok:
        try:
            size = path.stat().st_size
            chain, problem = _scan_file(path, size, cps, parallel.workers_for(size, workers))
        except OSError as exc:
            raise VerifyError(f"cannot read {path}: {exc.strerror}") from None
        finish(report, chain, problem)
    report.seconds = time.perf_counter() - started
    return report


def _scan_file(
    path: Path, size: int, cps: list[Checkpoint], workers: int
) -> tuple[Chain, Problem | None]:
    if workers > 1:
        try:
            return parallel.verify_parallel(path, size, cps, workers)
        except parallel.Fallback:
            pass  # something is wrong: the sequential pass names it exactly
    chain = Chain(cps)
    with path.open("rb") as f:
        return chain, chaincheck.run_blocks(chaincheck.read_blocks(f), chain)


def verify_entries(
    entries: Iterable[Entry],
    *,
    checkpoints: Iterable[Checkpoint] = (),
    public_key: KeyArg = None,
    source: str = "<entries>",
) -> VerifyReport:
    """Verify entries already in memory (e.g. `ledger.entries()` of any store)."""
    cps = list(checkpoints)
    report = base_report(source, cps, resolve_key(public_key)[0])
    if report.ok:
        chain = Chain(cps, unit="entry")
        lines = ((n, canonical_line(e.to_dict())) for n, e in enumerate(entries, 1))
        finish(report, chain, chaincheck.run(lines, chain))
    return report


def verify_proof(doc: Any, public_key: KeyArg) -> ProofReport:
    """Check an inclusion or consistency proof document and its checkpoint signatures."""
    key, _ = resolve_key(public_key)
    if key is None:
        raise VerifyError("a public key is needed to check a proof (--key signing.pub)")
    try:
        proof = parse_proof(doc)
    except ProofError as exc:
        return ProofReport(False, None, "unparseable", str(exc))
    inclusion = isinstance(proof, InclusionProof)
    kind = "inclusion" if inclusion else "consistency"
    cps = [proof.checkpoint] if isinstance(proof, InclusionProof) else [proof.first, proof.second]
    seq = proof.entry.seq if isinstance(proof, InclusionProof) else None
    size = cps[-1].tree_size
    for cp in cps:
        if not cp.signature_valid(key):
            detail = f"checkpoint of tree size {cp.tree_size} is not signed by key {key_id(key)}"
            return ProofReport(False, kind, "bad_signature", detail, seq, size)
    problem = proof.problem()
    if problem is not None:
        return ProofReport(False, kind, "proof_mismatch", problem, seq, size)
    return ProofReport(True, kind, None, None, seq, size)
