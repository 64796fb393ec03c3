"""What is not a tool call passes through unchanged: resources, prompts, pings, and the server's
progress notifications, over stdio and over streamable HTTP, against `server-everything` (npm)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp.client.session import ClientSession
from mcp.client.streamable_http import streamable_http_client

from .helpers import (
    EVERYTHING_JS,
    assert_ledger_verifies,
    connect,
    decisions,
    free_port,
    node_or_skip,
    proxy_command,
    receipt_for,
    serving,
)

pytestmark = pytest.mark.slow

POLICY = """
version: 1
rules:
  - {id: slow-ok, action: trigger-long-running-operation, effect: ALLOW}
  - {id: no-env, action: get-env, effect: DENY}
"""
DOC = "demo://resource/static/document/architecture.md"


def everything() -> list[str]:
    return [node_or_skip(), str(EVERYTHING_JS), "stdio"]


async def observe(session: ClientSession) -> dict[str, Any]:
    """Everything a client sees of the server besides tool calls, as plain data."""
    resources = await session.list_resources()
    prompts = await session.list_prompts()
    await session.send_ping()
    return {
        "resources": [r.model_dump() for r in resources.resources],
        "document": (await session.read_resource(DOC)).model_dump()["contents"],
        "prompts": [p.model_dump() for p in prompts.prompts],
        "simple": (await session.get_prompt("simple-prompt")).model_dump(),
        "args": (await session.get_prompt("args-prompt", {"city": "Oslo"})).model_dump(),
    }


def test_resources_prompts_pings_and_progress_pass_through_stdio(tmp_path: Path) -> None:
    server = everything()
    policy, db = tmp_path / "policy.yaml", tmp_path / "ledger.db"
    policy.write_text(POLICY)

    async def scenario() -> tuple[dict[str, Any], dict[str, Any], list[tuple[float, Any]], Any]:
        async with connect(server, tmp_path) as direct:
            seen_direct = await observe(direct)
        progress: list[tuple[float, Any]] = []

        async def on_progress(done: float, total: float | None, _message: str | None) -> None:
            progress.append((done, total))

        async with connect(proxy_command(policy, db, server), tmp_path) as proxied:
            seen_proxied = await observe(proxied)
            result = await proxied.call_tool(
                "trigger-long-running-operation", {"duration": 1, "steps": 3},
                progress_callback=on_progress,
            )  # fmt: skip
        return seen_direct, seen_proxied, progress, result

    seen_direct, seen_proxied, progress, result = anyio.run(scenario)
    assert seen_proxied == seen_direct
    assert "Long running operation completed" in result.content[0].text
    assert progress == [(1.0, 3.0), (2.0, 3.0), (3.0, 3.0)]  # the server's own, relayed
    entries = assert_ledger_verifies(db)
    (decision,) = decisions(entries, "trigger-long-running-operation")
    assert decision["decision"] == "ALLOW"
    assert receipt_for(entries, decision["decision_id"]) is not None
    # resources, prompts and pings are not tool calls: nothing else was decided
    assert {e.payload["intent"]["action"] for e in entries if e.kind == "decision"} == {
        "trigger-long-running-operation"
    }


@pytest.fixture
def http_everything(tmp_path: Path) -> Iterator[str]:
    policy, db = tmp_path / "policy.yaml", tmp_path / "ledger.db"
    policy.write_text(POLICY)
    port = free_port()
    command = proxy_command(policy, db, everything(), "--listen", f"127.0.0.1:{port}")
    with serving(command, tmp_path):
        yield f"http://127.0.0.1:{port}/mcp"


def test_resources_prompts_and_pings_pass_through_http(
    http_everything: str, tmp_path: Path
) -> None:
    server = everything()

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        async with connect(server, tmp_path) as direct:
            seen_direct = await observe(direct)
        async with streamable_http_client(http_everything) as (read, write):
            async with ClientSession(read, write) as proxied:
                await proxied.initialize()
                return seen_direct, await observe(proxied)

    seen_direct, seen_proxied = anyio.run(scenario)
    assert seen_proxied == seen_direct
