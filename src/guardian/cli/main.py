"""The `guardian` command: one typer app, one sub-app or command per module."""

from __future__ import annotations

import os
import sys

import typer

from guardian import __version__
from guardian.cli.approvals_cmd import approvals_app
from guardian.cli.bundle_cmd import bundle_app
from guardian.cli.decide_cmd import decide
from guardian.cli.demo_cmd import demo
from guardian.cli.output import ExitCode, stderr
from guardian.cli.policy_cmd import policy_app

app = typer.Typer(
    name="guardian",
    help="Governance runtime for tool-using AI agents.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(policy_app, name="policy")
app.add_typer(approvals_app, name="approvals")
app.add_typer(bundle_app, name="bundle")
app.command("decide")(decide)
app.command("demo")(demo)


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
