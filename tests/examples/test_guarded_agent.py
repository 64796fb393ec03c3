"""The guarded agent loop against a real PostgreSQL, with both layers of defence shown.

The analyzer stops a DELETE before it reaches the database; and if the analyzer is bypassed, the
read-only role the agent's connection uses refuses it anyway (least privilege, seed 002).
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import psycopg
import pytest

from guardian import Guardian

EXAMPLE = Path(__file__).parents[2] / "examples" / "guarded_agent"


def load_example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("guarded_agent", EXAMPLE / "agent.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["guarded_agent"] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def agent_dsn(postgres_db: str) -> str:
    """The example's database, created by its own init SQL, and the read-only role's DSN."""
    with psycopg.connect(postgres_db, autocommit=True) as conn:
        conn.execute((EXAMPLE / "init.sql").read_text())
    rest = postgres_db.split("://", 1)[1]
    return "postgresql://agent_ro@" + rest.split("@", 1)[1]


def test_the_guarded_loop(agent_dsn: str, tmp_path: Path) -> None:
    example = load_example()
    docs = EXAMPLE / "docs"
    agent = example.SupportAgent(
        Guardian(example.load_policy(docs)), agent_dsn, tmp_path / "outbox", docs
    )
    steps = {
        f"{tool}:{json.dumps(args)}": agent.step(tool, **args) for tool, args in example.SCRIPT
    }
    outcomes = [(s["tool"], s["outcome"], s.get("reasons", [])) for s in steps.values()]
    assert outcomes == [
        ("read_file", "ALLOW", []),
        ("read_file", "DENY", ["rule_allow", "path_outside_roots"]),
        ("run_sql", "ALLOW", []),
        ("run_sql", "ASK", ["rule_allow", "sql_sensitive_column"]),
        ("run_sql", "DENY", ["rule_allow", "sql_write"]),
        ("run_sql", "DENY", ["rule_allow", "sql_sensitive_table", "sql_unbounded"]),
        ("send_email", "ALLOW", []),
        ("send_email", "ASK", ["rule_allow", "external_recipient"]),
        ("send_email", "DENY", ["rule_allow", "secret"]),
    ]
    rows = next(
        s["result"] for s in steps.values() if s["tool"] == "run_sql" and s["outcome"] == "ALLOW"
    )
    assert sorted(r[0] for r in rows) == ["Ada", "Linus"]
    assert len(list((tmp_path / "outbox").iterdir())) == 1  # only the allowed mail was written
    assert agent.guardian.verify_receipts().ok and agent.guardian.verify_replay() == "PASS"


def test_the_read_only_role_refuses_writes_even_without_the_analyzer(
    agent_dsn: str, tmp_path: Path
) -> None:
    example = load_example()
    agent = example.SupportAgent(
        Guardian(example.load_policy(EXAMPLE / "docs")), agent_dsn, tmp_path, EXAMPLE / "docs"
    )
    refused = (psycopg.errors.InsufficientPrivilege, psycopg.errors.ReadOnlySqlTransaction)
    with pytest.raises(refused):
        agent.run_sql_unguarded("DELETE FROM orders WHERE status = 'open'")
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        agent.run_sql_unguarded("SELECT api_key FROM api_keys")
    assert agent.run_sql_unguarded("SELECT count(*) FROM orders") == [[3]]
