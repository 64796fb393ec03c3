"""A ledger on a SQL database: group-committed appends, JSONL mirror, signed checkpoints, proofs.

One class serves SQLite and PostgreSQL; a `Database` adapter supplies the connections and the
cross-process append lock. Every batch re-reads the head inside the write transaction, so any number
of processes (and, on PostgreSQL, hosts) extend one linear chain.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.core.canonical import canonical_json
from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.ledger import prover, sql
from guardian.ledger.checkpoint import Checkpoint
from guardian.ledger.entry import Entry, EntryError, check_kind
from guardian.ledger.errors import LedgerError
from guardian.ledger.groupcommit import GroupCommitter
from guardian.ledger.mirror import JsonlMirror, MirrorRepair
from guardian.ledger.proofs import ConsistencyProof, InclusionProof
from guardian.ledger.writer import (
    Append,
    BatchWriter,
    ForceCheckpoint,
    Item,
    Result,
    Sealed,
    row_checkpoint,
    row_entry,
)


class DurableLedger:
    """The `Ledger` protocol on a SQL database, plus checkpoints, proofs and lookups."""

    def __init__(
        self,
        db: sql.Database,
        *,
        clock: Clock = SYSTEM_CLOCK,
        mirror_path: Path | None = None,
        signing_key: Ed25519PrivateKey | None = None,
        checkpoint_every: int = 1000,
        checkpoint_interval: float | None = 60.0,
        read_only: bool = False,
        mirror_sync: str = "background",
    ) -> None:
        self.db = db
        self._has_key = signing_key is not None
        self._writer: BatchWriter | None = None
        self._committer: GroupCommitter[Item, Result] | None = None
        self._closed = False
        #: What opening had to repair in the mirror files (empty when they were intact).
        self.repairs: list[MirrorRepair] = []
        if read_only:
            return
        try:
            self._writer = BatchWriter(
                db,
                clock=clock,
                key=signing_key,
                every=checkpoint_every,
                interval=checkpoint_interval,
                mirror_sync=mirror_sync,
            )
            if mirror_path is not None:
                self.repairs = self._writer.open_mirrors(mirror_path)
        except BaseException:
            if self._writer is not None:
                self._writer.close()
            db.close()
            raise
        self._committer = GroupCommitter(
            self._writer.write,
            tick=self._writer.tick if signing_key is not None and checkpoint_interval else None,
            tick_interval=checkpoint_interval,
        )

    @property
    def mirror(self) -> JsonlMirror | None:
        return self._writer.mirror if self._writer is not None else None

    # -- the Ledger protocol ------------------------------------------------------------------

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        has_float: bool | None = None,
        once_per_decision: bool = False,
        payload_json: bytes | None = None,
    ) -> Entry:
        """Add one entry after the head; returns once it is committed (fsync'd) and its mirror
        line written (the mirror's own fdatasync follows unless `mirror_sync="before_ack"`).

        `once_per_decision`: DuplicateEntry if an entry of `kind` already names this payload's
        `decision_id` (checked inside the write transaction, so across processes too)."""
        check_kind(kind)
        if not isinstance(payload, dict):
            raise EntryError(f"payload must be an object, got {type(payload).__name__}")
        try:
            if payload_json is None:
                payload_json = canonical_json(payload, has_float=has_float)
        except (TypeError, ValueError, OverflowError) as exc:
            raise EntryError(f"payload is not JSON-serialisable: {exc}") from None
        ref = payload.get("decision_id")
        ref = ref if isinstance(ref, str) and len(ref) <= 200 else None
        sealed = self._submit(
            Append(kind, payload_json, ref, once_per_decision and ref is not None)
        )
        assert isinstance(sealed, Sealed)
        return sealed.entry()

    def entries(self, after: int = 0) -> Iterator[Entry]:
        return (row_entry(r) for r in self.db.stream(sql.ENTRIES_AFTER, {"after": max(after, 0)}))

    def head(self) -> Entry | None:
        rows = self.db.query(sql.HEAD_ENTRY, {})
        return row_entry(rows[0]) if rows else None

    def flush(self) -> None:
        """Wait until the mirror lines of every acknowledged entry are fdatasync'd too."""
        if self._writer is not None:
            self._writer.mirrors.flush()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._committer is not None:
            self._committer.close()
        if self._writer is not None:
            self._writer.close()
        self.db.close()

    def __enter__(self) -> DurableLedger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- lookups ------------------------------------------------------------------------------

    def get(self, seq: int) -> Entry | None:
        rows = self.db.query(sql.ENTRY_AT, {"seq": seq})
        return row_entry(rows[0]) if rows else None

    def count(self) -> int:
        """Number of entries (seqs are contiguous from 1, so this is the head's seq)."""
        rows = self.db.query(sql.HEAD, {})
        return int(rows[0][0]) if rows else 0

    def find(self, kind: str, decision_id: str) -> Entry | None:
        """The first entry of `kind` whose payload's `decision_id` is `decision_id` (indexed)."""
        rows = self.db.query(sql.FIRST_BY_REF, {"ref": decision_id, "kind": kind})
        return row_entry(rows[0]) if rows else None

    def related(self, decision_id: str) -> list[Entry]:
        """Every entry naming this decision: the decision, its receipt, approvals, ..."""
        return [row_entry(r) for r in self.db.query(sql.ENTRIES_BY_REF, {"ref": decision_id})]

    # -- checkpoints and proofs ---------------------------------------------------------------

    def checkpoints(self) -> list[Checkpoint]:
        return [row_checkpoint(r) for r in self.db.query(sql.CHECKPOINTS, {})]

    def checkpoint(self) -> Checkpoint:
        """Sign a checkpoint at the current head now (or return the latest if it is the head)."""
        if not self._has_key:
            raise LedgerError(f"{self.db.description}: no signing key, so no checkpoints")
        result = self._submit(ForceCheckpoint())
        if isinstance(result, Checkpoint):
            return result
        latest = self.checkpoints()
        if not latest:
            raise LedgerError(f"{self.db.description}: the ledger is empty; nothing to checkpoint")
        return latest[-1]

    def prove(self, seq: int, tree_size: int | None = None) -> InclusionProof:
        """Inclusion proof of entry `seq` against a signed checkpoint: the latest, or `tree_size`'s;
        a new checkpoint is signed when none covers `seq` yet."""
        return prover.inclusion(self, seq, tree_size)

    def prove_consistency(self, old_size: int, new_size: int | None = None) -> ConsistencyProof:
        """Consistency proof between the checkpoints of `old_size` and `new_size` (default latest)."""
        return prover.consistency(self, old_size, new_size)

    # -- the writer ---------------------------------------------------------------------------

    def _submit(self, item: Item) -> Result:
        if self._committer is None:
            raise LedgerError(f"{self.db.description} was opened read-only")
        return self._committer.submit(item)
