"""Building inclusion and consistency proofs from a durable ledger, streaming its entry hashes.

Memory stays flat in the ledger's size: the audit path's subtree roots are folded in one pass over
the hashes (`merkle.range_roots`), never by loading every leaf.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from guardian.ledger import sql
from guardian.ledger.checkpoint import Checkpoint
from guardian.ledger.errors import LedgerError
from guardian.ledger.merkle import consistency_ranges, inclusion_ranges, range_roots
from guardian.ledger.proofs import ConsistencyProof, InclusionProof

if TYPE_CHECKING:
    from guardian.ledger.durable import DurableLedger


def inclusion(ledger: DurableLedger, seq: int, tree_size: int | None = None) -> InclusionProof:
    where = ledger.db.description
    entry = ledger.get(seq)
    if entry is None:
        raise LedgerError(f"{where}: no entry with seq {seq}")
    cps = ledger.checkpoints()
    if tree_size is not None:
        found = [cp for cp in cps if cp.tree_size == tree_size]
        if not found:
            raise LedgerError(f"{where}: no checkpoint of tree size {tree_size}")
        if tree_size < seq:
            raise LedgerError(
                f"{where}: the checkpoint of tree size {tree_size} does not cover seq {seq}"
            )
        cp = found[0]
    elif cps and cps[-1].tree_size >= seq:
        cp = cps[-1]
    else:
        cp = ledger.checkpoint()
    ranges = inclusion_ranges(seq - 1, cp.tree_size)
    return InclusionProof(entry, cp, range_roots(ranges, _leaves(ledger, cp.tree_size)))


def consistency(
    ledger: DurableLedger, old_size: int, new_size: int | None = None
) -> ConsistencyProof:
    where = ledger.db.description
    cps: dict[int, Checkpoint] = {cp.tree_size: cp for cp in ledger.checkpoints()}
    if not cps:
        raise LedgerError(f"{where}: there are no checkpoints yet")
    new = new_size if new_size is not None else max(cps)
    for size in (old_size, new):
        if size not in cps:
            raise LedgerError(
                f"{where}: no checkpoint of tree size {size} (have {sorted(cps)[-5:]}...)"
            )
    if old_size > new:
        raise LedgerError(f"old tree size {old_size} is larger than new tree size {new}")
    path = range_roots(consistency_ranges(old_size, new), _leaves(ledger, new))
    return ConsistencyProof(cps[old_size], cps[new], path)


def _leaves(ledger: DurableLedger, upto: int) -> Iterator[bytes]:
    rows = ledger.db.stream(sql.HASHES, {"after": 0, "upto": upto})
    return (bytes.fromhex(r[0]) for r in rows)
