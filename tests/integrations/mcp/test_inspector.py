"""A non-Python client: the MCP Inspector CLI (npm) lists and calls tools through the proxy.

The inspector reads the same JSON configuration an MCP client does (`mcpServers`), so this is also
the configuration docs/mcp.md shows, with the proxy as the server's command.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .helpers import INSPECTOR_JS, assert_ledger_verifies, decisions, node_or_skip, time_server

pytestmark = pytest.mark.slow

POLICY = """
version: 1
rules:
  - {id: clock, action: get_current_time, effect: ALLOW}
  - {id: no-conversions, action: convert_time, effect: DENY}
"""


def test_inspector_cli_lists_and_calls_through_the_proxy(tmp_path: Path) -> None:
    node = node_or_skip()
    policy, db = tmp_path / "policy.yaml", tmp_path / "ledger.db"
    policy.write_text(POLICY)
    # No `--` here: the inspector splits its own arguments at the first one it sees.
    config = {
        "mcpServers": {
            "clock": {
                "command": sys.executable,
                "args": [
                    "-m",
                    "guardian",
                    "mcp-proxy",
                    "--policy",
                    str(policy),
                    "--database",
                    f"sqlite:///{db}",
                    *time_server(),
                ],
            }
        }
    }
    (tmp_path / "mcp.json").write_text(json.dumps(config))

    def inspector(*args: str) -> dict:
        done = subprocess.run(
            [node, str(INSPECTOR_JS), "--cli", "--config", "mcp.json", "--server", "clock", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            env=dict(os.environ),
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    listed = inspector("--method", "tools/list")
    assert [t["name"] for t in listed["tools"]] == ["get_current_time"]
    now = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "get_current_time",
        "--tool-arg",
        "timezone=Europe/Paris",
    )
    assert not now.get("isError") and now["structuredContent"]["timezone"] == "Europe/Paris"
    refused = inspector(
        "--method",
        "tools/call",
        "--tool-name",
        "convert_time",
        "--tool-arg",
        "source_timezone=UTC",
        "time=12:00",
        "target_timezone=Asia/Tokyo",
    )
    assert refused["isError"] is True
    assert refused["_meta"]["guardian/decision"]["reasons"][0]["code"] == "rule_deny"

    entries = assert_ledger_verifies(db)
    assert [d["decision"] for d in decisions(entries, "get_current_time")] == ["ALLOW"]
    assert [d["decision"] for d in decisions(entries, "convert_time")] == ["DENY"]
