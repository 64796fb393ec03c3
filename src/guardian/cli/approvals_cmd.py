"""`guardian approvals list|show|approve|reject`: decide proposals from a terminal.

Local mode works on the database directly (`--database`, default `GUARDIAN_DATABASE_URL` or
`.guardian/guardian.db`): whoever may write that database is trusted as the approver, recorded as
`local:<OS user>`. Against a running server, use its API with an approver token instead.
"""

from __future__ import annotations

import getpass

import typer
from rich.markup import escape
from rich.table import Table

from guardian.cli.output import FORMAT_OPTION, ExitCode, OutputFormat, fail, print_json, stdout
from guardian.core.errors import GuardianError
from guardian.core.principal import Principal
from guardian.governance.approvals import (
    ApprovalConflict,
    ApprovalForbidden,
    Approvals,
    ProposalNotFound,
)
from guardian.governance.proposals import STATUSES, Proposal, ProposalStore

approvals_app = typer.Typer(help="List and decide proposals (ASK verdicts).", no_args_is_help=True)

DATABASE_OPTION = typer.Option(
    None,
    "--database",
    help="database URL (default: GUARDIAN_DATABASE_URL or .guardian/guardian.db)",
)


def _approvals(database: str | None) -> Approvals:
    from guardian.ledger.open import open_ledger, resolve_url
    from guardian.storage.engine import open_engine

    url = resolve_url(database)
    ledger = open_ledger(url)
    from guardian.core.clock import SYSTEM_CLOCK

    return Approvals(ProposalStore(open_engine(url)), ledger, SYSTEM_CLOCK)


def _local_approver() -> Principal:
    return Principal(f"local:{getpass.getuser()}", "approver", 1)


def _show(proposal: Proposal, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json(proposal.to_dict())
        return
    for key, value in proposal.to_dict().items():
        stdout.print(f"[bold]{key}[/]: {escape(str(value))}", highlight=False)


@approvals_app.command("list")
def list_(status: str = typer.Option("pending", "--status", help=f"one of {', '.join(STATUSES)} or all"),
          database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Proposals, newest first."""
    if status != "all" and status not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)} or all", fmt=fmt)
    approvals = _approvals(database)
    items = approvals.store.recent(None if status == "all" else status)
    if fmt is OutputFormat.json:
        print_json([p.to_dict() for p in items])
        return
    table = Table("id", "status", "actor", "action", "target", "rule", "expires")
    for p in items:
        table.add_row(p.id, p.status, escape(p.actor), escape(p.action), escape(p.target),
                      escape(str(p.rule_id)), p.expires_at)  # fmt: skip
    stdout.print(table)


@approvals_app.command("show")
def show(
    proposal_id: str, database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION
) -> None:
    """One proposal with its full intent."""
    try:
        _show(_approvals(database).get(proposal_id), fmt)
    except ProposalNotFound as exc:
        fail(str(exc), fmt=fmt)


def _decide(
    proposal_id: str, approve: bool, reason: str, database: str | None, fmt: OutputFormat
) -> None:
    approvals = _approvals(database)
    try:
        decide = approvals.approve if approve else approvals.reject
        _show(decide(proposal_id, _local_approver(), reason), fmt)
    except ApprovalForbidden as exc:
        fail(str(exc), ExitCode.DENY, fmt=fmt, details={"flag": exc.flag})
    except ApprovalConflict as exc:
        fail(str(exc), ExitCode.FAILED, fmt=fmt)
    except GuardianError as exc:
        fail(str(exc), fmt=fmt)


@approvals_app.command("approve")
def approve(proposal_id: str, reason: str = typer.Option("", "--reason"),
            database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Approve a pending proposal: its exact intent may then run once."""
    _decide(proposal_id, True, reason, database, fmt)


@approvals_app.command("reject")
def reject(proposal_id: str, reason: str = typer.Option(..., "--reason"),
           database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Reject a pending proposal (a reason is required)."""
    _decide(proposal_id, False, reason, database, fmt)
