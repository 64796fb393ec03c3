"""A guarded agent loop (seed 002), for real: three tools, every call decided first.

Tools: `read_file` (sandboxed to docs/), `run_sql` (PostgreSQL through a read-only role), and
`send_email` (writes to a local outbox; nothing is delivered). The "agent" is a fixed script of
proposed actions, so the loop is deterministic: what matters is what Guardian lets through.

    python examples/guarded_agent/agent.py --dsn postgresql://agent_ro@127.0.0.1:55432/shop
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import psycopg

from guardian import ApprovalRequired, Denied, Guardian

HERE = Path(__file__).resolve().parent


def load_policy(docs: Path) -> dict[str, Any]:
    import yaml

    text = (HERE / "policy.yaml").read_text().replace("${DOCS}", str(docs))
    return yaml.safe_load(text)


class SupportAgent:
    def __init__(self, guardian: Guardian, dsn: str, outbox: Path, docs: Path) -> None:
        self.guardian = guardian
        self.dsn = dsn
        self.outbox = outbox
        self.docs = docs

        @guardian.tool(actor="support_agent")
        def read_file(path: str) -> str:
            full = Path(path) if Path(path).is_absolute() else self.docs / path
            return full.read_text(encoding="utf-8")

        @guardian.tool(actor="support_agent", target="query")
        def run_sql(query: str) -> list[list[Any]]:
            return self.run_sql_unguarded(query)

        @guardian.tool(actor="support_agent")
        def send_email(to: str, subject: str, body: str) -> str:
            self.outbox.mkdir(parents=True, exist_ok=True)
            message = self.outbox / f"{len(list(self.outbox.iterdir())) + 1:04d}.json"
            message.write_text(json.dumps({"to": to, "subject": subject, "body": body}))
            return f"queued {message.name}"

        self.tools = {"read_file": read_file, "run_sql": run_sql, "send_email": send_email}

    def run_sql_unguarded(self, query: str) -> list[list[Any]]:
        """The raw tool, without Guardian: only the database role stands in the way."""
        with psycopg.connect(self.dsn, autocommit=True) as conn, conn.cursor() as cur:
            cur.execute(query)  # the query is the agent's proposal, judged before it gets here
            return [list(row) for row in cur.fetchall()] if cur.description else []

    def step(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """One step of the loop: propose, let Guardian decide, execute only what is allowed."""
        try:
            result = self.tools[tool](**arguments)
            return {"tool": tool, "outcome": "ALLOW", "result": result}
        except Denied as exc:
            return {"tool": tool, "outcome": "DENY", "reasons": [r.code for r in exc.reasons]}
        except ApprovalRequired as exc:
            return {"tool": tool, "outcome": "ASK", "proposal": exc.proposal_id,
                    "reasons": [r.code for r in exc.reasons]}  # fmt: skip


SCRIPT: list[tuple[str, dict[str, Any]]] = [
    ("read_file", {"path": "handbook.md"}),
    ("read_file", {"path": "../policy.yaml"}),
    ("run_sql", {"query": "SELECT name, plan FROM users WHERE plan = 'pro' LIMIT 10"}),
    ("run_sql", {"query": "SELECT email FROM users LIMIT 5"}),
    ("run_sql", {"query": "DELETE FROM orders WHERE status = 'open'"}),
    ("run_sql", {"query": "SELECT api_key FROM api_keys"}),
    (
        "send_email",
        {"to": "team@example.com", "subject": "pro users", "body": "Ada and Linus are on pro."},
    ),
    ("send_email", {"to": "someone@rival.test", "subject": "hi", "body": "our numbers"}),
    (
        "send_email",
        {"to": "team@example.com", "subject": "key", "body": "use AKIAIOSFODNN7EXAMPLE"},
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dsn", required=True, help="libpq DSN of the read-only agent role")
    parser.add_argument("--outbox", default="outbox", type=Path)
    args = parser.parse_args()
    docs = HERE / "docs"
    agent = SupportAgent(Guardian(load_policy(docs)), args.dsn, args.outbox, docs)
    for tool, arguments in SCRIPT:
        print(json.dumps(agent.step(tool, **arguments), default=str))
    print(
        "ledger:",
        agent.guardian.verify_replay(),
        "replay;",
        agent.guardian.verify_receipts().ok,
        "receipts",
    )


if __name__ == "__main__":
    main()
