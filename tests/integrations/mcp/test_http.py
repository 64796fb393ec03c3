"""The streamable-HTTP front end: two clients at once share one governed server."""

from __future__ import annotations

import signal
from pathlib import Path

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from .helpers import (
    assert_ledger_verifies,
    decisions,
    free_port,
    proxy_command,
    serving,
    text_of,
    time_server,
)

pytestmark = pytest.mark.slow

POLICY = """
version: 1
rules:
  - {id: clock, action: get_current_time, effect: ALLOW}
  - {id: no-conversions, action: convert_time, effect: DENY}
"""


@pytest.fixture
def http_proxy(tmp_path: Path):
    policy, db = tmp_path / "policy.yaml", tmp_path / "ledger.db"
    policy.write_text(POLICY)
    port = free_port()
    command = proxy_command(policy, db, time_server(), "--listen", f"127.0.0.1:{port}")
    with serving(command, tmp_path) as process:
        yield f"http://127.0.0.1:{port}/mcp", db, process


def test_two_clients_at_once(http_proxy) -> None:
    url, db, process = http_proxy
    results: dict[str, list] = {}

    async def client(name: str, timezone: str) -> None:
        async with streamable_http_client(url) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                listed = [t.name for t in (await session.list_tools()).tools]
                calls = [
                    await session.call_tool("get_current_time", {"timezone": timezone})
                    for _ in range(3)
                ]
                refused = await session.call_tool(
                    "convert_time",
                    {"source_timezone": "UTC", "time": "12:00", "target_timezone": timezone},
                )
                results[name] = [listed, calls, refused]

    async def both() -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(client, "a", "Europe/Paris")
            tg.start_soon(client, "b", "Asia/Tokyo")

    anyio.run(both)
    for name, timezone in (("a", "Europe/Paris"), ("b", "Asia/Tokyo")):
        listed, calls, refused = results[name]
        assert listed == ["get_current_time"]
        assert all(c.structured_content["timezone"] == timezone for c in calls)
        assert refused.is_error and "rule_deny" in text_of(refused)

    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr

    entries = assert_ledger_verifies(db)
    allowed = decisions(entries, "get_current_time")
    assert len(allowed) == 6 and {d["decision"] for d in allowed} == {"ALLOW"}
    sessions = {d["intent"]["session_id"] for d in allowed}
    assert len(sessions) == 2 and None not in sessions  # one MCP session per client
    assert len(decisions(entries, "convert_time")) == 2
