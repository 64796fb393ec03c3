"""The streamable-HTTP front end: many clients, each its own MCP session, share one governed server.

The SDK's session manager runs each session against the proxy's server; uvicorn serves it. When
the server behind the proxy stops, the proxy answers what is in flight and shuts down, so clients
see a refused connection instead of a proxy that fails every call.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from contextlib import contextmanager

import anyio
import uvicorn

from guardian.integrations.mcp.errors import UpstreamExited
from guardian.integrations.mcp.proxy import Proxy

MCP_PATH = "/mcp"


class _Server(uvicorn.Server):
    """uvicorn without its signal handlers: the proxy owns SIGINT/SIGTERM (uvicorn would re-raise
    them after its shutdown, killing the process before the governed server is stopped)."""

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def serve_http(proxy: Proxy, host: str, port: int) -> None:
    app = proxy.server.streamable_http_app(streamable_http_path=MCP_PATH, host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                            access_log=False)  # fmt: skip
    server = _Server(config)
    upstream_gone = False

    async def announce() -> None:
        while not server.started:
            await anyio.sleep(0.02)
        shown = f"[{host}]" if ":" in host else host
        print(f"guardian mcp-proxy: serving `{proxy.upstream.label}` on "
              f"http://{shown}:{port}{MCP_PATH}", file=sys.stderr, flush=True)  # fmt: skip

    async def watch() -> None:
        nonlocal upstream_gone
        upstream_gone = await proxy.wait_stop()
        server.should_exit = True

    async with anyio.create_task_group() as tg:
        tg.start_soon(announce)
        tg.start_soon(watch)
        await server.serve()
        tg.cancel_scope.cancel()
    if upstream_gone:
        raise UpstreamExited(proxy.upstream.label)
