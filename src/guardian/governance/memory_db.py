"""The in-memory state database, spoken to directly on the ASK path, and what it is known to lack.

`memory://` is one sqlite3 connection (SQLAlchemy's StaticPool) that the threads of one process
share under the engine lock (storage/engine.py). Through SQLAlchemy each statement of an ASK cost
~40 µs of overhead, several times what SQLite takes to run it, so the stores run theirs on the
driver connection instead: the SQL text and parameter order are SQLAlchemy's own (compiled once,
and checked), a write commits exactly as `engine.begin()` would, and a driver error is raised as
the SQLAlchemy exception SQLAlchemy would have raised. When the engine has connection event
listeners (tracing, tests), statements go through SQLAlchemy so that the listeners see them.

Facts of absence ("no live approved proposal", "no live grant") spare an ASK the lookups that could
not find anything. A fact is remembered with the connection's `total_changes` when it was checked:
every INSERT, UPDATE and DELETE on this database, from any thread, runs on this one connection and
moves that counter, so a change that might falsify a fact also retires it. A writer that knows its
own row cannot falsify a fact (a pending proposal is not an approval) carries the fact over its
write, provided the counter moved by exactly its own rows. A fact found at time T (nothing expires
after T) holds at any later time, never at an earlier one. A database file or server is shared with
other processes, whose writes this process cannot see: there nothing is remembered.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement

from guardian.storage.engine import engine_lock, is_memory

#: A fact is checked again after this many seconds whatever happened: `total_changes` is a 32-bit
#: counter in Python 3.11, and no database makes 2**32 changes in that time.
FACT_SECONDS = 10.0

_dbs: weakref.WeakKeyDictionary[Engine, MemoryDB] = weakref.WeakKeyDictionary()
_dbs_guard = threading.Lock()


class MemoryDB:
    """One per in-memory engine (`MemoryDB.of`), shared by its stores so they share the facts.

    Every method is called with `lock` held; `lock` is the engine lock every store already takes.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.lock = engine_lock(engine)
        self._pool: object = None
        self._conn: sqlite3.Connection | None = None
        #: (table, name) -> (total_changes, now, monotonic time) when the absence was found.
        self._facts: dict[tuple[str, str], tuple[int, str, float]] = {}

    @classmethod
    def of(cls, engine: Engine) -> MemoryDB | None:
        """The shared instance for an in-memory SQLite engine; None for any other database."""
        if not is_memory(engine):
            return None
        with _dbs_guard:
            found = _dbs.get(engine)
            if found is None:
                found = _dbs[engine] = cls(engine)
            return found

    @property
    def direct(self) -> bool:
        """Whether statements may bypass SQLAlchemy: not while connection events are listened to."""
        return not getattr(self._engine, "_has_events", True)

    def sql(self, statement: ClauseElement, order: Sequence[str]) -> str:
        """SQLAlchemy's SQL for `statement` on this engine, its parameters in `order` (checked)."""
        compiled = cast(SQLCompiler, statement.compile(dialect=self._engine.dialect))
        if tuple(compiled.positiontup or ()) != tuple(order):
            raise RuntimeError(f"expected parameters {order}, got {compiled.positiontup}")
        return compiled.string

    def connection(self) -> sqlite3.Connection:
        """The driver connection behind the pool; a disposed engine's new pool is a new database."""
        pool = self._engine.pool
        if pool is not self._pool or self._conn is None:
            fairy = self._engine.raw_connection()
            try:
                conn = fairy.driver_connection
            finally:
                fairy.close()  # StaticPool keeps the connection open for everyone
            assert isinstance(conn, sqlite3.Connection)
            self._pool, self._conn, self._facts = pool, conn, {}
        return self._conn

    def fetch(self, sql: str, params: tuple[Any, ...]) -> list[Any]:
        try:
            return self.connection().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _wrapped(sql, params, exc) from exc

    def write(
        self, sql: str, params: tuple[Any, ...], table: str, keeps: Sequence[str] = ()
    ) -> int:
        """Run one statement on `table` and commit; return its rowcount. Facts stay known across it
        if it changed only its own rows (no other writer, no trigger) and cannot falsify them:
        facts about other tables, and those of its own named in `keeps`."""
        conn = self.connection()
        before = conn.total_changes
        try:
            rowcount = conn.execute(sql, params).rowcount
            conn.commit()
        except sqlite3.Error as exc:
            conn.rollback()
            raise _wrapped(sql, params, exc) from exc
        after = conn.total_changes
        if after == before + rowcount:
            for (on, name), fact in list(self._facts.items()):
                if fact[0] == before and (on != table or name in keeps):
                    self._facts[on, name] = (after, fact[1], fact[2])
        return rowcount

    def lacks(self, table: str, name: str, probe: str, now: str) -> bool:
        """True if `probe` (a SELECT of `table`'s rows live after `now`, its one parameter) finds
        none. The absence is remembered until the database changes, for any `now` not earlier than
        the one it was found at."""
        conn = self.connection()
        changes = conn.total_changes
        fact = self._facts.get((table, name))
        checked = time.monotonic()
        if (
            fact is not None
            and fact[0] == changes
            and fact[1] <= now
            and checked - fact[2] < FACT_SECONDS
        ):
            return True
        if self.fetch(probe, (now,)):
            self._facts.pop((table, name), None)
            return False
        self._facts[table, name] = (changes, now, checked)
        return True


def _wrapped(sql: str, params: tuple[Any, ...], exc: sqlite3.Error) -> StatementError:
    """The exception SQLAlchemy raises for this driver error (IntegrityError, OperationalError...)."""
    return DBAPIError.instance(sql, params, exc, sqlite3.Error)
