"""`guardian policy check|test`: validate a policy file and run data-driven cases against it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from guardian.cli.output import FORMAT_OPTION, ExitCode, OutputFormat, fail, print_json, stdout
from guardian.core.errors import PolicyError
from guardian.policy.cases import CasesError, load_cases, run_cases
from guardian.policy.lint import lint
from guardian.policy.load import load_policy

policy_app = typer.Typer(help="Check and test policy files.", no_args_is_help=True)


@policy_app.command("check")
def check(file: Path, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Report every problem in FILE (exit 4), and warn about shadowed or unreachable rules."""
    try:
        policy = load_policy(file)
    except PolicyError as exc:
        if fmt is OutputFormat.json:
            print_json({"valid": False, "problems": [p.to_dict() for p in exc.problems]})
        else:
            for problem in exc.problems:
                stdout.print(f"[red]error[/] {escape(str(problem))}", highlight=False)
            stdout.print(f"{len(exc.problems)} problem(s); policy not loaded", highlight=False)
        raise typer.Exit(int(ExitCode.POLICY_INVALID)) from None
    warnings = lint(policy)
    if fmt is OutputFormat.json:
        print_json({
            "valid": True, "rules": len(policy.rules), "agents": len(policy.agents),
            "policy_hash": policy.policy_hash,
            "warnings": [{"code": w.code, "rule_id": w.rule_id, "line": w.line,
                          "message": w.message} for w in warnings],
        })  # fmt: skip
        return
    for warning in warnings:
        where = f"{file}:{warning.line}" if warning.line else str(file)
        stdout.print(f"[yellow]warning[/] {escape(where)}: rule {escape(repr(warning.rule_id))}: "
                     f"{escape(warning.message)}", highlight=False)  # fmt: skip
    stdout.print(f"ok: {len(policy.rules)} rule(s), {len(policy.agents)} agent allowlist(s), "
                 f"{len(warnings)} warning(s); {policy.policy_hash}", highlight=False)  # fmt: skip


@policy_app.command("test")
def test(
    cases_file: Path,
    policy_file: Path | None = typer.Option(None, "--policy", help="overrides the file's policy:"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Run the cases in CASES_FILE; print failures; exit 1 if any case fails."""
    try:
        cases = load_cases(cases_file)
    except CasesError as exc:
        fail(str(exc), fmt=fmt)
    path = policy_file or cases.policy_path
    if path is None:
        fail(f"{cases_file}: no 'policy:' in the file and no --policy given", fmt=fmt)
    try:
        policy = load_policy(path)
    except PolicyError as exc:
        fail(str(exc), ExitCode.POLICY_INVALID, fmt=fmt,
             details=[p.to_dict() for p in exc.problems])  # fmt: skip
    results = run_cases(policy, cases.cases)
    failed = [r for r in results if not r.passed]
    if fmt is OutputFormat.json:
        print_json({
            "passed": len(results) - len(failed), "failed": len(failed),
            "failures": [{"case": r.case.name, "line": r.case.line, "problems": r.failures}
                         for r in failed],
        })  # fmt: skip
    else:
        if failed:
            table = Table("case", "line", "what differs", title="failed cases")
            for result in failed:
                table.add_row(escape(result.case.name), str(result.case.line or ""),
                              escape("; ".join(result.failures)))  # fmt: skip
            stdout.print(table)
        stdout.print(f"{len(results) - len(failed)} passed, {len(failed)} failed", highlight=False)
    if failed:
        raise typer.Exit(int(ExitCode.FAILED))
