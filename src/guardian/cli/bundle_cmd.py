"""`guardian bundle export|verify`: a session's signed audit bundle, and checking one offline."""

from __future__ import annotations

from pathlib import Path

import orjson
import typer
from rich.markup import escape

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

bundle_app = typer.Typer(help="Export and verify session audit bundles.", no_args_is_help=True)


@bundle_app.command("export")
def export(
    session_id: str,
    database: str | None = DATABASE_OPTION,
    out: Path | None = typer.Option(
        None, "--out", "-o", help="write to this file instead of stdout"
    ),
) -> None:
    """Rebuild SESSION's bundle from the ledger, sign it, and print (or write) it as JSON."""
    from guardian.facade import Guardian
    from guardian.governance.sessions import session_bundle

    try:
        with Guardian(ledger=database or "") as guardian:
            bundle = session_bundle(guardian, session_id)
    except GuardianError as exc:
        fail(str(exc))
    if out is None:
        typer.echo(bundle.to_json())
    else:
        out.write_text(bundle.to_json() + "\n", encoding="utf-8")
        stdout.print(f"wrote {escape(str(out))}: {len(bundle.decisions)} decisions, "
                     f"{len(bundle.outcomes)} outcomes", highlight=False)  # fmt: skip


@bundle_app.command("verify")
def verify(
    file: Path,
    key: Path = typer.Option(
        ..., "--key", help="the signer's public key (PEM, hex or base64 file)"
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Check FILE offline against KEY: signature and every entry's hash. Exit 6 when invalid."""
    from guardian.governance.bundles import verify_bundle
    from guardian.ledger.checkpoint import CheckpointError, load_public_key

    try:
        public_key = load_public_key(key.read_bytes())
    except (OSError, CheckpointError) as exc:
        fail(f"{key}: {exc}", fmt=fmt)
    try:
        data = orjson.loads(file.read_bytes())
    except OSError as exc:
        fail(f"{file}: {exc.strerror}", fmt=fmt)
    except orjson.JSONDecodeError as exc:
        fail(f"{file}: not JSON ({exc})", ExitCode.LEDGER_INVALID, fmt=fmt)
    report = verify_bundle(data, public_key)
    if fmt is OutputFormat.json:
        print_json(report.to_dict())
    elif report.ok:
        stdout.print(f"VALID: {escape(str(file))} is signed by the key and every entry matches its hash",
                     highlight=False)  # fmt: skip
    else:
        stdout.print(f"INVALID: {escape(str(file))}", highlight=False)
        for problem in report.problems:
            stdout.print(f"  {escape(problem)}", highlight=False)
    if not report.ok:
        raise typer.Exit(int(ExitCode.LEDGER_INVALID))
