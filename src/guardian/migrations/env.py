"""Alembic environment: runs on the connection `guardian.migrations.upgrade` hands over, or on
`sqlalchemy.url` when alembic is driven directly (e.g. `alembic -x` tooling)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=None,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    given = config.attributes.get("connection")
    if given is not None:
        _run(given)
    else:
        engine = create_engine(str(config.get_main_option("sqlalchemy.url")))
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
