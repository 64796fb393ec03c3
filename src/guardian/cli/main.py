"""The `guardian` command: one typer app, one sub-app or command per module."""

from __future__ import annotations

import os
import sys

import typer

from guardian import __version__
from guardian.cli.approvals_cmd import approvals_app
from guardian.cli.bundle_cmd import bundle_app
from guardian.cli.control_cmd import budget_app, charge, pause, resume
from guardian.cli.decide_cmd import decide
from guardian.cli.demo_cmd import demo
from guardian.cli.intervene_cmd import agents_app, events_app, interventions_app, tasks_app
from guardian.cli.ledger_cmd import db_app, ledger_app
from guardian.cli.mcp_cmd import mcp_proxy
from guardian.cli.output import ExitCode, stderr
from guardian.cli.policy_cmd import policy_app
from guardian.cli.replay_cmd import replay_command
from guardian.cli.run_cmd import init
from guardian.cli.run_cmd import run as run_agent
from guardian.cli.serve_cmd import serve
from guardian.cli.status_cmd import scoreboard, status
from guardian.cli.token_cmd import token_app
from guardian.cli.watchdog_cmd import watchdog

app = typer.Typer(
    name="guardian",
    help="Governance runtime for tool-using AI agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(policy_app, name="policy")
ledger_app.command("replay")(replay_command)
app.add_typer(ledger_app, name="ledger")
app.add_typer(db_app, name="db")
app.add_typer(approvals_app, name="approvals")
app.add_typer(bundle_app, name="bundle")
app.command("decide")(decide)
app.command("demo")(demo)
app.add_typer(token_app, name="token")
app.command("serve")(serve)
app.command("mcp-proxy")(mcp_proxy)
app.command("pause")(pause)
app.command("resume")(resume)
app.add_typer(budget_app, name="budget")
app.command("charge")(charge)
app.command("watchdog")(watchdog)
app.command("run")(run_agent)
app.command("init")(init)
app.command("status")(status)
app.command("scoreboard")(scoreboard)
app.add_typer(agents_app, name="agents")
app.add_typer(tasks_app, name="tasks")
app.add_typer(interventions_app, name="interventions")
app.add_typer(events_app, name="events")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"guardian {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="print the version and exit"
    ),
) -> None:
    """Governance runtime for tool-using AI agents."""


def run() -> None:
    """Entry point: no traceback reaches a user unless GUARDIAN_DEBUG is set."""
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("GUARDIAN_DEBUG"):
            raise
        stderr.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}", highlight=False)
        sys.exit(int(ExitCode.INTERNAL))
