"""One lock per SQLite engine for the intervention layer's transactions.

An in-memory SQLite database is one connection shared by every thread, so two transactions on it
must not interleave; for SQLite files the lock only saves busy-waiting between this process's own
threads. PostgreSQL needs none: every change there is a compare-and-set or a unique insert.
"""

from __future__ import annotations

from sqlalchemy import Engine

from guardian.storage.engine import engine_lock, is_memory

__all__ = ["engine_lock", "ensure_memory_tables", "is_memory"]


def ensure_memory_tables(engine: Engine) -> None:
    """Create this layer's tables in an in-memory database (files and servers are migrated)."""
    if is_memory(engine):
        from guardian.storage import intervention_tables  # noqa: F401 - registers the tables
        from guardian.storage.tables import metadata

        with engine_lock(engine):
            metadata.create_all(engine, checkfirst=True)
