"""`guardian approvals list|show|approve|reject`: decide proposals from a terminal.

Two modes, same commands and output:
- against a server (`--server URL --token T`, or GUARDIAN_URL / GUARDIAN_TOKEN): through its API,
  as the token's principal (an approver or admin token to decide);
- local (`--database`, default `GUARDIAN_DATABASE_URL` or `.guardian/guardian.db`): on the database
  directly; whoever may write it is trusted as the approver, recorded as `local:<OS user>`.
"""

from __future__ import annotations

import getpass
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

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
from guardian.core.principal import Principal
from guardian.governance.approvals import (
    ApprovalConflict,
    ApprovalForbidden,
    Approvals,
    ProposalNotFound,
)
from guardian.governance.proposals import STATUSES, ProposalStore

approvals_app = typer.Typer(help="List and decide proposals (ASK verdicts).", no_args_is_help=True)

SERVER_OPTION = typer.Option(None, "--server", envvar="GUARDIAN_URL",
                             help="a Guardian server's URL: work through its API")  # fmt: skip
TOKEN_OPTION = typer.Option(None, "--token", envvar="GUARDIAN_TOKEN",
                            help="bearer token for --server")  # fmt: skip


def _approvals(database: str | None) -> Approvals:
    from guardian.core.clock import SYSTEM_CLOCK
    from guardian.ledger.open import open_ledger, resolve_url
    from guardian.storage.engine import open_engine

    url = resolve_url(database)
    ledger = open_ledger(url)
    return Approvals(ProposalStore(open_engine(url)), ledger, SYSTEM_CLOCK)


def _local_approver() -> Principal:
    return Principal(f"local:{getpass.getuser()}", "approver", 1)


class _Remote:
    """The server mode: a GuardianClient, with its refusals mapped to the CLI's exit codes."""

    def __init__(self, server: str, token: str | None, fmt: OutputFormat) -> None:
        from guardian.client import GuardianClient

        if not token:
            fail("--server needs --token (or GUARDIAN_TOKEN)", fmt=fmt)
        self.client = GuardianClient(server, token)
        self.fmt = fmt

    def run(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        from guardian.client import ApiError

        try:
            return call(*args, **kwargs)
        except ApiError as exc:
            code = {403: ExitCode.DENY, 409: ExitCode.FAILED}.get(exc.status, ExitCode.USAGE)
            fail(exc.message, code, fmt=self.fmt, details=exc.details)


def _show(proposal: dict[str, Any], fmt: OutputFormat) -> None:
    if fmt is OutputFormat.json:
        print_json(proposal)
        return
    for key, value in proposal.items():
        stdout.print(f"[bold]{key}[/]: {escape(str(value))}", highlight=False)


@approvals_app.command("list")
def list_(status: str = typer.Option("pending", "--status", help=f"one of {', '.join(STATUSES)} or all"),
          database: str | None = DATABASE_OPTION, server: str | None = SERVER_OPTION,
          token: str | None = TOKEN_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Proposals, newest first."""
    if status != "all" and status not in STATUSES:
        fail(f"--status must be one of {', '.join(STATUSES)} or all", fmt=fmt)
    wanted = None if status == "all" else status
    if server:
        remote = _Remote(server, token, fmt)
        items: list[dict[str, Any]] = remote.run(remote.client.proposals, wanted)
    else:
        items = [p.to_dict() for p in _approvals(database).recent(wanted)]
    if fmt is OutputFormat.json:
        print_json(items)
        return
    table = Table("id", "status", "actor", "action", "target", "rule", "expires")
    for p in items:
        table.add_row(p["id"], p["status"], escape(p["actor"]), escape(p["action"]),
                      escape(p["target"]), escape(str(p["rule_id"])), p["expires_at"])  # fmt: skip
    stdout.print(table)


@approvals_app.command("show")
def show(proposal_id: str, database: str | None = DATABASE_OPTION,
         server: str | None = SERVER_OPTION, token: str | None = TOKEN_OPTION,
         fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """One proposal with its full intent."""
    if server:
        remote = _Remote(server, token, fmt)
        _show(remote.run(remote.client.proposal, proposal_id), fmt)
        return
    try:
        _show(_approvals(database).current(proposal_id).to_dict(), fmt)
    except ProposalNotFound as exc:
        fail(str(exc), fmt=fmt)


def _decide(proposal_id: str, approve: bool, reason: str, database: str | None,
            server: str | None, token: str | None, fmt: OutputFormat,
            grant_hours: float | None = None, grant_target: str | None = None) -> None:  # fmt: skip
    if server:
        remote = _Remote(server, token, fmt)
        if approve:
            result = remote.run(remote.client.approve, proposal_id, reason,
                                grant_hours=grant_hours, grant_target=grant_target)  # fmt: skip
        else:
            result = remote.run(remote.client.reject, proposal_id, reason)
        _show(result["proposal"], fmt)
        return
    approvals = _approvals(database)
    try:
        if not approve:
            decided = approvals.reject(proposal_id, _local_approver(), reason)
        elif grant_hours is not None:
            decided, _ = approvals.approve_and_grant(proposal_id, _local_approver(), reason,
                                                     hours=grant_hours, target=grant_target)  # fmt: skip
        else:
            decided = approvals.approve(proposal_id, _local_approver(), reason)
        _show(decided.to_dict(), fmt)
    except ApprovalForbidden as exc:
        fail(str(exc), ExitCode.DENY, fmt=fmt, details={"flag": exc.flag})
    except ApprovalConflict as exc:
        fail(str(exc), ExitCode.FAILED, fmt=fmt)
    except GuardianError as exc:
        fail(str(exc), fmt=fmt)


@approvals_app.command("approve")
def approve(proposal_id: str, reason: str = typer.Option("", "--reason"),
            grant_hours: float | None = typer.Option(None, "--grant-hours",
                                                     help="also allow the same actor + action for N hours"),
            grant_target: str | None = typer.Option(None, "--grant-target",
                                                    help="target pattern of the grant (default: this target)"),
            database: str | None = DATABASE_OPTION, server: str | None = SERVER_OPTION,
            token: str | None = TOKEN_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Approve a pending proposal: its exact intent may then run once."""
    _decide(proposal_id, True, reason, database, server, token, fmt, grant_hours, grant_target)


@approvals_app.command("reject")
def reject(proposal_id: str, reason: str = typer.Option(..., "--reason"),
           database: str | None = DATABASE_OPTION, server: str | None = SERVER_OPTION,
           token: str | None = TOKEN_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Reject a pending proposal (a reason is required)."""
    _decide(proposal_id, False, reason, database, server, token, fmt)
