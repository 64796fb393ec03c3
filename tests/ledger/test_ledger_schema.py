"""Migrations, URL handling in open_ledger, and the verifier's independence from writer code."""

from __future__ import annotations

import ast
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from guardian import migrations
from guardian.ledger.durable import DurableLedger
from guardian.ledger.errors import LedgerError, SchemaError
from guardian.ledger.memory import MemoryLedger
from guardian.ledger.open import open_ledger, resolve_url, sqlite_path

LEDGER = Path(migrations.__file__).parents[1] / "ledger"


def test_head_revisions_agree_with_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations.SCRIPT_LOCATION))
    assert migrations.head_revisions() == frozenset(ScriptDirectory.from_config(cfg).get_heads())


def test_sqlite_schema_and_durability_settings(tmp_path: Path) -> None:
    ledger: Any = open_ledger(f"sqlite:///{tmp_path / 'a.db'}", signing_key=False)
    ledger.append("decision", {})
    conn = sqlite3.connect(tmp_path / "a.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {
        r[0] for r in conn.execute("SELECT version_num FROM alembic_version")
    } == migrations.head_revisions()
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"ledger_entries", "ledger_checkpoints"} <= tables
    conn.close()
    # The writer commits with synchronous=NORMAL and fdatasyncs the WAL itself, after handing the
    # write lock on (sqlite.py); every other connection lets SQLite sync (FULL).
    writer = ledger._writer.conn
    assert writer._conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert ledger.db._reader.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    writer.begin()
    sync = writer.commit_deferred()
    assert os.fstat(writer._wal_fd).st_ino == os.stat(tmp_path / "a.db-wal").st_ino
    sync()
    ledger.close()


@pytest.mark.postgres
def test_postgres_schema(postgres_db: str) -> None:
    import psycopg

    migrations.upgrade(postgres_db)
    migrations.upgrade(postgres_db)  # idempotent
    with psycopg.connect(postgres_db) as conn:
        versions = {r[0] for r in conn.execute("SELECT version_num FROM alembic_version")}
        columns = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns "
                                    "WHERE table_name = 'ledger_entries'").fetchall())  # fmt: skip
    assert versions == migrations.head_revisions()
    assert columns["seq"] == "bigint" and columns["payload"] == "text"


def test_open_ledger_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUARDIAN_DATABASE_URL", raising=False)
    assert resolve_url(None) == "sqlite:///.guardian/guardian.db"
    assert isinstance(open_ledger("memory://"), MemoryLedger)
    assert sqlite_path("sqlite:////abs/x.db") == Path("/abs/x.db")
    assert sqlite_path("sqlite:///rel/x.db") == Path("rel/x.db")
    assert sqlite_path("plain/file.db") == Path("plain/file.db")
    assert sqlite_path("postgresql://h/db") is None
    with pytest.raises(LedgerError, match="memory://"):
        sqlite_path("sqlite:///:memory:")
    with pytest.raises(LedgerError, match="unsupported ledger URL mysql"):
        open_ledger("mysql://x")
    monkeypatch.setenv("GUARDIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    ledger = open_ledger()
    assert isinstance(ledger, DurableLedger) and (tmp_path / "env.db").exists()
    ledger.close()
    assert (tmp_path / "env.jsonl").exists()


def test_read_only_needs_an_existing_ledger(tmp_path: Path) -> None:
    with pytest.raises(LedgerError, match="no ledger database"):
        open_ledger(f"sqlite:///{tmp_path / 'none.db'}", read_only=True)
    sqlite3.connect(tmp_path / "empty.db").close()
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(SchemaError, match="holds no ledger"):
        open_ledger(f"sqlite:///{tmp_path / 'empty.db'}", read_only=True)
    writer: Any = open_ledger(f"sqlite:///{tmp_path / 'x.db'}", signing_key=False)
    writer.append("decision", {})
    reader: Any = open_ledger(f"sqlite:///{tmp_path / 'x.db'}", read_only=True)
    assert reader.count() == 1
    with pytest.raises(LedgerError, match="read-only"):
        reader.append("decision", {})
    reader.close()
    writer.close()


#: The verifier's whole import closure inside guardian: models and checks, no store or writer.
ALLOWED = {
    "guardian.core.canonical",
    "guardian.ledger.entry",
    "guardian.ledger.checkpoint",
    "guardian.ledger.merkle",
    "guardian.ledger.proofs",
    "guardian.ledger.chaincheck",
    "guardian.ledger.chainstate",
    "guardian.ledger.blockcheck",
    "guardian.ledger.reference",
    "guardian.ledger.parallel",
    "guardian.ledger.report",
    "guardian.ledger.verify_db",
    "guardian.ledger.verify",
}


def _guardian_imports(module: str) -> set[str]:
    path = LEDGER.parent / (module.removeprefix("guardian.").replace(".", "/") + ".py")
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("guardian"):
            found |= {f"{node.module}.{a.name}" if node.module == "guardian.ledger" else node.module
                      for a in node.names}  # fmt: skip
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("guardian")}
    return found


def test_the_verifier_imports_no_writer_code() -> None:
    seen, todo = set(), ["guardian.ledger.verify"]
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        todo.extend(_guardian_imports(module))
    assert seen <= ALLOWED, seen - ALLOWED


def test_the_verifier_runs_without_database_drivers(tmp_path: Path) -> None:
    """Block sqlalchemy, alembic and psycopg: a JSONL file still verifies."""
    ledger: Any = open_ledger(f"sqlite:///{tmp_path / 'x.db'}", checkpoint_every=2)
    for i in range(5):
        ledger.append("decision", {"i": i})
    ledger.close()
    code = (
        "import sys\n"
        "for name in ('sqlalchemy', 'alembic', 'psycopg'): sys.modules[name] = None\n"
        "import importlib.util, types\n"
        "pkg = types.ModuleType('guardian'); pkg.__path__ = [sys.argv[1]]; sys.modules['guardian'] = pkg\n"
        "from guardian.ledger.verify import verify_jsonl\n"
        "r = verify_jsonl(sys.argv[2]); print(r.ok, r.entries, r.checkpoints, r.signatures)\n"
        "assert 'guardian.ledger.sqlite' not in sys.modules and 'guardian.ledger.groupcommit' not in sys.modules\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(LEDGER.parent), str(tmp_path / "x.jsonl")],
                         capture_output=True, text=True, env={**os.environ}, check=False)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "5", "2", "verified"]
