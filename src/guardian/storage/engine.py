"""One SQLAlchemy engine per database URL, configured for how Guardian uses each dialect.

SQLite files get WAL and a busy timeout so several processes can share one file; `memory://` is a
private in-memory SQLite database shared by the threads of one process.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import Engine, MetaData, create_engine, event
from sqlalchemy.pool import StaticPool

MEMORY_URL = "memory://"


def sqlalchemy_url(url: str) -> str:
    """Guardian's URL forms (memory://, sqlite:///x.db, postgresql://...) as SQLAlchemy URLs."""
    if url == MEMORY_URL:
        return "sqlite+pysqlite:///:memory:"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def open_engine(url: str) -> Engine:
    target = sqlalchemy_url(url)
    if target.startswith("sqlite"):
        kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
        if ":memory:" in target:
            kwargs["poolclass"] = StaticPool
        engine = create_engine(target, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(target, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def ensure_tables(engine: Engine, metadata: MetaData) -> None:
    """Create missing tables (in-memory databases; files and servers are migrated by Alembic)."""
    metadata.create_all(engine, checkfirst=True)


_locks: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
_locks_guard = threading.Lock()


def is_memory(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def engine_lock(engine: Engine) -> contextlib.AbstractContextManager[Any]:
    """One re-entrant lock per SQLite engine, shared by every store that uses it; a no-op elsewhere.

    An in-memory SQLite database is one connection shared by every thread, so no two stores may
    interleave transactions on it: they must all take the same lock, not one each.
    """
    with _locks_guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = (
                threading.RLock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
            )
            _locks[engine] = lock
        return lock


def memory_lock(engine: Engine) -> contextlib.AbstractContextManager[Any]:
    """`engine_lock` for an in-memory database (where it is required), a no-op otherwise."""
    return engine_lock(engine) if is_memory(engine) else contextlib.nullcontext()
