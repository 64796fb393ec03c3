"""The relational tables beside the ledger. Alembic migrations create the same tables on disk."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Index, MetaData, String, Table, Text

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
