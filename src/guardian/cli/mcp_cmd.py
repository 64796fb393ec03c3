"""`guardian mcp-proxy [OPTIONS] -- COMMAND ARGS...`: put Guardian between an MCP client and server.

stdout is the MCP wire in stdio mode, so this command writes nothing there itself: every message
(and every error) goes to stderr.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import NoReturn

import typer

from guardian.cli.output import ExitCode, fail
from guardian.core.errors import GuardianError, PolicyError

COMMAND_ARGUMENT = typer.Argument(
    ..., metavar="-- COMMAND [ARGS]...", help="the MCP server to run and govern, after `--`"
)


def mcp_proxy(
    command: list[str] = COMMAND_ARGUMENT,
    policy: Path | None = typer.Option(
        None, "--policy", help="policy file (default: GUARDIAN_POLICY or the packaged default)"
    ),
    agent_id: str = typer.Option("agent", "--agent-id", help="the actor of every intent"),
    database: str | None = typer.Option(
        None,
        "--database",
        help="ledger and approvals URL (default: GUARDIAN_DATABASE_URL or .guardian/guardian.db)",
    ),
    server: str | None = typer.Option(
        None, "--server", help="decide through a running `guardian serve` at this URL"
    ),
    token: str | None = typer.Option(
        None, "--token", envvar="GUARDIAN_TOKEN", help="API token for --server (or GUARDIAN_TOKEN)"
    ),
    ask_timeout: float = typer.Option(
        300.0, "--ask-timeout", min=0, help="seconds to hold an ASK call for a human decision"
    ),
    server_name: str | None = typer.Option(
        None, "--server-name", help="prefix tool names in intents as NAME.tool (several servers)"
    ),
    listen: str | None = typer.Option(
        None, "--listen", metavar="HOST:PORT", help="serve streamable HTTP instead of stdio"
    ),
) -> None:
    """Run an MCP server behind Guardian: each tool call is decided, recorded and redacted."""
    import anyio

    from guardian.integrations.mcp import (
        Listen,
        Settings,
        ToolGovernor,
        UpstreamError,
        UpstreamExited,
        loop_options,
        open_decider,
        run_proxy,
    )

    if server and not token:
        fail("--server needs --token (or GUARDIAN_TOKEN)")
    try:
        where = Listen.parse(listen) if listen else None
    except ValueError as exc:
        fail(str(exc))
    if server_name is not None and (not server_name or "." in server_name):
        fail(f"--server-name {server_name!r}: expected a non-empty name without dots")
    try:
        decider = open_decider(policy=policy, database=database, agent_id=agent_id,
                               server=server, token=token)  # fmt: skip
    except PolicyError as exc:
        fail(str(exc), ExitCode.POLICY_INVALID, details=[p.to_dict() for p in exc.problems])
    except (GuardianError, ValueError) as exc:
        fail(str(exc))
    _log_to_stderr()
    settings = Settings(agent_id=agent_id, server_name=server_name, server_label=server_name,
                        ask_timeout=ask_timeout)  # fmt: skip
    try:
        anyio.run(run_proxy, command, ToolGovernor(decider, settings), where,
                  backend_options=loop_options())  # fmt: skip
    except BaseException as exc:
        error = _leaf(exc)
        if isinstance(error, UpstreamExited):
            _stop(f"guardian mcp-proxy: {error}", ExitCode.FAILED)
        if isinstance(error, (UpstreamError, GuardianError)):
            _stop(f"guardian mcp-proxy: {error}", ExitCode.USAGE)
        if isinstance(error, OSError) and where is not None:
            _stop(f"guardian mcp-proxy: cannot listen on {where.host}:{where.port}: "
                  f"{error.strerror or error}", ExitCode.USAGE)  # fmt: skip
        raise
    finally:
        decider.close()


class _OneLine(logging.Formatter):
    """Log records as one line each: an exception's message, not its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            first = (str(error).splitlines() or [""])[0]
            message = f"{message}: {type(error).__name__}: {first}"
        return f"guardian mcp-proxy: {message}" if record.name.startswith("mcp") else message


def _log_to_stderr() -> None:
    """Warnings from the proxy and the MCP SDK to stderr; tracebacks only with GUARDIAN_DEBUG."""
    handler = logging.StreamHandler(sys.stderr)
    if not os.environ.get("GUARDIAN_DEBUG"):
        handler.setFormatter(_OneLine())
    for name in ("guardian", "mcp"):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG if os.environ.get("GUARDIAN_DEBUG") else logging.WARNING)
        logger.propagate = False


def _leaf(exc: BaseException) -> BaseException:
    """The one error inside task-group wrappers, so users read it and not an ExceptionGroup."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _stop(message: str, code: ExitCode) -> NoReturn:
    print(message, file=sys.stderr, flush=True)
    raise typer.Exit(int(code))
