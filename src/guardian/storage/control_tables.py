"""Tables of the control plane: pauses, budgets and their reservations, one-shot credentials, runs.

Money and token amounts are stored as integers in millionths (`micros`), so that a charge is one
atomic `UPDATE ... SET spent = spent + :amount WHERE spent + :amount <= cap` on every dialect.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, String, Table, Text, UniqueConstraint

from guardian.storage.tables import metadata

#: An active pause: of one agent, one session, or everything (scope "all", key "*").
pauses = Table(
    "pauses",
    metadata,
    Column("scope", String(16), primary_key=True),
    Column("key", Text, primary_key=True),
    Column("paused_by", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("at", String(32), nullable=False),
)

#: A cap on an agent's or a session's spend in one unit (tokens, money in a currency, calls).
budgets = Table(
    "budgets",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("scope", String(16), nullable=False),
    Column("key", Text, nullable=False),
    Column("unit", String(16), nullable=False),
    Column("currency", String(8), nullable=False, default=""),
    Column("cap", BigInteger, nullable=False),
    Column("spent", BigInteger, nullable=False, default=0),
    Column("window_seconds", Integer),
    Column("window_started_at", String(32), nullable=False),
    UniqueConstraint("scope", "key", "unit", "currency", name="ux_budgets_scope_key_unit"),
)

#: An estimate held against a budget at decision time, settled (or released) at the receipt.
reservations = Table(
    "reservations",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("budget_id", String(64), nullable=False),
    Column("decision_id", String(64), nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("created_at", String(32), nullable=False),
    Index("ix_reservations_decision", "decision_id"),
)

#: Secrets, encrypted at rest (Fernet); the value never enters the ledger.
stored_secrets = Table(
    "secrets",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("ciphertext", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
)

#: A one-shot token for one secret and one allowed decision; redeemed at most once (compare-and-set).
credential_tokens = Table(
    "credential_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("secret_name", String(200), nullable=False),
    Column("decision_id", String(64), nullable=False),
    Column("agent_id", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("expires_at", String(32), nullable=False),
    Column("redeemed_at", String(32)),
    Column("redeemed_by", Text),
)

#: Processes the runner launched: what the watchdog may stop, and their heartbeats.
runs = Table(
    "runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("agent_id", Text, nullable=False),
    Column("task_id", Text),
    Column("pid", Integer),
    Column("status", String(16), nullable=False),
    Column("started_at", String(32), nullable=False),
    Column("heartbeat_at", String(32), nullable=False),
    Column("last_decision_at", String(32)),
    Column("ended_at", String(32)),
    Column("exit_code", Integer),
    Column("timeout_seconds", Integer),
    Column("stop_reason", Text),
    Index("ix_runs_status", "status"),
)

#: Liveness of long-running services (the watchdog): name, pid, last beat.
heartbeats = Table(
    "heartbeats",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("pid", Integer, nullable=False),
    Column("at", String(32), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)
