"""`--server URL --token T`: the proxy decides through a running `guardian serve`.

The ASK is approved through the server's API with an approver token, as the dashboard would, while
the proxy long-polls for it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import anyio
import httpx
import pytest

from guardian.client import GuardianClient

from .helpers import assert_ledger_verifies, connect, decisions, receipt_for, text_of, time_server

pytestmark = pytest.mark.slow

POLICY = """
version: 1
rules:
  - {id: clock, action: get_current_time, effect: ALLOW}
  - {id: conversions, action: convert_time, effect: ASK, reason: conversions need a human}
  - {id: nothing-else, action: "*", effect: DENY}
"""


def _guardian(*args: str, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "guardian", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def _token(db: Path, cwd: Path, name: str, role: str) -> str:
    out = _guardian(
        "token",
        "create",
        "--name",
        name,
        "--role",
        role,
        "--agent-id",
        name,
        "--database",
        f"sqlite:///{db}",
        "--format",
        "json",
        cwd=cwd,
    )
    return str(json.loads(out)["token"])


@pytest.fixture
def guardian_server(tmp_path: Path):
    policy, db = tmp_path / "policy.yaml", tmp_path / "guardian.db"
    policy.write_text(POLICY)
    agent, approver = (
        _token(db, tmp_path, "agent", "agent"),
        _token(db, tmp_path, "alice", "approver"),
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "guardian",
            "serve",
            "--port",
            str(port),
            "--policy",
            str(policy),
            "--database",
            f"sqlite:///{db}",
            "--log-level",
            "warning",
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=dict(os.environ),
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        assert server.poll() is None and time.monotonic() < deadline, "guardian serve did not start"
        time.sleep(0.1)
    try:
        yield url, agent, approver, policy, db
    finally:
        server.terminate()
        server.wait(20)


def test_decides_through_guardian_serve(guardian_server, tmp_path: Path) -> None:
    url, agent, approver, policy, db = guardian_server
    command = [
        sys.executable,
        "-m",
        "guardian",
        "mcp-proxy",
        "--server",
        url,
        "--token",
        agent,
        "--policy",
        str(policy),
        "--",
        *time_server(),
    ]

    async def approve_when_pending() -> str:
        with GuardianClient(url, approver) as client:
            for _ in range(300):
                pending = await anyio.to_thread.run_sync(client.proposals, "pending")
                if pending:
                    await anyio.to_thread.run_sync(client.approve, pending[0]["id"], "fine by me")
                    return str(pending[0]["id"])
                await anyio.sleep(0.2)
        raise AssertionError("no proposal appeared")

    async def scenario():
        async with connect(command, cwd=tmp_path) as session:
            listed = [t.name for t in (await session.list_tools()).tools]
            now = await session.call_tool("get_current_time", {"timezone": "UTC"})
            proposal: list[str] = []

            async def approve() -> None:
                proposal.append(await approve_when_pending())

            async with anyio.create_task_group() as tg:
                tg.start_soon(approve)
                converted = await session.call_tool(
                    "convert_time",
                    {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
                )
            return listed, now, converted, proposal[0]

    listed, now, converted, proposal = anyio.run(scenario)
    assert listed == ["get_current_time", "convert_time"]
    assert not now.is_error
    assert not converted.is_error, text_of(converted)
    assert converted.structured_content["target"]["timezone"] == "Asia/Tokyo"

    entries = assert_ledger_verifies(db)
    asked, allowed = decisions(entries, "convert_time")
    assert asked["decision"] == "ASK" and asked["proposal_id"] == proposal
    assert allowed["decision"] == "ALLOW" and allowed["approval_id"] == proposal
    assert allowed["intent"]["actor"] == "agent"  # the token's agent
    assert receipt_for(entries, allowed["decision_id"])["status"] == "success"
