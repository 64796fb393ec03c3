"""`guardian pause|resume|budget|charge`: the kill switch and the spend caps, on the local database."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from guardian.cli.local import LocalState, local_admin
from guardian.cli.output import (
    DATABASE_OPTION,
    FORMAT_OPTION,
    ExitCode,
    OutputFormat,
    fail,
    print_json,
    stdout,
)
from guardian.core.errors import GuardianError

budget_app = typer.Typer(help="Spend caps per agent or session.", no_args_is_help=True)


def _target(agent: str | None, session: str | None, everything: bool) -> tuple[str, str]:
    chosen = [x for x in (agent, session, "*" if everything else None) if x]
    if len(chosen) != 1:
        fail("name exactly one of AGENT, --session ID or --all")
    if everything:
        return "all", "*"
    return ("session", str(session)) if session else ("agent", str(agent))


def pause(agent: str | None = typer.Argument(None), session: str | None = typer.Option(None, "--session"),
          everything: bool = typer.Option(False, "--all", help="pause every agent (kill switch)"),
          reason: str = typer.Option("paused from the CLI", "--reason"), database: str | None = DATABASE_OPTION) -> None:  # fmt: skip
    """Pause an agent, a session, or everything: every further intent is DENY `paused`."""
    scope, key = _target(agent, session, everything)
    with LocalState(database) as state:
        changed = state.pauses.pause(scope, key, local_admin(), reason)
    stdout.print(
        f"{'paused' if changed else 'already paused'}: {scope} {escape(key)}", highlight=False
    )


def resume(agent: str | None = typer.Argument(None), session: str | None = typer.Option(None, "--session"),
           everything: bool = typer.Option(False, "--all"), reason: str = typer.Option("", "--reason"),
           database: str | None = DATABASE_OPTION) -> None:  # fmt: skip
    """Lift a pause (admin)."""
    scope, key = _target(agent, session, everything)
    with LocalState(database) as state:
        changed = state.pauses.resume(scope, key, local_admin(), reason)
    stdout.print(
        f"{'resumed' if changed else 'was not paused'}: {scope} {escape(key)}", highlight=False
    )


@budget_app.command("set")
def set_cap(agent: str, unit: str = typer.Argument(..., help="calls, tokens or money"), cap: str = typer.Argument(...),
            currency: str = typer.Option("", "--currency"), window: str | None = typer.Option(None, "--window", help="e.g. 1d; default: in total"),
            session: bool = typer.Option(False, "--session", help="AGENT names a session"), database: str | None = DATABASE_OPTION,
            fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Create or change a cap."""
    from guardian.core.duration import parse_duration

    try:
        seconds = int(parse_duration(window)) if window else None
        with LocalState(database) as state:
            budget = state.budgets.set_cap("session" if session else "agent", agent, unit, cap, local_admin(),
                                           currency=currency, window_seconds=seconds)  # fmt: skip
    except (GuardianError, ValueError) as exc:
        fail(str(exc), fmt=fmt)
    print_json(budget.to_dict()) if fmt is OutputFormat.json else stdout.print(
        f"{budget.scope} {escape(budget.key)}: {budget.to_dict()['cap']} cap, {budget.to_dict()['spent']} spent",
        highlight=False)  # fmt: skip


@budget_app.command("list")
def list_caps(database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Every cap with what has been spent."""
    with LocalState(database) as state:
        items = [b.to_dict() for b in state.budgets.all()]
    if fmt is OutputFormat.json:
        print_json(items)
        return
    table = Table("scope", "key", "unit", "spent", "cap", "window")
    for b in items:
        table.add_row(
            b["scope"],
            escape(b["key"]),
            b["unit"],
            b["spent"],
            b["cap"],
            str(b["window_seconds"] or "total"),
        )
    stdout.print(table)


def charge(agent: str, unit: str, amount: str, currency: str = typer.Option("", "--currency"),
           note: str = typer.Option("", "--note"), database: str | None = DATABASE_OPTION,
           fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Record spend for AGENT (as the local admin service). Refused for unknown agents and bad amounts."""
    try:
        with LocalState(database) as state:
            budget = state.budgets.charge(
                agent, unit, amount, local_admin(), currency=currency, note=note
            )
    except GuardianError as exc:
        fail(str(exc), ExitCode.DENY if exc.code == "budget_exhausted" else ExitCode.USAGE, fmt=fmt)
    print_json(budget.to_dict()) if fmt is OutputFormat.json else stdout.print(
        f"charged: {budget.to_dict()['spent']} of {budget.to_dict()['cap']}", highlight=False
    )
