"""Tables of the intervention layer: the agent/task registry, guardian actions (seed 003's audit
table), the event outbox and its relay cursors, intervention-policy firings and escalations.

Timestamps are the ledger's fixed-width ISO 8601 UTC strings (compared as text), as in every other
table. `guardian_actions` rows are written once; only `reverted_at` and `revert_log` are set later.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects import postgresql

from guardian.storage.tables import metadata

#: JSONB on PostgreSQL (seed 003's `audit_log JSONB`), JSON text elsewhere.
JsonColumn = JSON().with_variant(postgresql.JSONB(), "postgresql")
#: A 64-bit autoincrement key on PostgreSQL; SQLite autoincrements only INTEGER PRIMARY KEY.
BigId = BigInteger().with_variant(Integer(), "sqlite")

#: Agents that can take tasks: how much they may run at once and how healthy they are.
agents = Table(
    "agents",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("authority", Integer, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("health_status", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
)

#: Units of work. The queue hands out `queued` tasks by (priority_rank, queued_at); a claim is a
#: compare-and-set on `status`, so one claimer wins per task across processes.
tasks = Table(
    "tasks",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("name", Text, nullable=False),
    Column("priority", String(16), nullable=False),
    Column("priority_rank", Integer, nullable=False),
    Column("status", String(16), nullable=False),
    Column("agent_id", String(200)),
    Column("timeout_seconds", Integer),
    Column("run_id", String(64)),
    Column("created_at", String(32), nullable=False),
    Column("queued_at", String(32), nullable=False),
    Column("started_at", String(32)),
    Column("ended_at", String(32)),
    Column("updated_at", String(32), nullable=False),
    Index("ix_tasks_queue", "status", "priority_rank", "queued_at"),
    Index("ix_tasks_agent_status", "agent_id", "status"),
)

#: Seed 003's audit table: one row per intervention, with before/after state in `audit_log`.
guardian_actions = Table(
    "guardian_actions",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("action_type", String(32), nullable=False),
    Column("target_entity", String(200), nullable=False),
    Column("authority_level", Integer, nullable=False),
    Column("reason", Text, nullable=False),
    Column("initiated_by", String(200), nullable=False),
    Column("approved_by", String(200)),
    Column("executed_at", String(32), nullable=False),
    Column("reverted_at", String(32)),
    Column("audit_log", JsonColumn, nullable=False),
    Column("revert_log", JsonColumn),
    Column("created_at", String(32), nullable=False),
    Index("ix_guardian_actions_action_type", "action_type"),
    Index("ix_guardian_actions_target_entity", "target_entity"),
    Index("ix_guardian_actions_initiated_by", "initiated_by"),
    Index("ix_guardian_actions_entity_type", "target_entity", "action_type"),
    Index("ix_guardian_actions_created_at", "created_at"),
)

#: Events written in the same transaction as the state change they describe; a relay delivers
#: the unpublished ones (at least once) and stamps `published_at`.
event_outbox = Table(
    "event_outbox",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("event_type", String(200), nullable=False),
    Column("payload", Text, nullable=False),
    Column("producer", String(64), nullable=False),
    Column("producer_seq", BigInteger, nullable=False),
    Column("ts", String(32), nullable=False),
    Column("published_at", String(32)),
    Index(
        "ix_event_outbox_unpublished",
        "id",
        sqlite_where=text("published_at IS NULL"),
        postgresql_where=text("published_at IS NULL"),
    ),
    Index("ix_event_outbox_published_at", "published_at"),
)

#: One row per relay role: a lease (only the holder relays, so order is kept) and its cursor.
event_relays = Table(
    "event_relays",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("holder", String(64)),
    Column("expires_at", String(32)),
    Column("cursor", BigInteger, nullable=False),
    Column("updated_at", String(32), nullable=False),
)

#: Each action an intervention policy took or proposed; `dedupe_key` makes a firing happen once
#: even with several watchdogs evaluating the same store.
policy_firings = Table(
    "policy_firings",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("dedupe_key", String(500), nullable=False, unique=True),
    Column("policy", String(200), nullable=False),
    Column("trigger_type", String(32), nullable=False),
    Column("action_type", String(32), nullable=False),
    Column("target", String(200), nullable=False),
    Column("params", JsonColumn, nullable=False),
    Column("status", String(16), nullable=False),
    Column("proposal_id", String(64)),
    Column("action_id", String(64)),
    Column("rollback_at", String(32)),
    Column("detail", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("updated_at", String(32), nullable=False),
    Index("ix_policy_firings_status", "status"),
)

#: Alerts handed to the guardian path by `Watchdog.escalate_to_guardian`.
guardian_escalations = Table(
    "guardian_escalations",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("reason", Text, nullable=False),
    Column("agent_id", String(200)),
    Column("task_id", String(200)),
    Column("created_at", String(32), nullable=False),
    Column("handled_at", String(32)),
    Column("outcome", Text),
    Index("ix_guardian_escalations_open", "handled_at"),
)
