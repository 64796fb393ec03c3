"""Shared by the MCP proxy tests: where the real servers are, and how to start the proxy."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO

import pytest
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client

ROOT = Path(__file__).resolve().parents[3]
NODE_MODULES = ROOT / ".mcp-servers" / "node_modules"
FILESYSTEM_JS = NODE_MODULES / "@modelcontextprotocol" / "server-filesystem" / "dist" / "index.js"
INSPECTOR_JS = NODE_MODULES / "@modelcontextprotocol" / "inspector" / "cli" / "build" / "cli.js"
EVERYTHING_JS = NODE_MODULES / "@modelcontextprotocol" / "server-everything" / "dist" / "index.js"
INSTALL = ROOT / "scripts" / "install-mcp-servers.sh"
SERVERS = Path(__file__).parent / "servers"


def install_servers() -> None:
    subprocess.run([str(INSTALL)], check=True, env={**os.environ, "PYTHON": sys.executable})


def node_or_skip() -> str:
    """`node`, with the npm servers installed; skip (outside CI) when there is no npm."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        message = "node/npm not found: install Node 20 and run scripts/install-mcp-servers.sh"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true: {message}")
        pytest.skip(message)
    if not (FILESYSTEM_JS.is_file() and INSPECTOR_JS.is_file() and EVERYTHING_JS.is_file()):
        install_servers()
    return node


def time_server() -> list[str]:
    """The `mcp-server-time` command (installed into this venv by the install script)."""
    found = Path(sys.executable).parent / "mcp-server-time"
    if not found.is_file():
        install_servers()
    return [str(found)]


def proxy_command(policy: Path, db: Path, server: Sequence[str], *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "guardian",
        "mcp-proxy",
        "--policy",
        str(policy),
        "--database",
        f"sqlite:///{db}",
        *extra,
        "--",
        *server,
    ]


@asynccontextmanager
async def connect(
    command: Sequence[str], cwd: Path, errlog: TextIO | None = None, *, modern: bool = False
) -> AsyncIterator[ClientSession]:
    """An SDK client session with `command` (the proxy) as its server, past its opening: the
    `initialize` handshake, or with `modern` the 2026-07-28 `server/discover` (no handshake)."""
    params = StdioServerParameters(
        command=command[0], args=list(command[1:]), env=dict(os.environ), cwd=str(cwd)
    )
    async with stdio_client(params, errlog=errlog or sys.stderr) as (read, write):
        async with ClientSession(read, write) as session:
            if modern:
                await session.discover()
            else:
                await session.initialize()
            yield session


def text_of(result: Any) -> str:
    return "\n".join(getattr(block, "text", "") for block in result.content)


def ledger_entries(db: Path) -> list[Any]:
    from guardian.ledger.open import open_ledger

    ledger = open_ledger(f"sqlite:///{db}", read_only=True)
    try:
        return list(ledger.entries())
    finally:
        ledger.close()


def assert_ledger_verifies(db: Path) -> list[Any]:
    """Verify the chain with the offline verifier; return the entries for further checks."""
    from guardian.ledger.verify import verify_sqlite

    report = verify_sqlite(db)
    assert report.ok, report
    entries = ledger_entries(db)
    assert report.entries == len(entries)
    return entries


def decisions(entries: Sequence[Any], action: str) -> list[dict[str, Any]]:
    return [
        e.payload
        for e in entries
        if e.kind == "decision" and e.payload["intent"]["action"] == action
    ]


def receipt_for(entries: Sequence[Any], decision_id: str) -> dict[str, Any] | None:
    found = [
        e.payload
        for e in entries
        if e.kind == "receipt" and e.payload["decision_id"] == decision_id
    ]
    assert len(found) <= 1
    return found[0] if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(command: Sequence[str], cwd: Path) -> Iterator[subprocess.Popen[str]]:
    """Run `command` (a proxy with `--listen`) until it says it is serving; kill it after."""
    process = subprocess.Popen(list(command), cwd=cwd, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=dict(os.environ))  # fmt: skip
    assert process.stderr is not None
    deadline, line = time.monotonic() + 60, ""
    try:
        while "serving" not in line:
            line = process.stderr.readline()
            assert line or process.poll() is None, "the proxy exited before serving"
            assert time.monotonic() < deadline, "the proxy did not start listening"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
