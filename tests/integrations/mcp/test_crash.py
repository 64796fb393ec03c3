"""Calls that do not finish: the server dies mid-call (the client gets an error result, the ledger a
failed receipt, and the proxy exits cleanly with a message naming the server), or the client
cancels one (the cancellation reaches the server, and the receipt says so)."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import anyio
import pytest

from .helpers import (
    SERVERS,
    assert_ledger_verifies,
    connect,
    decisions,
    proxy_command,
    receipt_for,
    text_of,
)

pytestmark = pytest.mark.slow

POLICY = """
version: 1
rules:
  - {id: anything, action: "*", effect: ALLOW}
"""


def test_server_crash_mid_call(tmp_path: Path) -> None:
    policy, db = tmp_path / "policy.yaml", tmp_path / "ledger.db"
    policy.write_text(POLICY)
    proxy = proxy_command(policy, db, [sys.executable, str(SERVERS / "crashy.py")])
    exit_file, stderr_file = tmp_path / "proxy.exit", tmp_path / "proxy.stderr"
    # The shell records the proxy's exit status: the SDK transport does not report it.
    wrapped = [
        "/bin/sh",
        "-c",
        f"{shlex.join(proxy)} 2>{shlex.quote(str(stderr_file))}; "
        f"echo $? > {shlex.quote(str(exit_file))}",
    ]

    async def scenario():
        async with connect(wrapped, cwd=tmp_path) as client:
            echoed = await client.call_tool("echo", {"text": "still here"})
            crashed = await client.call_tool("crash", {})
            with anyio.fail_after(20):
                while not exit_file.exists() or not exit_file.read_text().strip():
                    await anyio.sleep(0.05)
            return echoed, crashed

    echoed, crashed = anyio.run(scenario)
    assert text_of(echoed) == "still here"
    assert crashed.is_error
    assert "stopped during crash" in text_of(crashed)

    stderr = stderr_file.read_text()
    assert exit_file.read_text().strip() == "1"
    assert "crashy: exiting mid-call" in stderr  # the server's own words reach stderr
    assert f"the MCP server `{sys.executable} {SERVERS / 'crashy.py'}` exited" in stderr
    assert "Traceback" not in stderr

    entries = assert_ledger_verifies(db)
    (call,) = decisions(entries, "crash")
    assert call["decision"] == "ALLOW"
    receipt = receipt_for(entries, call["decision_id"])
    assert receipt is not None and receipt["status"] == "error"
    assert receipt_for(entries, decisions(entries, "echo")[0]["decision_id"])["status"] == "success"


def test_client_cancellation_reaches_the_server(tmp_path: Path) -> None:
    policy, db = tmp_path / "policy.yaml", tmp_path / "ledger.db"
    policy.write_text(POLICY)
    marker = tmp_path / "cancelled.txt"
    proxy = proxy_command(policy, db, [sys.executable, str(SERVERS / "crashy.py")])

    async def scenario():
        async with connect(proxy, cwd=tmp_path) as client:
            with anyio.move_on_after(2) as scope:
                await client.call_tool("sleep", {"marker": str(marker)})
            with anyio.fail_after(10):
                while not marker.exists():
                    await anyio.sleep(0.05)
            after = await client.call_tool("echo", {"text": "next"})  # the session goes on
            return scope.cancelled_caught, after

    cancelled, after = anyio.run(scenario)
    assert cancelled and marker.read_text() == "cancelled"
    assert text_of(after) == "next"
    entries = assert_ledger_verifies(db)
    (call,) = decisions(entries, "sleep")
    receipt = receipt_for(entries, call["decision_id"])
    assert receipt is not None and receipt["status"] == "error"
    assert receipt["error_type"] == "cancelled"
