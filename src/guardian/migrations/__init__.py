"""Alembic migrations for Guardian's tables, runnable from an installed package.

`guardian db upgrade` and every store open call `upgrade`; the script location is this package's
directory, set programmatically, so no alembic.ini is needed. Importing alembic costs about a second,
so stores first compare the database's `alembic_version` with `head_revisions()` (read from the
version files' `revision =` lines) and only then import alembic.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

SCRIPT_LOCATION = Path(__file__).parent
VERSIONS = SCRIPT_LOCATION / "versions"
_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]+)?=\s*(.+?)\s*$", re.M)
#: Serialises migrations of one PostgreSQL database across processes and hosts.
PG_MIGRATION_LOCK = 0x6775_6172_6469_616E  # "guardian"


@functools.cache
def head_revisions() -> frozenset[str]:
    """The revisions nothing builds on: what a database at the newest schema has in alembic_version."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        if path.name.startswith("_"):
            continue
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            found = set(re.findall(r"['\"]([^'\"]+)['\"]", value))
            (revisions if name == "revision" else parents).update(found)
    return frozenset(revisions - parents)


def sqlalchemy_url(url: str) -> str:
    """postgresql:// and postgres:// mean psycopg 3 (SQLAlchemy would pick psycopg2 otherwise)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def upgrade(url: str, revision: str = "head") -> None:
    """Run every migration up to `revision` on the database at `url`, one process at a time."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import create_engine, event, text

    sa_url = sqlalchemy_url(url)
    is_sqlite = sa_url.startswith("sqlite")
    # SQLite: driver autocommit, and BEGIN IMMEDIATE ourselves, so the whole upgrade is one
    # transaction holding the write lock (SQLite has transactional DDL): a second process waits,
    # then finds the schema current. (SQLAlchemy's documented recipe for pysqlite.)
    connect_args: dict[str, Any] = {"timeout": 60, "isolation_level": None} if is_sqlite else {}
    engine = create_engine(sa_url, connect_args=connect_args, poolclass=_null_pool())
    if is_sqlite:
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": PG_MIGRATION_LOCK})
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    finally:
        engine.dispose()


def _null_pool() -> Any:
    from sqlalchemy.pool import NullPool

    return NullPool
