"""Runs inside governed-agents' own venv: one watchdog pass over N agents and M proposals.

Usage: python ga_watchdog.py DB_PATH AGENTS PROPOSALS PASSES -> prints JSON {"pass_ms": [...]}.
The database is filled with raw inserts (the package's own ORM would take far longer) into the
schema its `init_db()` creates.
"""

import json
import os
import sqlite3
import sys
import time
from datetime import UTC, datetime, timedelta

db_path, agents, proposals, passes = (
    sys.argv[1],
    int(sys.argv[2]),
    int(sys.argv[3]),
    int(sys.argv[4]),
)
os.environ["ORCHESTRATOR_DB_URL"] = f"sqlite:///{db_path}"
os.environ["AUDIT_JSONL_PATH"] = db_path + ".audit.jsonl"

from infra import db  # noqa: E402
from infra.watchdog import run_one_pass  # noqa: E402
from sqlmodel import Session  # noqa: E402

fresh = not os.path.exists(db_path)
db.init_db()
if fresh:
    now = datetime.now(UTC).replace(tzinfo=None)
    conn = sqlite3.connect(db_path)
    conn.executemany(
        "INSERT INTO agents (agent_id, status, tokens_cap, dollars_cap, created_at) VALUES (?, 'ok', 200000, 50.0, ?)",
        [(f"agent-{i}", now) for i in range(agents)],
    )
    rows = []
    for n in range(proposals):
        rows.append(
            (
                f"p-{n}",
                f"agent-{n % agents}",
                1,
                now - timedelta(seconds=proposals - n),
                "publish",
                "{}",
                f"hash-{n}",
                "x",
                now + timedelta(days=1),
                "rejected",
            )
        )
        if len(rows) == 50_000:
            conn.executemany(
                "INSERT INTO proposals (proposal_id, agent_id, wave, submitted_at, action_type, payload, payload_hash,"
                " expected_outcome, expected_cost_tokens, expected_cost_dollars, reversible, requires_approval,"
                " expires_at, rationale, links, status, decision_final) VALUES (?,?,?,?,?,?,?,?,0,0.0,1,1,?,'','[]',?,0)",
                rows,
            )
            rows.clear()
    conn.commit()
    conn.close()
timings = []
for _ in range(passes):
    started = time.perf_counter()
    with Session(db.engine) as session:
        run_one_pass(session)
    timings.append((time.perf_counter() - started) * 1000)
print(json.dumps({"pass_ms": timings}))
