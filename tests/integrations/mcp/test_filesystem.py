"""@modelcontextprotocol/server-filesystem behind `python -m guardian mcp-proxy`, driven by the SDK client.

The server is given the whole temporary directory, the policy only its `data/` folder: what the
path analyzer refuses here the server itself would have served.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from .helpers import (
    FILESYSTEM_JS,
    assert_ledger_verifies,
    connect,
    decisions,
    node_or_skip,
    proxy_command,
    receipt_for,
    text_of,
)

pytestmark = pytest.mark.slow

POLICY = """
version: 1
tools:
  "*": {{target: path}}
rules:
  - id: fs-read
    action: [read_text_file, list_directory]
    effect: ALLOW
    analyze:
      path: {{param: path, roots: ["{data}"], mode: read}}
  - id: fs-write
    action: write_file
    effect: ASK
    reason: changes to files need a human
    analyze:
      path: {{param: path, roots: ["{data}"], mode: write}}
"""


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path, list[str]]:
    node = node_or_skip()
    data = tmp_path / "data"
    data.mkdir()
    (data / "notes.txt").write_text("meeting at noon\n")
    (data / "config.txt").write_text("aws_key = AKIAIOSFODNN7EXAMPLE\n")
    (tmp_path / "outside.txt").write_text("not for the agent\n")
    (data / "escape").symlink_to(tmp_path / "outside.txt")
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY.format(data=data))
    server = [node, str(FILESYSTEM_JS), str(tmp_path)]  # the server may read all of tmp_path
    return tmp_path, policy, server


def test_reads_inside_pass_and_escapes_are_denied_by_the_path_analyzer(workspace):
    tmp_path, policy, server = workspace
    db = tmp_path / "ledger.db"
    data = tmp_path / "data"

    async def scenario() -> dict[str, object]:
        async with connect(proxy_command(policy, db, server), cwd=tmp_path) as client:
            tools = {t.name: t for t in (await client.list_tools()).tools}
            ok = await client.call_tool("read_text_file", {"path": str(data / "notes.txt")})
            secret = await client.call_tool("read_text_file", {"path": str(data / "config.txt")})
            up = await client.call_tool(
                "read_text_file", {"path": str(data / ".." / "outside.txt")}
            )
            link = await client.call_tool("read_text_file", {"path": str(data / "escape")})
            return {"tools": tools, "ok": ok, "secret": secret, "up": up, "link": link}

    got = anyio.run(scenario)
    tools = got["tools"]
    assert set(tools) == {"read_text_file", "list_directory", "write_file"}  # others: no rule
    assert tools["write_file"].input_schema["required"] == ["path", "content"]  # unchanged
    ok, up, link = got["ok"], got["up"], got["link"]
    assert not ok.is_error and text_of(ok) == "meeting at noon\n"
    assert text_of(got["secret"]) == "aws_key = [REDACTED:secret]\n"  # redacted on the way back
    for refused in (up, link):
        assert refused.is_error
        assert "path_outside_roots" in text_of(refused)
        assert refused.meta["guardian/decision"]["decision"] == "DENY"
        assert "not for the agent" not in text_of(refused)

    entries = assert_ledger_verifies(db)
    reads = decisions(entries, "read_text_file")
    assert [d["decision"] for d in reads] == ["ALLOW", "ALLOW", "DENY", "DENY"]
    assert reads[0]["intent"]["target"] == str(data / "notes.txt")
    assert receipt_for(entries, reads[0]["decision_id"])["status"] == "success"
    redacted = receipt_for(entries, reads[1]["decision_id"])
    assert {"path": "/content/0/text", "code": "secret"} in redacted["redactions"]
    assert "AKIA" not in str(entries)  # the secret is nowhere in the ledger
    for denied in reads[2:]:
        assert receipt_for(entries, denied["decision_id"]) is None  # never reached the server


def _approvals(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "guardian", "approvals", *args, "--database", f"sqlite:///{db}"],
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_write_under_ask_waits_for_an_approval_given_through_the_cli(workspace):
    tmp_path, policy, server = workspace
    db = tmp_path / "ledger.db"
    target = tmp_path / "data" / "reply.txt"
    progress: list[tuple[float, float | None, str | None]] = []
    approved: list[str] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async def approve_when_pending() -> None:
        for _ in range(300):
            listed = await anyio.to_thread.run_sync(_approvals, db, "list", "--format", "json")
            pending = json.loads(listed.stdout or "[]") if listed.returncode == 0 else []
            if pending:
                (proposal,) = pending
                assert proposal["action"] == "write_file"
                assert proposal["target"] == str(target)
                done = await anyio.to_thread.run_sync(
                    _approvals, db, "approve", proposal["id"], "--reason", "fine"
                )
                assert done.returncode == 0, done.stderr
                approved.append(proposal["id"])
                return
            await anyio.sleep(0.2)
        raise AssertionError("no pending proposal appeared")

    async def scenario():
        async with connect(proxy_command(policy, db, server), cwd=tmp_path) as client:
            async with anyio.create_task_group() as tg:
                tg.start_soon(approve_when_pending)
                result = await client.call_tool(
                    "write_file",
                    {"path": str(target), "content": "see you then\n"},
                    progress_callback=on_progress,
                )
            return result

    result = anyio.run(scenario)
    assert not result.is_error, text_of(result)
    assert target.read_text() == "see you then\n"
    assert approved and progress
    assert any(approved[0] in (message or "") for _, _, message in progress)

    entries = assert_ledger_verifies(db)
    asked, allowed = decisions(entries, "write_file")
    assert asked["decision"] == "ASK" and asked["proposal_id"] == approved[0]
    assert allowed["decision"] == "ALLOW" and allowed["approval_id"] == approved[0]
    assert receipt_for(entries, allowed["decision_id"])["status"] == "success"
    assert [e.payload["outcome"] for e in entries if e.kind == "approval"] == ["approved"]
