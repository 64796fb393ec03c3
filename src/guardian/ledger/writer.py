"""The write side of a durable ledger: one transaction per group-committed batch.

Runs on the group-commit writer thread only. Each batch: take the store-wide append lock, re-read
the head (another process may have appended), seal the entries against it, insert them, extend the
Merkle frontier and sign a checkpoint when one is due, commit. The batch's sync step, which the
group committer runs after handing the write lock on (so the next batch's transaction overlaps it)
and before acknowledging anyone, makes the commit durable (SQLite: the WAL's fsync) and then
writes the mirror lines (mirrors.py).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.core.clock import Clock, iso_utc, parse_iso_utc
from guardian.ledger import sql
from guardian.ledger.checkpoint import Checkpoint, checkpoints_path
from guardian.ledger.entry import GENESIS_HASH, Entry, seal_line
from guardian.ledger.errors import DuplicateEntry, LedgerError, LedgerWriteError, MirrorError
from guardian.ledger.groupcommit import Committed
from guardian.ledger.merkle import Frontier
from guardian.ledger.mirror import JsonlMirror, MirrorRepair
from guardian.ledger.mirrors import Mirrors

log = logging.getLogger("guardian.ledger")


@dataclass(frozen=True, slots=True, eq=False)  # compared by identity: one per queued append
class Append:
    kind: str
    payload_json: bytes
    ref: str | None  # the payload's decision_id, indexed
    once: bool  # refuse if an entry of this kind already has this ref


class ForceCheckpoint:
    """Queued by `checkpoint()`: sign a tree head at the current head, in order with appends."""


@dataclass(frozen=True, slots=True)
class Sealed:
    """An append as committed: everything its caller needs to build the Entry."""

    seq: int
    ts: str
    prev_hash: str
    hash: str
    kind: str
    payload_json: bytes

    def entry(self) -> Entry:
        payload = orjson.loads(self.payload_json)  # the stored payload, not the caller's dict
        return Entry(self.seq, self.kind, self.ts, payload, self.prev_hash, self.hash)


Item = Append | ForceCheckpoint
Result = Sealed | Checkpoint | None


def row_entry(row: sql.Row) -> Entry:
    seq, kind, ts, payload, prev_hash, digest = row
    return Entry(seq, kind, ts, orjson.loads(payload), prev_hash, digest)


def row_checkpoint(row: sql.Row) -> Checkpoint:
    return Checkpoint(row[0], row[1], row[2], row[3], row[4])


class BatchWriter:
    def __init__(
        self,
        db: sql.Database,
        *,
        clock: Clock,
        key: Ed25519PrivateKey | None,
        every: int,
        interval: float | None,
        mirror_sync: str = "background",
    ) -> None:
        self._where = db.description
        self.mirrors = Mirrors(mirror_sync)
        self._db = db
        self._clock = clock
        self._key = key
        self._every = every
        self._interval = interval
        self.conn = db.writer()
        try:
            self._load_state()
        except BaseException:
            self.conn.close()
            raise

    def close(self) -> None:
        self.mirrors.close()
        self.conn.close()

    # -- state --------------------------------------------------------------------------------

    def _load_state(self) -> None:
        # The checkpoint is read before the head: the two reads are separate transactions, and a
        # checkpoint is committed with the entries it covers, so a head read afterwards is never
        # behind it. (Read the other way round, another writer's commit in between made the
        # checkpoint look longer than the ledger: "entries were deleted".)
        self._cp_size, self._cp_time, self._frontier = 0, self._clock.now(), Frontier()
        latest = self.conn.query(sql.LATEST_CHECKPOINT, {})
        rows = self.conn.query(sql.HEAD, {})
        head_seq = int(rows[0][0]) if rows else 0
        if latest:
            cp = row_checkpoint(latest[0])
            self._cp_size, self._cp_time = cp.tree_size, parse_iso_utc(cp.ts)
            frontier = Frontier.from_hex(cp.tree_size, latest[0][5])
            if frontier.root() != cp.root():
                raise LedgerError(
                    f"{self._where}: the frontier stored with checkpoint {cp.tree_size} does not match its root"
                )
            self._frontier = frontier
        if self._key is not None:
            self._catch_up(head_seq)
        self._known_seq = head_seq

    def _catch_up(self, head_seq: int) -> None:
        """Extend the frontier with entries other writers (or earlier runs) committed."""
        if head_seq < self._frontier.size:
            raise LedgerError(
                f"{self._where}: the ledger ends at seq {head_seq} but this writer had seen "
                f"{self._frontier.size}: entries were deleted; run `guardian ledger verify`"
            )
        if head_seq > self._frontier.size:
            rows = self.conn.query(sql.HASHES, {"after": self._frontier.size, "upto": head_seq})
            self._frontier.extend([bytes.fromhex(r[0]) for r in rows])

    def _refresh(self, head_seq: int) -> None:
        latest = self.conn.query(sql.LATEST_CHECKPOINT, {})
        if latest and latest[0][0] > self._cp_size:
            self._cp_size, self._cp_time = int(latest[0][0]), parse_iso_utc(latest[0][2])
        if self._key is not None:
            self._catch_up(head_seq)
        self._known_seq = head_seq

    # -- mirrors ------------------------------------------------------------------------------

    @property
    def mirror(self) -> JsonlMirror | None:
        return self.mirrors.entries

    def open_mirrors(self, path: Path) -> list[MirrorRepair]:
        """Open the entry and checkpoint mirrors and bring them level with the store."""
        has_cps = self._key is not None or checkpoints_path(path).exists()
        cps = (self._latest_cp, self._checkpoint_lines) if has_cps else None
        return self.mirrors.open(path, (self._head, self._entry_lines), cps)

    # The fills run in sync steps, while the next batch's transaction may be open on `self.conn`:
    # they read through the database's reader connection, which sees only committed rows.

    def _head(self) -> tuple[int, str | None]:
        rows = self._db.query(sql.HEAD, {})
        return (int(rows[0][0]), str(rows[0][1])) if rows else (0, None)

    def _latest_cp(self) -> tuple[int, str | None]:
        rows = self._db.query(sql.LATEST_CHECKPOINT, {})
        return (int(rows[0][0]), None) if rows else (0, None)

    def _entry_lines(self, after: int, before: int | None) -> Iterable[tuple[int, bytes]]:
        stmt, params = sql.ENTRIES_BETWEEN, {"after": after, "before": before}
        if before is None:
            stmt, params = sql.ENTRIES_AFTER, {"after": after}
        for row in self._db.query(stmt, params):
            yield row[0], row_entry(row).line()

    def _checkpoint_lines(self, after: int, before: int | None) -> Iterable[tuple[int, bytes]]:
        params = {"after": after, "before": before if before is not None else 2**62}
        for row in self._db.query(sql.CHECKPOINTS_BETWEEN, params):
            yield row[0], row_checkpoint(row).line()

    # -- checkpoints --------------------------------------------------------------------------

    def tick(self) -> None:
        """Idle: sign a checkpoint if `interval` seconds passed since the last one."""
        rows = self._db.query(sql.HEAD, {})
        if self._due(int(rows[0][0]) if rows else 0, self._clock.now(), force=False):
            committed = self.write([ForceCheckpoint()])
            if committed.sync is not None:
                committed.sync()

    def _due(self, size: int, now: datetime, *, force: bool) -> bool:
        if self._key is None or size <= self._cp_size:
            return False
        if force or (self._every and size - self._cp_size >= self._every):
            return True
        return bool(self._interval) and (now - self._cp_time).total_seconds() >= (
            self._interval or 0
        )

    # -- the batch ----------------------------------------------------------------------------

    def write(self, items: Sequence[Item]) -> Committed[Result]:
        appends = [i for i in items if isinstance(i, Append)]
        force = len(appends) != len(items)
        w = self.conn
        w.begin()
        try:
            rows = w.query(sql.HEAD, {})
            seq, prev = (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS_HASH)
            if seq != self._known_seq:  # another writer appended (and maybe checkpointed) meanwhile
                self._refresh(seq)
            now = self._clock.now()
            ts = iso_utc(now)
            refused = self._duplicates(appends)
            sealed: list[Sealed] = []
            lines: list[tuple[int, bytes]] = []
            params: list[dict[str, Any]] = []
            for a in appends:
                if a in refused:
                    continue
                seq += 1
                digest, line = seal_line(seq, a.kind, ts, a.payload_json, prev)
                sealed.append(Sealed(seq, ts, prev, digest, a.kind, a.payload_json))
                lines.append((seq, line))
                params.append({"seq": seq, "kind": a.kind, "ts": ts, "payload": a.payload_json.decode(),
                               "prev_hash": prev, "hash": digest, "ref": a.ref})  # fmt: skip
                prev = digest
            if params:
                w.execute_many(sql.INSERT_ENTRY, params)
            frontier, cp = self._frontier, None
            if self._key is not None:
                frontier = frontier.copy()
                frontier.extend([bytes.fromhex(s.hash) for s in sealed])
                if self._due(seq, now, force=force):
                    cp = Checkpoint.sign(seq, frontier.root(), ts, self._key)
                    w.execute_many(
                        sql.INSERT_CHECKPOINT, [{**cp.to_dict(), "frontier": frontier.to_hex()}]
                    )
            durable = w.commit_deferred()
        except BaseException:
            w.rollback()
            raise
        self._frontier, self._known_seq = frontier, seq
        if cp is not None:
            self._cp_size, self._cp_time = cp.tree_size, now
        results = _in_item_order(items, refused, list(sealed), cp)
        cp_lines = [(cp.tree_size, cp.line())] if cp is not None else []

        def sync() -> None:
            if durable is not None:
                try:
                    durable()
                except OSError as exc:
                    raise LogSyncError(exc) from exc
            try:
                self.mirrors.write(lines, cp_lines)
            except MirrorError as exc:
                log.error("ledger mirror after commit: %s", exc)
                raise

        return Committed(results, sync, _sync_failed)

    def _duplicates(self, appends: list[Append]) -> dict[Append, BaseException]:
        """Appends refused by `once_per_decision`: already in the store, or earlier in this batch."""
        refused: dict[Append, BaseException] = {}
        seen: set[tuple[str, str]] = set()
        for a in appends:
            if not a.once or a.ref is None:
                continue
            key = (a.kind, a.ref)
            if key in seen or self.conn.query(sql.REF_EXISTS, {"ref": a.ref, "kind": a.kind}):
                refused[a] = DuplicateEntry(f"a {a.kind} entry for decision {a.ref} already exists")
            seen.add(key)
        return refused


class LogSyncError(Exception):
    """The fsync that makes a committed batch durable failed."""


def _sync_failed(result: Result, exc: BaseException) -> BaseException:
    """What a caller gets when its batch committed but the sync step failed."""
    what = f"entry {result.seq}" if isinstance(result, Sealed) else "the checkpoint"
    if isinstance(exc, LogSyncError):
        err = LedgerWriteError(
            f"{what} was committed but the fsync of the database's log failed "
            f"({exc.__cause__}); it may not survive a crash"
        )
        err.__cause__ = exc.__cause__
        return err
    if isinstance(result, Sealed):
        return MirrorError(f"{what} was committed but {exc}", result.entry())
    return MirrorError(f"committed, but {exc}")


def _in_item_order(
    items: Sequence[Item],
    refused: dict[Append, BaseException],
    appended: list[Sealed],
    forced: Checkpoint | None,
) -> list[Result | BaseException]:
    """Results in the order of the queued items: refusals, appends in turn, forced checkpoints."""
    it = iter(appended)
    out: list[Result | BaseException] = []
    for item in items:
        if isinstance(item, Append):
            out.append(refused[item] if item in refused else next(it))
        else:
            out.append(forced)
    return out
