"""One SQLAlchemy engine per database URL, configured for how Guardian uses each dialect.

SQLite files get WAL and a busy timeout so several processes can share one file; `memory://` is a
private in-memory SQLite database shared by the threads of one process.
"""

from __future__ import annotations

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
