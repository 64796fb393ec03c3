"""The relational tables beside the ledger. Alembic migrations create the same tables on disk."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, Integer, MetaData, String, Table, Text, text

metadata = MetaData()

#: One row per ASK: bound to the intent's hash; decided once (compare-and-set on `status`).
proposals = Table(
    "proposals",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("decision_id", String(64), nullable=False),
    Column("intent_hash", String(80), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("intent_json", Text, nullable=False),
    Column("rule_id", Text),
    Column("reasons_json", Text, nullable=False),
    Column("never_auto_approve", Boolean, nullable=False, default=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("decided_by", Text),
    Column("decided_at", String(32)),
    Column("decision_reason", Text),
    Column("used_by", String(64)),
    Index("ix_proposals_status", "status"),
    Index("ix_proposals_intent_hash_status", "intent_hash", "status"),
)

#: API tokens: only the SHA-256 of each secret is kept; a name is unique among unrevoked tokens.
tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("agent_id", Text),
    Column("authority", Integer, nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("hint", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32)),
    Column("revoked_at", String(32)),
    Index(
        "ux_tokens_active_name",
        "name",
        unique=True,
        sqlite_where=text("revoked_at IS NULL"),
        postgresql_where=text("revoked_at IS NULL"),
    ),
)

#: Standing approvals: actor + action + target pattern, until `expires_at` or revocation.
grants = Table(
    "grants",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("proposal_id", String(64)),
    Column("actor", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("target", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("revoked_at", String(32)),
    Column("revoked_by", Text),
    Column("uses", Integer, nullable=False, default=0),
    Column("last_used_at", String(32)),
    Index("ix_grants_actor_action", "actor", "action"),
)

#: Dashboard sign-ins: the cookie holds a random id, the row its hash, the token and a CSRF secret.
web_sessions = Table(
    "web_sessions",
    metadata,
    Column("id_hash", String(64), primary_key=True),
    Column("token_id", String(32), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Index("ix_web_sessions_token", "token_id"),
)
