"""`guardian ledger replay`: re-decide the recorded intents; with --policy, what a new policy changes."""

from __future__ import annotations

from pathlib import Path
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
from guardian.core.errors import GuardianError, PolicyError


def replay_command(
    database: str | None = DATABASE_OPTION,
    file: Path | None = typer.Option(
        None, "--file", help="replay a JSONL ledger file instead of a database"
    ),
    policy: Path | None = typer.Option(
        None, "--policy", help="replay under this policy instead: what would change"
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Replay every decision. Exit 0 when all match, 6 when any differs (or, with --policy, 1)."""
    from guardian.governance.replay import ReplayError, replay, replay_jsonl
    from guardian.ledger.entry import EntryError
    from guardian.policy.load import load_policy

    try:
        new_policy = load_policy(policy) if policy is not None else None
    except PolicyError as exc:
        fail(str(exc), ExitCode.POLICY_INVALID, fmt=fmt)
    try:
        if file is not None:
            report = replay_jsonl(file, new_policy)
        else:
            from guardian.ledger.open import open_ledger, resolve_url

            ledger = open_ledger(resolve_url(database), read_only=True)
            try:
                report = replay(ledger.entries(), new_policy)
            finally:
                ledger.close()
    except OSError as exc:
        fail(f"{file}: {exc.strerror}", fmt=fmt)
    except (EntryError, ReplayError, GuardianError) as exc:
        fail(str(exc), ExitCode.LEDGER_INVALID, fmt=fmt)
    if fmt is OutputFormat.json:
        print_json(report.to_dict())
    else:
        if report.mismatches:
            table = Table("seq", "decision id", "recorded", "replayed",
                          title="would change" if new_policy else "mismatches")  # fmt: skip
            for m in report.mismatches:
                table.add_row(
                    str(m.seq), m.decision_id, escape(_show(m.recorded)), escape(_show(m.replayed))
                )
            stdout.print(table)
        word = "differ under the new policy" if new_policy else "differ from the record"
        stdout.print(f"{report.verdict}: {report.decisions} decisions replayed, "
                     f"{len(report.mismatches)} {word}", highlight=False)  # fmt: skip
    if report.mismatches:
        raise typer.Exit(int(ExitCode.FAILED if new_policy else ExitCode.LEDGER_INVALID))


def _show(outcome: dict[str, Any]) -> str:
    if "error" in outcome:
        return f"error: {outcome['error']}"
    reasons = ",".join(str(r) for r in outcome["reasons"])
    return f"{outcome['decision']} rule={outcome['rule_id']} {reasons}"
