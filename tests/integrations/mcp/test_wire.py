"""The proxy's own pipes and its handshake-era loop: framing, read-ahead, and the direct tools/call
answering exactly as the SDK's server would (errors included)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.shared.message import SessionMessage

from guardian.core.decision import Decision
from guardian.integrations.mcp import Settings, ToolGovernor
from guardian.integrations.mcp.decider import ApprovalState, Receipt, Ruling
from guardian.integrations.mcp.wire import MessageReader

from .helpers import time_server

POLICY = """
version: 1
rules:
  - {id: clock, action: get_current_time, effect: ALLOW}
  - {id: no-conversions, action: convert_time, effect: DENY}
"""
INIT = {"protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"}}  # fmt: skip


class _Chunks(MessageReader):
    def __init__(self, chunks: list[bytes]) -> None:
        super().__init__()
        self._chunks = chunks

    async def _read(self) -> bytes:
        return self._chunks.pop(0) if self._chunks else b""


def test_reader_frames_lines_across_chunks_and_reads_ahead() -> None:
    request = b'{"jsonrpc":"2.0","id":1,"method":"ping"}'
    chunks = [b'{"jsonrpc":"2.0","method":"notifications/x"}\n\n' + request[:10], request[10:]
              + b'\nnot json\n{"jsonrpc":"2.0","id":2,"method":"ping"}']  # fmt: skip

    async def scenario() -> tuple[Any, list[Any]]:
        reader = _Chunks(chunks)
        first = await reader.first_request()
        return first, [item async for item in reader]

    first, items = anyio.run(scenario)
    assert first is not None and first.id == 1  # read ahead, and still received below
    assert [type(i).__name__ for i in items] == [
        "SessionMessage", "SessionMessage", "ValidationError", "SessionMessage",
    ]  # fmt: skip
    assert isinstance(items[3], SessionMessage) and items[3].message.id == 2  # type: ignore[union-attr]


class _Decider:
    """Decides ALLOW and notes the thread each decision and receipt ran on."""

    inline = True

    def __init__(self) -> None:
        self.threads: list[str] = []

    def decide(self, actor: str, action: str, target: str, params: dict[str, Any],
               metadata: dict[str, Any], session_id: str | None) -> Ruling:  # fmt: skip
        self.threads.append(threading.current_thread().name)
        return Ruling(Decision.ALLOW, f"d{len(self.threads)}", ())

    def record_receipt(self, receipt: Receipt) -> None:
        self.threads.append("receipt:" + threading.current_thread().name)

    def wait_for_approval(self, proposal_id: str, timeout: float) -> ApprovalState:
        return ApprovalState("pending")

    def hides(self, actor: str, action: str) -> bool:
        return False

    def target_param(self, action: str) -> str | None:
        return None

    def close(self) -> None:
        pass


def test_a_lone_call_is_decided_on_the_loop_and_concurrent_ones_in_threads() -> None:
    decider = _Decider()
    governor = ToolGovernor(decider, Settings())
    main = threading.current_thread().name

    async def progress(done: float, total: float | None, message: str | None) -> None:
        pass

    async def scenario() -> None:
        async with governor.receipts.running():
            release = anyio.Event()

            async def slow() -> dict[str, Any]:
                await release.wait()
                return {"content": []}

            async def fast() -> dict[str, Any]:
                return {"content": []}

            await governor.call("t", {}, fast, progress)  # alone: on the loop
            await anyio.sleep(0.05)  # its receipt, a moment after the answer
            async with anyio.create_task_group() as tg:
                tg.start_soon(governor.call, "t", {}, slow, progress)
                await anyio.sleep(0.05)
                await governor.call("t", {}, fast, progress)  # another call is in flight
                release.set()

    anyio.run(scenario)
    decisions = [t for t in decider.threads if not t.startswith("receipt:")]
    assert decisions[0] == main and decisions[1] == main  # each alone when it was decided
    assert decisions[2] != main  # decided while the held call was in flight
    assert f"receipt:{main}" in decider.threads  # the first call's receipt: nothing in flight


def _proxy(tmp_path: Path, stdin: Any) -> subprocess.Popen[bytes]:
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    command = [sys.executable, "-m", "guardian", "mcp-proxy", "--policy", str(policy),
               "--database", "memory://", "--", *time_server()]  # fmt: skip
    return subprocess.Popen(command, stdin=stdin, stdout=subprocess.PIPE, cwd=tmp_path,
                            env=dict(os.environ))  # fmt: skip


def _line(message: dict[str, Any]) -> bytes:
    return (json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode()


@pytest.mark.slow
def test_a_regular_file_as_stdin_is_read(tmp_path: Path) -> None:
    """epoll cannot watch a regular file: the proxy reads it from a thread instead."""
    requests = tmp_path / "requests.jsonl"
    requests.write_bytes(_line({"id": 1, "method": "initialize", "params": INIT}))
    with requests.open("rb") as stdin:
        proxy = _proxy(tmp_path, stdin)
        out, _ = proxy.communicate(timeout=60)
    assert proxy.returncode == 0
    answer = json.loads(out.splitlines()[0])
    assert answer["id"] == 1 and answer["result"]["serverInfo"]["name"] == "mcp-time"


@pytest.mark.slow
def test_tool_calls_on_a_handshake_connection_answer_as_the_sdk_would(tmp_path: Path) -> None:
    proxy = _proxy(tmp_path, subprocess.PIPE)
    assert proxy.stdin is not None and proxy.stdout is not None

    def ask(message: dict[str, Any]) -> dict[str, Any]:
        assert proxy.stdin is not None and proxy.stdout is not None
        proxy.stdin.write(_line(message))
        proxy.stdin.flush()
        if "id" not in message:
            return {}
        return json.loads(proxy.stdout.readline())  # type: ignore[no-any-return]

    call = {"name": "get_current_time", "arguments": {"timezone": "UTC"}}
    envelope = {"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}}
    try:
        early = ask({"id": 1, "method": "tools/call", "params": call})
        ask({"id": 2, "method": "initialize", "params": INIT})
        ask({"method": "notifications/initialized"})
        bad = ask({"id": 3, "method": "tools/call", "params": {"arguments": {}}})
        enveloped = ask({"id": 4, "method": "tools/call", "params": {**call, **envelope}})
        allowed = ask({"id": 5, "method": "tools/call", "params": call})
        denied = ask({"id": 6, "method": "tools/call", "params": {"name": "convert_time"}})
    finally:
        proxy.stdin.close()
        proxy.wait(timeout=30)
    assert early["error"]["code"] == -32602  # before initialize, as the SDK's gate answers
    assert bad["error"]["code"] == -32602  # no tool name: invalid params
    assert enveloped["error"]["code"] == -32600  # the 2026 envelope on a handshake connection
    assert allowed["result"]["structuredContent"]["timezone"] == "UTC"
    assert "isError" not in allowed["result"] or allowed["result"]["isError"] is False
    assert denied["result"]["isError"] is True
    assert denied["result"]["_meta"]["guardian/decision"]["decision"] == "DENY"
