"""Interventions: the agent/task registry, guardian_actions (seed 003's audit table and indexes),
the event outbox and relay leases, intervention-policy firings and escalations
(see guardian.storage.intervention_tables).

Revision ID: 0005_interventions
Revises: 0004_control
Create Date: 2026-11-22

`audit_log` is JSONB on PostgreSQL and JSON text on SQLite; timestamps are fixed-width ISO strings.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_interventions"
down_revision: str | None = "0004_control"
branch_labels: str | None = None
depends_on: str | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "agents",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("authority", sa.Integer, nullable=False),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("health_status", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("priority_rank", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(200)),
        sa.Column("timeout_seconds", sa.Integer),
        sa.Column("run_id", sa.String(64)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("queued_at", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(32)),
        sa.Column("ended_at", sa.String(32)),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_tasks_queue", "tasks", ["status", "priority_rank", "queued_at"])
    op.create_index("ix_tasks_agent_status", "tasks", ["agent_id", "status"])
    op.create_table(
        "guardian_actions",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("action_type", sa.String(32), nullable=False),
        sa.Column("target_entity", sa.String(200), nullable=False),
        sa.Column("authority_level", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("initiated_by", sa.String(200), nullable=False),
        sa.Column("approved_by", sa.String(200)),
        sa.Column("executed_at", sa.String(32), nullable=False),
        sa.Column("reverted_at", sa.String(32)),
        sa.Column("audit_log", JSON, nullable=False),
        sa.Column("revert_log", JSON),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_guardian_actions_action_type", "guardian_actions", ["action_type"])
    op.create_index("ix_guardian_actions_target_entity", "guardian_actions", ["target_entity"])
    op.create_index("ix_guardian_actions_initiated_by", "guardian_actions", ["initiated_by"])
    op.create_index(
        "ix_guardian_actions_entity_type", "guardian_actions", ["target_entity", "action_type"]
    )
    op.create_index("ix_guardian_actions_created_at", "guardian_actions", ["created_at"])
    op.create_table(
        "event_outbox",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("event_type", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("producer", sa.String(64), nullable=False),
        sa.Column("producer_seq", sa.BigInteger, nullable=False),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("published_at", sa.String(32)),
    )
    op.create_index(
        "ix_event_outbox_unpublished", "event_outbox", ["id"],
        sqlite_where=sa.text("published_at IS NULL"),
        postgresql_where=sa.text("published_at IS NULL"),
    )  # fmt: skip
    op.create_index("ix_event_outbox_published_at", "event_outbox", ["published_at"])
    op.create_table(
        "event_relays",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("holder", sa.String(64)),
        sa.Column("expires_at", sa.String(32)),
        sa.Column("cursor", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "policy_firings",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("dedupe_key", sa.String(500), nullable=False, unique=True),
        sa.Column("policy", sa.String(200), nullable=False),
        sa.Column("trigger_type", sa.String(32), nullable=False),
        sa.Column("action_type", sa.String(32), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("params", JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("proposal_id", sa.String(64)),
        sa.Column("action_id", sa.String(64)),
        sa.Column("rollback_at", sa.String(32)),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_policy_firings_status", "policy_firings", ["status"])
    op.create_table(
        "guardian_escalations",
        sa.Column("id", sa.String(200), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("agent_id", sa.String(200)),
        sa.Column("task_id", sa.String(200)),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("handled_at", sa.String(32)),
        sa.Column("outcome", sa.Text),
    )
    op.create_index("ix_guardian_escalations_open", "guardian_escalations", ["handled_at"])


def downgrade() -> None:
    for table in ("guardian_escalations", "policy_firings", "event_relays", "event_outbox",
                  "guardian_actions", "tasks", "agents"):  # fmt: skip
        op.drop_table(table)
