"""A tiny MCP server for failure tests: `echo` answers, `crash` exits the process mid-call, and
`sleep` waits until cancelled, then writes "cancelled" to the file named by its `marker` argument.

Written with the low-level SDK server so the test owns the exact moment of death: the call has
reached the server (the proxy has decided and forwarded it) when the process goes.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import anyio
import mcp_types as types
from mcp.server.lowlevel.server import Server

TOOLS = [
    types.Tool(
        name="echo",
        description="Say it back",
        input_schema={
            "type": "object",
            "properties": {"text": {"type": "string"}},
            "required": ["text"],
        },
    ),
    types.Tool(name="crash", description="Exit mid-call", input_schema={"type": "object"}),
    types.Tool(
        name="sleep",
        description="Wait to be cancelled",
        input_schema={"type": "object", "properties": {"marker": {"type": "string"}}},
    ),
]


async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
    return types.ListToolsResult(tools=TOOLS)


async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    if params.name == "crash":
        print("crashy: exiting mid-call", file=sys.stderr, flush=True)
        os._exit(3)
    if params.name == "sleep":
        try:
            await anyio.sleep(60)
        except anyio.get_cancelled_exc_class():
            with open(str((params.arguments or {})["marker"]), "w") as marker:
                marker.write("cancelled")
            raise
    text = str((params.arguments or {}).get("text", ""))
    return types.CallToolResult(content=[types.TextContent(text=text)])


async def main() -> None:
    from mcp.server.stdio import stdio_server

    server = Server("crashy", version="1.0", on_list_tools=list_tools, on_call_tool=call_tool)
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


if __name__ == "__main__":
    anyio.run(main)
