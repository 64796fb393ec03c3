"""The ledger: hash-chained entries and signed checkpoints.

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-21

`seq` is SQLite's rowid (INTEGER PRIMARY KEY) and a BIGINT key on PostgreSQL. `payload` is the
canonical JSON text the entry hash covers (not JSONB, which would reorder keys and renormalise
numbers). `ref` copies the payload's `decision_id` for lookups; it is not hashed. A checkpoint row
also stores the Merkle frontier at its size so a writer resumes without re-reading the ledger.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001_ledger"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

_SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", _SEQ, primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("ref", sa.String(200), nullable=True),
    )
    op.create_index(
        "ix_ledger_entries_ref",
        "ledger_entries",
        ["ref"],
        sqlite_where=sa.text("ref IS NOT NULL"),
        postgresql_where=sa.text("ref IS NOT NULL"),
    )
    op.create_table(
        "ledger_checkpoints",
        sa.Column("tree_size", _SEQ, primary_key=True, autoincrement=False),
        sa.Column("root_hash", sa.String(64), nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("key_id", sa.String(64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=False),
        sa.Column("frontier", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ledger_checkpoints")
    op.drop_index("ix_ledger_entries_ref", table_name="ledger_entries")
    op.drop_table("ledger_entries")
