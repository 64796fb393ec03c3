"""`guardian ledger ...` and `guardian db upgrade`, through typer's runner on the sub-apps."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import orjson
import pytest
from typer.testing import CliRunner

from guardian.cli.ledger_cmd import db_app, ledger_app
from guardian.ledger.open import open_ledger

from .ledgerkit import decision_payload

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project directory with the default ledger (.guardian/guardian.db) holding 25 entries."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUARDIAN_DATABASE_URL", raising=False)
    monkeypatch.delenv("GUARDIAN_SIGNING_KEY", raising=False)
    ledger = open_ledger(None, checkpoint_every=10)
    for i in range(25):
        ledger.append("decision", decision_payload(i))
    ledger.close()
    return tmp_path


def run(app: Any, *args: str) -> Any:
    return runner.invoke(app, list(args))


def test_default_layout(workdir: Path) -> None:
    names = sorted(p.name for p in (workdir / ".guardian").iterdir())
    assert {
        "guardian.db",
        "ledger.jsonl",
        "ledger.checkpoints.jsonl",
        "signing.key",
        "signing.pub",
    } <= set(names)


def test_verify_default_database(workdir: Path) -> None:
    result = run(ledger_app, "verify")
    assert result.exit_code == 0, result.output
    assert "OK: 25 entries" in result.stdout
    result = run(ledger_app, "verify", "--format", "json")
    report = orjson.loads(result.stdout)
    assert report["ok"] and report["entries"] == 25 and report["signatures"] == "verified"


def test_verify_the_mirror_and_a_tampered_database(workdir: Path) -> None:
    assert run(ledger_app, "verify", ".guardian/ledger.jsonl").exit_code == 0
    conn = sqlite3.connect(workdir / ".guardian" / "guardian.db")
    conn.execute("UPDATE ledger_entries SET payload = '{}' WHERE seq = 7")
    conn.commit()
    conn.close()
    result = run(ledger_app, "verify", "--format", "json")
    assert result.exit_code == 6
    report = orjson.loads(result.stdout)
    assert (report["first_bad_seq"], report["reason"]) == (7, "hash_mismatch")
    text = run(ledger_app, "verify")
    assert text.exit_code == 6 and "INVALID at seq 7 (hash_mismatch)" in text.stdout


def test_usage_errors_exit_2_without_traceback(workdir: Path) -> None:
    for args in (["verify", "missing.jsonl"], ["verify", "--key", "nokey"], ["tail", "--database", "sqlite:///none.db"],
                 ["prove"], ["restore", "nothing.jsonl"], ["verify", "--database", "memory://"]):  # fmt: skip
        result = run(ledger_app, *args)
        assert result.exit_code == 2, (args, result.output)
        assert "Traceback" not in result.output
    result = run(ledger_app, "verify", "missing.jsonl", "--format", "json")
    assert orjson.loads(result.stderr)["error"]["code"] == "usage"


def test_tail(workdir: Path) -> None:
    result = run(ledger_app, "tail", "-n", "3", "--format", "json")
    assert [e["seq"] for e in orjson.loads(result.stdout)] == [23, 24, 25]
    text = run(ledger_app, "tail", "-n", "2")
    assert text.exit_code == 0 and len(text.stdout.splitlines()) == 2 and "decision" in text.stdout


def test_export_and_restore(workdir: Path) -> None:
    result = run(ledger_app, "export", "-o", "out.jsonl", "--format", "json")
    assert orjson.loads(result.stdout) == {"output": "out.jsonl", "entries": 25, "checkpoints": 2}
    assert (workdir / "out.jsonl").read_bytes() == (
        workdir / ".guardian" / "ledger.jsonl"
    ).read_bytes()
    stdout_export = run(ledger_app, "export", "--after", "20")
    assert len(stdout_export.stdout.splitlines()) == 5
    restored = run(ledger_app, "restore", "out.jsonl", "--database", "sqlite:///copy/new.db",
                   "--key", ".guardian/signing.pub", "--format", "json")  # fmt: skip
    assert restored.exit_code == 0, restored.output
    report = orjson.loads(restored.stdout)
    assert (
        report["entries"] == 25
        and report["verified"]["ok"]
        and report["verified"]["checkpoints"] == 2
    )
    again = run(ledger_app, "restore", "out.jsonl", "--database", "sqlite:///copy/new.db")
    assert again.exit_code == 6 and "not empty" in again.stderr


def test_prove_and_verify_proof(workdir: Path) -> None:
    result = run(ledger_app, "prove", "12")
    assert result.exit_code == 0, result.output
    proof = orjson.loads(result.stdout)
    assert proof["type"] == "guardian.inclusion_proof.v1" and proof["entry"]["seq"] == 12
    (workdir / "proof.json").write_bytes(result.stdout_bytes)
    ok = run(ledger_app, "verify", "--proof", "proof.json", "--key", ".guardian/signing.pub")
    assert ok.exit_code == 0 and "VALID inclusion proof" in ok.stdout
    proof["entry"]["payload"]["decision"] = "DENY"
    (workdir / "proof.json").write_bytes(orjson.dumps(proof))
    bad = run(
        ledger_app, "verify", "--proof", "proof.json", "--format", "json"
    )  # key from .guardian
    assert bad.exit_code == 6 and orjson.loads(bad.stdout)["reason"] == "proof_mismatch"
    consistency = run(ledger_app, "prove", "--consistency", "10")
    assert consistency.exit_code == 0
    (workdir / "c.json").write_bytes(consistency.stdout_bytes)
    assert run(ledger_app, "verify", "--proof", "c.json").exit_code == 0


def test_db_upgrade(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GUARDIAN_DATABASE_URL", raising=False)
    result = run(db_app, "upgrade", "--format", "json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / ".guardian" / "guardian.db").exists()
    assert run(db_app, "upgrade").exit_code == 0  # idempotent
    monkeypatch.setenv("GUARDIAN_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    assert run(db_app, "upgrade").exit_code == 0 and (tmp_path / "env.db").exists()
    bad = run(db_app, "upgrade", "--database", "postgresql://nobody@127.0.0.1:1/x")
    assert bad.exit_code == 2 and "upgrade failed" in bad.stderr
