"""The SQLite store, the embedded default: one WAL file that several processes may share.

Durability: every connection runs with `synchronous=FULL` (SQLite fsyncs the WAL at each commit)
except the ledger's writer, which fsyncs the WAL itself after each commit (`synchronous=NORMAL`
plus an fdatasync of the `-wal` file): committing, then releasing the write lock, then syncing lets
the next batch's transaction run during this one's fsync. Nothing is acknowledged before its fsync,
and the WAL is replayed in order, so what survives a crash is always a prefix of the chain.
Cross-process order: each batch runs in `BEGIN IMMEDIATE`, which takes SQLite's write lock before
the head is read, so two processes never seal entries against the same head. Readers never block
the writer (WAL).
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from guardian import migrations
from guardian.ledger.errors import LedgerError, SchemaError
from guardian.ledger.sql import Row

_BUSY_TIMEOUT_S = 60.0


def connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    """An autocommit connection (we issue BEGIN ourselves) with the durability settings."""
    try:
        if read_only:
            conn = sqlite3.connect(
                f"file:{quote(str(path))}?mode=ro", uri=True, timeout=_BUSY_TIMEOUT_S,
                isolation_level=None, check_same_thread=False,
            )  # fmt: skip
        else:
            conn = sqlite3.connect(
                path, timeout=_BUSY_TIMEOUT_S, isolation_level=None, check_same_thread=False
            )
        conn.execute("PRAGMA synchronous=FULL")
    except sqlite3.Error as exc:
        raise LedgerError(f"cannot open SQLite database {path}: {exc}") from None
    return conn


def ensure_schema(path: Path) -> None:
    """Create or upgrade the tables (Alembic) unless the file is already at the newest revision."""
    if path.exists() and _revisions(path) == migrations.head_revisions():
        return
    try:
        migrations.upgrade(f"sqlite:///{path}")
    except Exception as exc:
        raise SchemaError(f"cannot create or upgrade the schema of {path}: {exc}") from exc


def _revisions(path: Path) -> frozenset[str]:
    conn = connect(path)
    try:
        return frozenset(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
    except sqlite3.OperationalError:
        return frozenset()
    finally:
        conn.close()


class SqliteWriter:
    """The write connection. Appenders of all processes queue on an `flock` of `<db>-writer.lock`
    before `BEGIN IMMEDIATE`: the kernel wakes the next one the moment the lock is free, where
    SQLite's own busy handler would poll with sleeps of up to 100 ms."""

    def __init__(self, path: Path) -> None:
        self._conn = connect(path)
        mode = self._conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if mode != "wal":
            raise LedgerError(f"SQLite database {path} refused WAL mode (got {mode!r})")
        self._conn.execute("PRAGMA synchronous=NORMAL")  # the WAL's fsync is ours: see above
        lock = path.with_name(path.name + "-writer.lock")
        self._lock = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        self._wal = path.with_name(path.name + "-wal")
        self._wal_fd = -1
        self._wal_ino = -1

    def begin(self) -> None:
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        try:
            self._conn.execute("BEGIN IMMEDIATE")
        except BaseException:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            raise

    def commit(self) -> None:
        self.commit_deferred()()

    def commit_deferred(self) -> Callable[[], None]:
        try:
            self._conn.execute("COMMIT")
            fd = os.dup(self._wal_descriptor())
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

        def sync() -> None:
            try:
                os.fdatasync(fd)  # as SQLite syncs its WAL: the data, and the size when it grew
            finally:
                os.close(fd)

        return sync

    def _wal_descriptor(self) -> int:
        """The open `-wal` file, reopened if SQLite replaced it (it never does while this
        connection is open, but a wrong file would make the fsync a silent no-op)."""
        ino = os.stat(self._wal).st_ino
        if ino != self._wal_ino:
            if self._wal_fd >= 0:
                os.close(self._wal_fd)
            self._wal_fd = os.open(self._wal, os.O_RDONLY | os.O_CLOEXEC)
            self._wal_ino = os.fstat(self._wal_fd).st_ino
        return self._wal_fd

    def rollback(self) -> None:
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK")
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        return self._conn.execute(sql, params).fetchall()

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        self._conn.executemany(sql, rows)

    def close(self) -> None:
        self._conn.close()
        os.close(self._lock)
        if self._wal_fd >= 0:
            os.close(self._wal_fd)
            self._wal_fd = -1


class SqliteDatabase:
    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.description = f"SQLite ledger {path}"
        self._read_only = read_only
        self._reader = connect(path, read_only=read_only)
        self._lock = threading.Lock()
        try:
            self.query("SELECT 1 FROM ledger_entries LIMIT 1", {})
        except sqlite3.OperationalError:
            self._reader.close()
            raise SchemaError(f"{path} holds no ledger (run `guardian db upgrade`)") from None

    def writer(self) -> SqliteWriter:
        if self._read_only:
            raise LedgerError(f"{self.description} was opened read-only")
        return SqliteWriter(self.path)

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        with self._lock:
            return self._reader.execute(sql, params).fetchall()

    def stream(self, sql: str, params: Mapping[str, Any]) -> Iterator[Row]:
        conn = connect(self.path, read_only=self._read_only)
        try:
            yield from conn.execute(sql, params)
        finally:
            conn.close()

    def close(self) -> None:
        with self._lock:
            self._reader.close()
