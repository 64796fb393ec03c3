"""How every command speaks: results to stdout (rich tables or `--format json`), errors to stderr."""

from __future__ import annotations

import enum
import sys
from typing import Any, NoReturn

import orjson
import typer
from rich.console import Console

# Piped output is read by scripts and people alike: wide enough that ids and hashes are not cut.
stdout = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 200)
stderr = Console(stderr=True, soft_wrap=True, width=None if sys.stderr.isatty() else 200)


class OutputFormat(enum.StrEnum):
    text = "text"
    json = "json"


FORMAT_OPTION = typer.Option(OutputFormat.text, "--format", help="text (tables) or json")
#: The database every local command works on; one declaration so the default is said once.
DATABASE_OPTION = typer.Option(
    None,
    "--database",
    help="database URL (default: GUARDIAN_DATABASE_URL or .guardian/guardian.db)",
)


class ExitCode(enum.IntEnum):
    """Documented in docs/cli.md; scripts rely on them."""

    OK = 0
    FAILED = 1  # a test case failed
    USAGE = 2  # bad arguments or unreadable input
    DENY = 3
    POLICY_INVALID = 4
    ASK = 5
    LEDGER_INVALID = 6
    INTERNAL = 70


def print_json(data: Any) -> None:
    sys.stdout.write(
        orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()
    )
    sys.stdout.write("\n")


def fail(message: str, code: ExitCode = ExitCode.USAGE, *, details: Any = None,
         fmt: OutputFormat = OutputFormat.text) -> NoReturn:  # fmt: skip
    """Report an error on stderr (as JSON too when asked) and exit with `code`."""
    if fmt is OutputFormat.json:
        error = {"error": {"code": code.name.lower(), "message": message, "details": details}}
        sys.stderr.write(orjson.dumps(error).decode() + "\n")
    else:
        stderr.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(int(code))
