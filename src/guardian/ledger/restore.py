"""Export a ledger to JSONL, and rebuild a lost database from a JSONL mirror or export.

`restore` verifies the file first (refusing a damaged one), loads it in large transactions into an
empty database, carries the signed checkpoints over (with the Merkle frontier recomputed at each),
and finally verifies the database it built. It is also the fast bulk path of the benchmarks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import orjson

from guardian.ledger import sql
from guardian.ledger.checkpoint import Checkpoint, checkpoints_path
from guardian.ledger.durable import DurableLedger
from guardian.ledger.errors import LedgerError
from guardian.ledger.merkle import Frontier
from guardian.ledger.open import resolve_url, sqlite_path
from guardian.ledger.store import Ledger
from guardian.ledger.verify import KeyArg, VerifyReport, load_checkpoints, verify_jsonl

_PREV = b',"prev_hash":"'


class RestoreError(LedgerError):
    """The file is not a valid ledger, or the target database is not empty."""

    code = "ledger_restore"


@dataclass(slots=True)
class RestoreReport:
    source: str
    database: str
    entries: int
    checkpoints: int
    verified: VerifyReport

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "database": self.database,
            "entries": self.entries,
            "checkpoints": self.checkpoints,
            "verified": self.verified.to_dict(),
        }


def export(ledger: Ledger, out: IO[bytes], *, after: int = 0) -> int:
    """Write every entry with seq > after as canonical JSONL; returns how many."""
    count = 0
    for entry in ledger.entries(after):
        out.write(entry.line())
        count += 1
    return count


def export_checkpoints(ledger: DurableLedger, path: Path) -> int:
    cps = ledger.checkpoints()
    with path.open("wb") as f:
        for cp in cps:
            f.write(cp.line())
    return len(cps)


def restore(
    jsonl: str | Path,
    url: str | None = None,
    *,
    checkpoints: str | Path | None = None,
    public_key: KeyArg = None,
    batch: int = 10_000,
) -> RestoreReport:
    """Rebuild the (empty or missing) database at `url` from `jsonl` and verify the result."""
    from guardian.ledger.verify import verify_postgres, verify_sqlite

    path = Path(jsonl)
    cp_file = Path(checkpoints) if checkpoints else checkpoints_path(path)
    cps = load_checkpoints(cp_file) if cp_file.exists() else []
    report = verify_jsonl(path, checkpoints=cps, public_key=public_key)
    if not report.ok:
        raise RestoreError(
            f"{path} is not a valid ledger, refusing to restore it: {report.summary()}"
        )
    target = resolve_url(url)
    ledger = _open_empty(target)
    try:
        loaded = bulk_load(ledger, _lines(path), cps, batch=batch)
    finally:
        ledger.close()
    db_file = sqlite_path(target)
    if db_file is not None:
        verified = verify_sqlite(db_file, public_key=public_key)
    else:
        verified = verify_postgres(target, public_key=public_key)
    if not verified.ok:
        raise RestoreError(f"the restored database does not verify: {verified.summary()}")
    return RestoreReport(str(path), ledger.db.description, loaded, len(cps), verified)


def _open_empty(url: str) -> DurableLedger:
    from guardian.ledger.open import open_ledger

    ledger = open_ledger(url, mirror=False, signing_key=False)
    if not isinstance(ledger, DurableLedger):
        raise RestoreError(f"cannot restore into {url}: not a database")
    if ledger.head() is not None:
        ledger.close()
        raise RestoreError(
            f"{ledger.db.description} is not empty; restore only into an empty database"
        )
    return ledger


def _lines(path: Path) -> Iterator[bytes]:
    with path.open("rb", buffering=1 << 20) as f:
        yield from f


def bulk_load(
    ledger: DurableLedger,
    lines: Iterator[bytes],
    checkpoints: list[Checkpoint],
    *,
    batch: int = 10_000,
) -> int:
    """Insert already-verified canonical entry lines in transactions of `batch` rows, and the
    checkpoints (with their frontiers) as their tree sizes pass. The caller must have verified."""
    pending = sorted(checkpoints, key=lambda c: c.tree_size)
    frontier, rows, count = Frontier(), [], 0
    writer = ledger.db.writer()
    try:
        for line in lines:
            rows.append(_row(line))
            frontier.append(bytes.fromhex(rows[-1]["hash"]))
            count += 1
            due = [cp for cp in pending if cp.tree_size == count]
            if len(rows) >= batch or due:
                _insert(writer, rows, due, frontier)
                rows = []
                pending = pending[len(due) :]
        _insert(writer, rows, [], frontier)
    finally:
        writer.close()
    return count


def _insert(
    writer: sql.Writer, rows: list[dict[str, Any]], cps: list[Checkpoint], frontier: Frontier
) -> None:
    writer.begin()
    try:
        if rows:
            writer.execute_many(sql.INSERT_ENTRY, rows)
        if cps:
            extra = {"frontier": frontier.to_hex()}
            writer.execute_many(sql.INSERT_CHECKPOINT, [{**cp.to_dict(), **extra} for cp in cps])
        writer.commit()
    except BaseException:
        writer.rollback()
        raise


def _row(line: bytes) -> dict[str, Any]:
    obj = orjson.loads(line)
    # The line is canonical, so the payload's canonical text is the slice between its key and the
    # last top-level `,"prev_hash":"` (a nested key of that name comes earlier, inside the payload).
    start = line.index(b'"payload":') + len(b'"payload":')
    end = line.rindex(_PREV)
    ref = obj["payload"].get("decision_id")
    return {
        "seq": obj["seq"],
        "kind": obj["kind"],
        "ts": obj["ts"],
        "payload": line[start:end].decode(),
        "prev_hash": obj["prev_hash"],
        "hash": obj["hash"],
        "ref": ref if isinstance(ref, str) and len(ref) <= 200 else None,
    }
