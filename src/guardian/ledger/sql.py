"""The SQL a durable store speaks, and the narrow database adapter each dialect implements.

Statements use `:name` parameters, which both sqlite3 and SQLAlchemy's `text()` accept, so SQLite
and PostgreSQL share every statement; only connecting and the cross-process write lock differ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol

Row = tuple[Any, ...]

HEAD = "SELECT seq, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
HEAD_ENTRY = (
    "SELECT seq, kind, ts, payload, prev_hash, hash FROM ledger_entries ORDER BY seq DESC LIMIT 1"
)
ENTRIES_AFTER = (
    "SELECT seq, kind, ts, payload, prev_hash, hash "
    "FROM ledger_entries "
    "WHERE seq > :after "
    "ORDER BY seq"
)
ENTRIES_BETWEEN = (
    "SELECT seq, kind, ts, payload, prev_hash, hash "
    "FROM ledger_entries "
    "WHERE seq > :after AND seq < :before "
    "ORDER BY seq"
)
ENTRY_AT = "SELECT seq, kind, ts, payload, prev_hash, hash FROM ledger_entries WHERE seq = :seq"
ENTRIES_BY_REF = (
    "SELECT seq, kind, ts, payload, prev_hash, hash "
    "FROM ledger_entries "
    "WHERE ref = :ref "
    "ORDER BY seq"
)
FIRST_BY_REF = (
    "SELECT seq, kind, ts, payload, prev_hash, hash "
    "FROM ledger_entries "
    "WHERE ref = :ref AND kind = :kind "
    "ORDER BY seq LIMIT 1"
)
REF_EXISTS = "SELECT 1 FROM ledger_entries WHERE ref = :ref AND kind = :kind LIMIT 1"
HASHES = "SELECT hash FROM ledger_entries WHERE seq > :after AND seq <= :upto ORDER BY seq"
INSERT_ENTRY = (
    "INSERT INTO ledger_entries (seq, kind, ts, payload, prev_hash, hash, ref) "
    "VALUES (:seq, :kind, :ts, :payload, :prev_hash, :hash, :ref)"
)
CHECKPOINTS = (
    "SELECT tree_size, root_hash, ts, key_id, signature FROM ledger_checkpoints ORDER BY tree_size"
)
CHECKPOINTS_BETWEEN = (
    "SELECT tree_size, root_hash, ts, key_id, signature "
    "FROM ledger_checkpoints "
    "WHERE tree_size > :after AND tree_size < :before "
    "ORDER BY tree_size"
)
LATEST_CHECKPOINT = (
    "SELECT tree_size, root_hash, ts, key_id, signature, frontier "
    "FROM ledger_checkpoints "
    "ORDER BY tree_size DESC LIMIT 1"
)
INSERT_CHECKPOINT = (
    "INSERT INTO ledger_checkpoints (tree_size, root_hash, ts, key_id, signature, frontier) "
    "VALUES (:tree_size, :root_hash, :ts, :key_id, :signature, :frontier)"
)


class Writer(Protocol):
    """The one connection that writes; used by one thread at a time (the group-commit writer)."""

    def begin(self) -> None:
        """Start a write transaction holding the store-wide append lock (across processes/hosts)."""
        ...

    def commit(self) -> None:
        """Commit; durable (fsync'd) when this returns."""
        ...

    def commit_deferred(self) -> Callable[[], None] | None:
        """Commit, and return the step that makes it durable (to run after the store-wide lock is
        released, so the next transaction overlaps this one's fsync), or None if it already is."""
        ...

    def rollback(self) -> None: ...

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Row]: ...

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None: ...

    def close(self) -> None: ...


class Database(Protocol):
    """A dialect: where the rows live, how to read them from any thread, how to get the writer."""

    description: str

    def writer(self) -> Writer: ...

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        """A short read from any thread."""
        ...

    def stream(self, sql: str, params: Mapping[str, Any]) -> Iterator[Row]:
        """A long read on its own connection, rows fetched as they are consumed."""
        ...

    def close(self) -> None: ...
