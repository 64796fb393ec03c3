"""Verifying the ledger tables of a database: a SQLite file (opened read-only) or PostgreSQL
(a read-only transaction and a server-side cursor, through psycopg alone)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from guardian.ledger import chaincheck
from guardian.ledger.chaincheck import Chain, canonical_line
from guardian.ledger.checkpoint import Checkpoint, CheckpointError
from guardian.ledger.report import (
    KeyArg,
    VerifyError,
    VerifyReport,
    base_report,
    finish,
    resolve_key,
)


def verify_sqlite(path: str | Path, *, public_key: KeyArg = None) -> VerifyReport:
    """Verify the ledger tables of a SQLite file, opened read-only."""
    started = time.perf_counter()
    path = Path(path)
    try:
        conn = sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)
        rows = conn.execute(
            "SELECT tree_size, root_hash, ts, key_id, signature FROM ledger_checkpoints"
        )
        cps = [_checkpoint_row(r) for r in rows]
        cursor = conn.execute(
            "SELECT seq, kind, ts, payload, prev_hash, hash FROM ledger_entries ORDER BY seq"
        )
    except sqlite3.Error as exc:
        raise VerifyError(f"{path} is not a readable Guardian ledger: {exc}") from None
    try:
        report = _verify_rows(str(path), cursor, cps, resolve_key(public_key, path)[0])
    finally:
        conn.close()
    report.seconds = time.perf_counter() - started
    return report


def verify_postgres(url: str, *, public_key: KeyArg = None) -> VerifyReport:
    """Verify the ledger tables of a PostgreSQL database (read-only transaction, server cursor)."""
    import psycopg

    started = time.perf_counter()
    dsn = "postgresql://" + url.split("://", 1)[1]
    try:
        with psycopg.connect(dsn) as conn:
            conn.read_only = True
            cps = [_checkpoint_row(r) for r in conn.execute(
                "SELECT tree_size, root_hash, ts, key_id, signature FROM ledger_checkpoints")]  # fmt: skip
            with conn.cursor(name="guardian_verify") as cur:
                cur.itersize = 2000
                cur.execute(
                    "SELECT seq, kind, ts, payload, prev_hash, hash FROM ledger_entries ORDER BY seq"
                )
                report = _verify_rows("PostgreSQL ledger", cur, cps, resolve_key(public_key)[0])
    except psycopg.Error as exc:
        raise VerifyError(f"cannot read the PostgreSQL ledger: {exc}") from None
    report.seconds = time.perf_counter() - started
    return report


def _checkpoint_row(row: Any) -> Checkpoint:
    try:
        return Checkpoint.from_dict(
            dict(zip(("tree_size", "root_hash", "ts", "key_id", "signature"), row, strict=True))
        )
    except CheckpointError as exc:
        raise VerifyError(f"checkpoint row {row[0]!r}: {exc}") from None


def _verify_rows(
    source: str, rows: Iterable[Any], cps: list[Checkpoint], key: Ed25519PublicKey | None
) -> VerifyReport:
    report = base_report(source, cps, key)
    if report.ok:
        chain = Chain(cps, unit="row")
        finish(report, chain, chaincheck.run(_row_lines(rows), chain))
    return report


def _row_lines(rows: Iterable[Any]) -> Iterator[tuple[int, bytes]]:
    """Each row as the JSONL line it stands for; wrongly typed columns keep their type so the
    strict parse names them."""
    for n, (seq, kind, ts, payload, prev_hash, digest) in enumerate(rows, 1):
        try:
            value = orjson.loads(payload) if isinstance(payload, (str, bytes)) else payload
        except orjson.JSONDecodeError:
            value = payload
        record = {
            "seq": seq,
            "kind": kind,
            "ts": ts,
            "payload": value,
            "prev_hash": prev_hash,
            "hash": digest,
        }
        try:
            yield n, canonical_line(record)
        except (TypeError, ValueError):
            yield n, b"\x00unencodable row\n"
