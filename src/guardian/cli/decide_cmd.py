"""`guardian decide`: one intent against a policy file; the exit code is the verdict."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import typer
from rich.markup import escape

from guardian.cli.output import FORMAT_OPTION, ExitCode, OutputFormat, fail, print_json, stdout
from guardian.core.decision import Decision
from guardian.core.errors import IntentError, PolicyError
from guardian.core.principal import Principal
from guardian.facade import Guardian

EXIT_FOR = {Decision.ALLOW: ExitCode.OK, Decision.DENY: ExitCode.DENY, Decision.ASK: ExitCode.ASK}


def parse_pairs(pairs: list[str], option: str) -> dict[str, Any]:
    """`k=v` pairs; v is read as JSON when it is JSON (numbers, true, [..]), else as a string."""
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ValueError(f"{option} {pair!r}: expected KEY=VALUE")
        try:
            out[key] = orjson.loads(value)
        except orjson.JSONDecodeError:
            out[key] = value
    return out


def decide(
    policy: Path = typer.Option(..., "--policy", help="policy file (YAML, JSON or TOML)"),
    actor: str = typer.Option(..., "--actor"),
    action: str = typer.Option(..., "--action"),
    target: str = typer.Option("", "--target"),
    param: list[str] = typer.Option([], "--param", help="KEY=VALUE, repeatable"),
    metadata: list[str] = typer.Option([], "--metadata", help="KEY=VALUE, repeatable"),
    session: str | None = typer.Option(None, "--session"),
    authority: int = typer.Option(1, "--authority", min=1, max=5, help="the caller's authority"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Decide one intent. Exit 0 ALLOW, 3 DENY, 5 ASK (4 invalid policy, 2 bad input)."""
    try:
        params, meta = parse_pairs(param, "--param"), parse_pairs(metadata, "--metadata")
        guardian = Guardian(policy)
        record = guardian.decide(
            actor, action, target, params, meta, session,
            principal=Principal(actor, "agent", authority),
        )  # fmt: skip
    except PolicyError as exc:
        fail(
            str(exc), ExitCode.POLICY_INVALID, fmt=fmt, details=[p.to_dict() for p in exc.problems]
        )
    except (IntentError, ValueError) as exc:
        fail(str(exc), fmt=fmt)
    if fmt is OutputFormat.json:
        print_json(record.to_dict())
    else:
        colour = {"ALLOW": "green", "DENY": "red", "ASK": "yellow"}[record.decision.value]
        stdout.print(f"[bold {colour}]{record.decision.value}[/] rule={escape(str(record.rule_id))}",
                     highlight=False)  # fmt: skip
        for reason in record.reasons:
            stdout.print(f"  {escape(reason.code)}: {escape(reason.message)}", highlight=False)
    raise typer.Exit(int(EXIT_FOR[record.decision]))
