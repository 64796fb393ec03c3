"""The PostgreSQL store: any number of processes and hosts append to one chain.

Appends are serialised by `pg_advisory_xact_lock` taken first in every write transaction; the head is
read after it, so no two writers seal against the same head, and the `seq` primary key would refuse
a fork even if the lock were bypassed. Connections come from SQLAlchemy (psycopg 3).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from sqlalchemy import TextClause, create_engine, text
from sqlalchemy.engine import Connection, Engine, RootTransaction
from sqlalchemy.engine.url import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from guardian import migrations
from guardian.ledger.errors import LedgerError, SchemaError
from guardian.ledger.sql import Row

#: The advisory lock every appender takes ("ledger" in ASCII).
APPEND_LOCK = 0x6C65_6467_6572
_TEXT: dict[str, TextClause] = {}


def _text(sql: str) -> TextClause:
    clause = _TEXT.get(sql)
    if clause is None:
        clause = _TEXT[sql] = text(sql)
    return clause


def ensure_schema(url: str) -> None:
    """Create or upgrade the tables (Alembic) unless the database is already at the newest revision."""
    engine = create_engine(migrations.sqlalchemy_url(url))
    try:
        with engine.connect() as conn:
            found = frozenset(
                r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version"))
            )
    except SQLAlchemyError:
        found = frozenset()
    finally:
        engine.dispose()
    if found == migrations.head_revisions():
        return
    try:
        migrations.upgrade(url)
    except Exception as exc:
        raise SchemaError(f"cannot create or upgrade the schema of {_safe(url)}: {exc}") from exc


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(migrations.sqlalchemy_url(url)).render_as_string(hide_password=True)
    except Exception:
        return "<PostgreSQL URL>"


class PostgresWriter:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._conn: Connection | None = None
        self._tx: RootTransaction | None = None

    def _connection(self) -> Connection:
        if self._conn is None or self._conn.invalidated or self._conn.closed:
            self._conn = self._engine.connect()
        return self._conn

    def begin(self) -> None:
        conn = self._connection()
        self._tx = conn.begin()
        conn.execute(_text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK})

    def commit(self) -> None:
        if self._tx is not None:
            self._tx.commit()
            self._tx = None

    def rollback(self) -> None:
        tx, self._tx = self._tx, None
        if tx is None:
            return
        try:
            tx.rollback()
        except DBAPIError:  # the connection broke: drop it, the next batch reconnects
            if self._conn is not None:
                self._conn.invalidate()

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        conn = self._connection()
        if self._tx is not None:
            return [tuple(r) for r in conn.execute(_text(sql), dict(params))]
        with conn.begin():  # a read outside the write transaction (startup, mirror repair)
            return [tuple(r) for r in conn.execute(_text(sql), dict(params))]

    def commit_deferred(self) -> None:
        """PostgreSQL's commit is durable when it returns (synchronous_commit)."""
        self.commit()

    def execute_many(self, sql: str, rows: Sequence[Mapping[str, Any]]) -> None:
        if self._tx is None:
            raise LedgerError("execute_many outside a write transaction")
        self._connection().execute(_text(sql), [dict(r) for r in rows])

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class PostgresDatabase:
    def __init__(self, url: str) -> None:
        self.description = f"PostgreSQL ledger {_safe(url)}"
        self._engine = create_engine(migrations.sqlalchemy_url(url), pool_pre_ping=True)
        try:
            self.query("SELECT 1 FROM ledger_entries LIMIT 1", {})
        except SQLAlchemyError as exc:
            self._engine.dispose()
            raise SchemaError(
                f"{self.description}: no ledger tables ({type(exc).__name__})"
            ) from None

    def writer(self) -> PostgresWriter:
        return PostgresWriter(self._engine)

    def query(self, sql: str, params: Mapping[str, Any]) -> list[Row]:
        with self._engine.connect() as conn:
            return [tuple(r) for r in conn.execute(_text(sql), dict(params))]

    def stream(self, sql: str, params: Mapping[str, Any]) -> Iterator[Row]:
        with self._engine.connect() as conn:
            result = conn.execution_options(yield_per=1000).execute(_text(sql), dict(params))
            for row in result:
                yield tuple(row)

    def close(self) -> None:
        self._engine.dispose()
