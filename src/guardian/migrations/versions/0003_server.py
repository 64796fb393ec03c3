"""The HTTP server's state: API tokens, standing grants, dashboard sessions.

Revision ID: 0003_server
Revises: 0002_proposals
Create Date: 2026-11-21

Tokens keep only the SHA-256 of their secret (they are 256-bit random, so no slow hash is needed);
a name is unique among unrevoked tokens (a partial unique index), so a revoked name can be reused.
Grant and session timestamps are the ledger's fixed-width ISO 8601 UTC strings, compared as text.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003_server"
down_revision: str | None = "0002_proposals"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "tokens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.Text),
        sa.Column("authority", sa.Integer, nullable=False),
        sa.Column("secret_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hint", sa.String(16), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32)),
        sa.Column("revoked_at", sa.String(32)),
    )
    op.create_index(
        "ux_tokens_active_name",
        "tokens",
        ["name"],
        unique=True,
        sqlite_where=sa.text("revoked_at IS NULL"),
        postgresql_where=sa.text("revoked_at IS NULL"),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("proposal_id", sa.String(64)),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("revoked_at", sa.String(32)),
        sa.Column("revoked_by", sa.Text),
        sa.Column("uses", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_used_at", sa.String(32)),
    )
    op.create_index("ix_grants_actor_action", "grants", ["actor", "action"])
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(32), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_web_sessions_token", "web_sessions", ["token_id"])


def downgrade() -> None:
    op.drop_table("web_sessions")
    op.drop_index("ix_grants_actor_action", table_name="grants")
    op.drop_table("grants")
    op.drop_index("ux_tokens_active_name", table_name="tokens")
    op.drop_table("tokens")
