"""Guardian's MCP gateway: a proxy that governs every tool call a client makes of an MCP server.

`guardian mcp-proxy [OPTIONS] -- COMMAND ARGS...` runs COMMAND as the MCP server and serves its
clients over stdio (or streamable HTTP with `--listen`): tools the policy denies outright are not
listed, each `tools/call` is decided (DENY refused, ASK held for a human, ALLOW forwarded, redacted
and given a receipt), and everything else passes through. See docs/mcp.md.
"""

from guardian.integrations.mcp.decider import Decider, LocalDecider, RemoteDecider, open_decider
from guardian.integrations.mcp.errors import UpstreamError, UpstreamExited
from guardian.integrations.mcp.governance import Settings, ToolGovernor
from guardian.integrations.mcp.proxy import Listen, Proxy, loop_options, run_proxy

__all__ = [
    "Decider",
    "Listen",
    "LocalDecider",
    "Proxy",
    "RemoteDecider",
    "Settings",
    "ToolGovernor",
    "UpstreamError",
    "UpstreamExited",
    "loop_options",
    "open_decider",
    "run_proxy",
]
