"""One lock per SQLite engine for the intervention layer's transactions.

An in-memory SQLite database is one connection shared by every thread, so two transactions on it
must not interleave; for SQLite files the lock only saves busy-waiting between this process's own
threads. PostgreSQL needs none: every change there is a compare-and-set or a unique insert.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from typing import Any

from sqlalchemy import Engine

_locks: weakref.WeakKeyDictionary[Engine, Any] = weakref.WeakKeyDictionary()
_guard = threading.Lock()


def engine_lock(engine: Engine) -> Any:
    """A re-entrant lock shared by every user of this SQLite engine; a no-op elsewhere."""
    with _guard:
        lock = _locks.get(engine)
        if lock is None:
            lock = (
                threading.RLock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
            )
            _locks[engine] = lock
        return lock


def is_memory(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite" and engine.url.database in (None, "", ":memory:")


def ensure_memory_tables(engine: Engine) -> None:
    """Create this layer's tables in an in-memory database (files and servers are migrated)."""
    if is_memory(engine):
        from guardian.storage import intervention_tables  # noqa: F401 - registers the tables
        from guardian.storage.tables import metadata

        with engine_lock(engine):
            metadata.create_all(engine, checkfirst=True)
