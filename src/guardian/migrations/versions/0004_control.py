"""The control plane: pauses, budgets and reservations, encrypted secrets and one-shot credential
tokens, runs launched by the runner, service heartbeats (see guardian.storage.control_tables).

Revision ID: 0004_control
Revises: 0003_server
Create Date: 2026-11-21

Amounts are BIGINT millionths so a charge is one conditional UPDATE on every dialect.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004_control"
down_revision: str | None = "0003_server"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "pauses",
        sa.Column("scope", sa.String(16), primary_key=True),
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("paused_by", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
    )
    op.create_table(
        "budgets",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("currency", sa.String(8), nullable=False),
        sa.Column("cap", sa.BigInteger, nullable=False),
        sa.Column("spent", sa.BigInteger, nullable=False),
        sa.Column("window_seconds", sa.Integer),
        sa.Column("window_started_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("scope", "key", "unit", "currency", name="ux_budgets_scope_key_unit"),
    )
    op.create_table(
        "reservations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("budget_id", sa.String(64), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_reservations_decision", "reservations", ["decision_id"])
    op.create_table(
        "secrets",
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("ciphertext", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "credential_tokens",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("secret_name", sa.String(200), nullable=False),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("redeemed_at", sa.String(32)),
        sa.Column("redeemed_by", sa.Text),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.Text, nullable=False),
        sa.Column("task_id", sa.Text),
        sa.Column("pid", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.String(32), nullable=False),
        sa.Column("heartbeat_at", sa.String(32), nullable=False),
        sa.Column("last_decision_at", sa.String(32)),
        sa.Column("ended_at", sa.String(32)),
        sa.Column("exit_code", sa.Integer),
        sa.Column("timeout_seconds", sa.Integer),
        sa.Column("stop_reason", sa.Text),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "heartbeats",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "heartbeats",
        "runs",
        "credential_tokens",
        "secrets",
        "reservations",
        "budgets",
        "pauses",
    ):
        op.drop_table(table)
