"""`guardian token ...` and `guardian approvals ...` (server and local modes), as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from guardian.client import GuardianClient
from guardian.server.testing import LiveServer

from .conftest import Env, make_env


def guardian(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "guardian", *args], capture_output=True,
                            text=True, timeout=120, env={**os.environ, **(env or {})})  # fmt: skip
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_token_create_list_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    created = guardian("token", "create", "--name", "ci", "--role", "agent", "--agent-id", "builder",
                       "--expires", "30d", "--database", db, "--format", "json")  # fmt: skip
    assert created.returncode == 0, created.stderr
    info = json.loads(created.stdout)
    assert info["token"].startswith("gdn_") and info["agent_id"] == "builder"
    assert info["authority"] == 1 and info["expires_at"]
    text = guardian("token", "create", "--name", "ops", "--role", "admin", "--database", db)
    secret = text.stdout.strip().splitlines()[-1]
    assert secret.startswith("gdn_") and "shown only now" in text.stdout
    duplicate = guardian("token", "create", "--name", "ci", "--role", "agent", "--database", db)
    assert duplicate.returncode == 2 and "revoke it first" in duplicate.stderr
    bad = guardian("token", "create", "--name", "x", "--role", "root", "--database", db)
    assert bad.returncode == 2 and "role must be one of" in bad.stderr
    listed = json.loads(guardian("token", "list", "--database", db, "--format", "json").stdout)
    assert [(t["name"], t["status"]) for t in listed] == [("ci", "active"), ("ops", "active")]
    assert info["token"] not in json.dumps(listed) and secret not in json.dumps(listed)
    assert "secret_hash" not in listed[0]
    assert guardian("token", "revoke", "ci", "--database", db).returncode == 0
    listed = json.loads(guardian("token", "list", "--database", db, "--format", "json").stdout)
    assert listed[0]["status"] == "revoked"
    assert guardian("token", "revoke", "ci", "--database", db).returncode == 2
    again = guardian("token", "create", "--name", "ci", "--role", "agent", "--database", db)
    assert again.returncode == 0  # a revoked name may be reused


def _ask(url: str, env: Env) -> str:
    with GuardianClient(url, env.tokens["bot"]) as bot:
        return str(bot.decide("send_email", "x@example.org")["proposal_id"])


def test_approvals_against_a_server_and_locally(tmp_path: Path) -> None:
    env = make_env(tmp_path)
    with LiveServer(env.url, policy=env.policy) as server:
        pid = _ask(server.url, env)
        remote = {"GUARDIAN_URL": server.url, "GUARDIAN_TOKEN": env.tokens["alice"]}
        listed = guardian("approvals", "list", "--format", "json", env=remote)
        assert [p["id"] for p in json.loads(listed.stdout)] == [pid]
        as_agent = guardian("approvals", "approve", pid, "--server", server.url, "--token",
                            env.tokens["bot"])  # fmt: skip
        assert as_agent.returncode == 3 and "no principal may decide" in as_agent.stderr
        approved = guardian("approvals", "approve", pid, "--reason", "ok", "--grant-hours", "1",
                            "--grant-target", "*@example.org", "--format", "json", env=remote)  # fmt: skip
        assert approved.returncode == 0, approved.stderr
        assert json.loads(approved.stdout)["decided_by"] == "alice"
        late = guardian("approvals", "reject", pid, "--reason", "late", env=remote)
        assert late.returncode == 1 and "not pending" in late.stderr
        grants = httpx.get(server.url + "/v1/grants", headers=env.auth("alice")).json()["grants"]
        assert grants[0]["target"] == "*@example.org"
    # Local mode: the same database, no server.
    local = _ask_local(env)
    shown = guardian("approvals", "show", local, "--database", env.url, "--format", "json")
    assert json.loads(shown.stdout)["status"] == "pending"
    rejected = guardian("approvals", "reject", local, "--reason", "no", "--database", env.url,
                        "--format", "json")  # fmt: skip
    assert json.loads(rejected.stdout)["decided_by"].startswith("local:")


def _ask_local(env: Env) -> str:
    from guardian import Guardian

    with Guardian(str(env.policy), ledger=env.url, signing_key=env.dir / "k.key") as g:
        record = g.decide("bot", "send_email", "z@example.com")
    assert record.proposal_id is not None
    return record.proposal_id
