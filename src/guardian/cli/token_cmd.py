"""`guardian token create|list|revoke`: the credentials of the HTTP API, managed on the database.

Whoever may write the database may mint tokens, so these commands work on it directly, never over
the API. The secret is printed once, at creation; only its SHA-256 is stored.
"""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from guardian.cli.output import (
    DATABASE_OPTION,
    FORMAT_OPTION,
    OutputFormat,
    fail,
    print_json,
    stdout,
)
from guardian.core.clock import SYSTEM_CLOCK
from guardian.core.duration import parse_duration
from guardian.governance.tokens import ROLES, TokenError, TokenStore

token_app = typer.Typer(help="Create, list and revoke API tokens.", no_args_is_help=True)


def _store(database: str | None) -> TokenStore:
    """The token table of the database, created or upgraded first (opening the ledger migrates)."""
    from guardian.ledger.open import open_ledger, resolve_url
    from guardian.storage.engine import open_engine

    url = resolve_url(database)
    if url.startswith("memory"):
        fail("tokens live in a database: use --database sqlite:///path.db or postgresql://...")
    open_ledger(url, signing_key=False, mirror=False).close()
    return TokenStore(open_engine(url), SYSTEM_CLOCK)


@token_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="unique among active tokens"),
    role: str = typer.Option(..., "--role", help=" | ".join(ROLES)),
    agent_id: str | None = typer.Option(
        None, "--agent-id", help="the actor this token decides as (default: the name)"
    ),
    authority: int | None = typer.Option(
        None,
        "--authority",
        min=1,
        max=5,
        help="1-5 (default by role: agent 1, approver 3, guardian 4, admin 5)",
    ),
    expires: str | None = typer.Option(None, "--expires", help="lifetime, e.g. 12h, 30d"),
    database: str | None = DATABASE_OPTION,
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create a token and print its secret (shown this once)."""
    try:
        seconds = parse_duration(expires) if expires else None
        secret, info = _store(database).create(name, role, agent_id=agent_id,
                                                authority=authority, expires_in=seconds)  # fmt: skip
    except (TokenError, ValueError) as exc:
        fail(str(exc), fmt=fmt)
    if fmt is OutputFormat.json:
        print_json({**info.to_dict(), "token": secret})
        return
    stdout.print(f"created {escape(info.role)} token {escape(info.name)} (id {info.id}"
                 f"{', expires ' + info.expires_at if info.expires_at else ''}); "
                 "the secret is shown only now:", highlight=False)  # fmt: skip
    typer.echo(secret)


@token_app.command("list")
def list_(database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Tokens without their secrets, with their status (active, expired, revoked)."""
    items = _store(database).all()
    now = SYSTEM_CLOCK.now_iso()
    if fmt is OutputFormat.json:
        print_json([t.to_dict(now) for t in items])
        return
    table = Table("id", "name", "role", "agent", "authority", "status", "expires", "hint")
    for t in items:
        table.add_row(t.id, escape(t.name), t.role, escape(t.agent_id or ""), str(t.authority),
                      t.status(now), t.expires_at or "never", escape(t.hint))  # fmt: skip
    stdout.print(table)


@token_app.command("revoke")
def revoke(name_or_id: str, database: str | None = DATABASE_OPTION,
           fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Revoke a token now: every server sharing the database refuses it from the next request."""
    try:
        info = _store(database).revoke(name_or_id)
    except TokenError as exc:
        fail(str(exc), fmt=fmt)
    if fmt is OutputFormat.json:
        print_json(info.to_dict(SYSTEM_CLOCK.now_iso()))
        return
    stdout.print(f"revoked token {escape(info.name)} (id {info.id})", highlight=False)
