"""Proposals: ASK verdicts waiting for a human (see guardian.storage.tables.proposals).

Revision ID: 0002_proposals
Revises: 0001_ledger
Create Date: 2026-11-21

Timestamps are the ledger's ISO 8601 UTC strings (fixed width, so they compare as text on every
dialect). `status` changes only by compare-and-set; the (intent_hash, status) index serves the
lookup of an approval for exactly one intent.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002_proposals"
down_revision: str | None = "0001_ledger"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "proposals",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("decision_id", sa.String(64), nullable=False),
        sa.Column("intent_hash", sa.String(80), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("intent_json", sa.Text, nullable=False),
        sa.Column("rule_id", sa.Text),
        sa.Column("reasons_json", sa.Text, nullable=False),
        sa.Column("never_auto_approve", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_at", sa.String(32)),
        sa.Column("decision_reason", sa.Text),
        sa.Column("used_by", sa.String(64)),
    )
    op.create_index("ix_proposals_status", "proposals", ["status"])
    op.create_index("ix_proposals_intent_hash_status", "proposals", ["intent_hash", "status"])


def downgrade() -> None:
    op.drop_table("proposals")
