"""mcp-server-time behind the proxy: a denied tool is not listed, and refused if called anyway."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from .helpers import assert_ledger_verifies, connect, decisions, proxy_command, text_of, time_server

pytestmark = pytest.mark.slow

POLICY = """
version: 1
rules:
  - id: clock
    action: ["get_current_time", "time.get_current_time"]
    effect: ALLOW
  - id: no-conversions
    action: ["convert_time", "time.convert_time"]
    effect: DENY
    reason: this agent has no business converting times
"""


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(POLICY)
    return path


@pytest.mark.parametrize(
    ("server_name", "modern"),
    [(None, False), ("time", False), (None, True)],
    ids=["handshake", "server-name", "2026-07-28"],
)
def test_denied_tool_is_hidden_and_refused(
    tmp_path: Path, server_name: str | None, modern: bool
) -> None:
    """The client may speak either protocol era: the proxy speaks the handshake era upstream."""
    db = tmp_path / "ledger.db"
    extra = ("--server-name", server_name) if server_name else ()
    command = proxy_command(_policy(tmp_path), db, time_server(), *extra)

    async def scenario():
        async with connect(command, cwd=tmp_path, modern=modern) as client:
            listed = [t.name for t in (await client.list_tools()).tools]
            now = await client.call_tool("get_current_time", {"timezone": "UTC"})
            refused = await client.call_tool(
                "convert_time",
                {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"},
            )
            prompts = await client.list_prompts()  # passthrough of a non-tool method
            return listed, now, refused, prompts

    listed, now, refused, prompts = anyio.run(scenario)
    assert listed == ["get_current_time"]
    assert not now.is_error and now.structured_content["timezone"] == "UTC"
    assert refused.is_error
    assert "rule_deny" in text_of(refused) and "no business converting" in text_of(refused)
    assert prompts.prompts == []

    prefix = f"{server_name}." if server_name else ""
    entries = assert_ledger_verifies(db)
    assert [d["decision"] for d in decisions(entries, f"{prefix}get_current_time")] == ["ALLOW"]
    (denied,) = decisions(entries, f"{prefix}convert_time")
    assert denied["decision"] == "DENY" and denied["rule_id"] == "no-conversions"
    assert denied["intent"]["actor"] == "agent"
    assert denied["intent"]["params"]["target_timezone"] == "Asia/Tokyo"
