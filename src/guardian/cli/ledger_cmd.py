"""`guardian ledger verify|export|restore|tail|prove` and `guardian db upgrade`.

Results go to stdout (text, or JSON with `--format json`); errors to stderr, never a traceback.
Exit codes: 0 ok, 6 the ledger (or proof) is invalid, 2 bad arguments or unreadable input.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import orjson
import typer
from rich.markup import escape

from guardian.cli.output import FORMAT_OPTION, ExitCode, OutputFormat, fail, print_json, stdout
from guardian.core.errors import GuardianError

ledger_app = typer.Typer(
    help="Verify, export, restore and inspect the ledger.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)

DATABASE_OPTION = typer.Option(
    None,
    "--database",
    "-d",
    help="ledger URL; default GUARDIAN_DATABASE_URL or .guardian/guardian.db",
)


def _error(exc: BaseException, fmt: OutputFormat) -> NoReturn:
    fail(str(exc), ExitCode.USAGE, fmt=fmt)


def _open(database: str | None, fmt: OutputFormat, *, read_only: bool = True) -> Any:
    from guardian.ledger.durable import DurableLedger
    from guardian.ledger.open import open_ledger, resolve_url, sqlite_path

    url = resolve_url(database)
    try:
        db_file = sqlite_path(url)
        if db_file is not None and not db_file.exists():
            fail(f"no ledger database at {db_file}", fmt=fmt)
        ledger = open_ledger(url, read_only=read_only)
    except GuardianError as exc:
        _error(exc, fmt)
    if not isinstance(ledger, DurableLedger):
        fail(f"{url}: not a database (memory:// has nothing to read)", fmt=fmt)
    return ledger


@ledger_app.command("verify")
def verify_cmd(
    source: str | None = typer.Argument(
        None, help="JSONL file, SQLite file or URL (default: --database)"
    ),
    database: str | None = DATABASE_OPTION,
    key: str | None = typer.Option(
        None, "--key", help="public key (PEM/hex/base64 file); default signing.pub beside"
    ),
    checkpoints: Path | None = typer.Option(
        None, "--checkpoints", help="checkpoints JSONL for a JSONL source"
    ),
    proof: Path | None = typer.Option(
        None, "--proof", help="check this proof document instead of a ledger"
    ),
    workers: int | None = typer.Option(
        None, "--workers", help="processes for a large JSONL file (0: one)"
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Check every hash, link and signed checkpoint; exit 6 at the first bad entry."""
    from guardian.ledger.open import resolve_url
    from guardian.ledger.verify import VerifyError, verify, verify_proof

    if proof is not None:
        try:
            doc = orjson.loads(proof.read_bytes())
            report = verify_proof(doc, key or _default_pub())
        except OSError as exc:
            fail(f"{proof}: {exc.strerror}", fmt=fmt)
        except orjson.JSONDecodeError as exc:
            fail(f"{proof}: not JSON ({exc})", ExitCode.LEDGER_INVALID, fmt=fmt)
        except VerifyError as exc:
            _error(exc, fmt)
        if fmt is OutputFormat.json:
            print_json(report.to_dict())
        elif report.ok:
            where = f"entry {report.seq} is in" if report.seq else "the newer tree extends"
            stdout.print(
                f"VALID {report.type} proof: {where} the signed tree of size {report.tree_size}"
            )
        else:
            stdout.print(
                f"INVALID {report.type or ''} proof ({report.reason}): {escape(report.detail or '')}"
            )
        raise typer.Exit(0 if report.ok else int(ExitCode.LEDGER_INVALID))
    target = source or resolve_url(database)
    if target.startswith("memory:"):
        fail("memory:// has no stored ledger to verify", fmt=fmt)
    try:
        result = verify(target, public_key=key, checkpoints=checkpoints, workers=workers)
    except (VerifyError, GuardianError) as exc:
        _error(exc, fmt)
    if fmt is OutputFormat.json:
        print_json(result.to_dict())
    else:
        stdout.print(escape(result.summary()), highlight=False)
        if result.ok and result.signatures == "unchecked":
            stdout.print(
                "note: no public key given or found, checkpoint signatures were not checked"
            )
    raise typer.Exit(0 if result.ok else int(ExitCode.LEDGER_INVALID))


def _default_pub() -> str | None:
    path = Path(".guardian") / "signing.pub"
    return str(path) if path.exists() else None


@ledger_app.command("export")
def export_cmd(
    database: str | None = DATABASE_OPTION,
    output: Path | None = typer.Option(
        None, "--output", "-o", help="write here (and its .checkpoints.jsonl)"
    ),
    after: int = typer.Option(0, "--after", help="only entries with seq > AFTER"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Write the ledger as JSONL (one canonical entry per line) to stdout or --output."""
    from guardian.ledger.checkpoint import checkpoints_path
    from guardian.ledger.restore import export, export_checkpoints

    ledger = _open(database, fmt)
    try:
        if output is None:
            export(ledger, sys.stdout.buffer, after=after)
            return
        with output.open("wb") as f:
            count = export(ledger, f, after=after)
        cps = export_checkpoints(ledger, checkpoints_path(output)) if after == 0 else 0
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror}", fmt=fmt)
    finally:
        ledger.close()
    summary = {"output": str(output), "entries": count, "checkpoints": cps}
    if fmt is OutputFormat.json:
        print_json(summary)
    else:
        stdout.print(
            f"wrote {count} entries to {escape(str(output))} and {cps} checkpoints beside it"
        )


@ledger_app.command("restore")
def restore_cmd(
    file: Path = typer.Argument(..., help="the JSONL mirror or export to rebuild from"),
    database: str | None = DATABASE_OPTION,
    key: str | None = typer.Option(None, "--key", help="public key to check checkpoint signatures"),
    checkpoints: Path | None = typer.Option(
        None, "--checkpoints", help="default: FILE's .checkpoints.jsonl"
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Rebuild a lost database from FILE (verified first), then verify the database."""
    from guardian.ledger.restore import RestoreError, restore
    from guardian.ledger.verify import VerifyError

    if not file.is_file():
        fail(f"no such file: {file}", fmt=fmt)
    try:
        report = restore(file, database, checkpoints=checkpoints, public_key=key)
    except RestoreError as exc:
        fail(str(exc), ExitCode.LEDGER_INVALID, fmt=fmt)
    except (VerifyError, GuardianError) as exc:
        _error(exc, fmt)
    if fmt is OutputFormat.json:
        print_json(report.to_dict())
    else:
        stdout.print(f"restored {report.entries} entries and {report.checkpoints} checkpoints into "
                     f"{escape(report.database)}; {escape(report.verified.summary())}", highlight=False)  # fmt: skip


@ledger_app.command("tail")
def tail_cmd(
    lines: int = typer.Option(10, "--lines", "-n", min=1, help="how many entries"),
    database: str | None = DATABASE_OPTION,
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Print the last N entries."""
    ledger = _open(database, fmt)
    try:
        head = ledger.count()
        entries = list(ledger.entries(max(head - lines, 0)))
    finally:
        ledger.close()
    if fmt is OutputFormat.json:
        print_json([e.to_dict() for e in entries])
        return
    for e in entries:
        summary = orjson.dumps(e.payload).decode()
        summary = summary if len(summary) <= 100 else summary[:97] + "..."
        stdout.print(
            f"{e.seq:>8} {e.ts} {e.kind:<10} {e.hash[:12]} {escape(summary)}", highlight=False
        )


@ledger_app.command("prove")
def prove_cmd(
    seq: int | None = typer.Argument(None, min=1, help="the entry to prove included"),
    database: str | None = DATABASE_OPTION,
    tree_size: int | None = typer.Option(None, "--tree-size", help="prove against this checkpoint"),
    consistency: int | None = typer.Option(
        None, "--consistency", help="old tree size: prove it extends"
    ),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Print an inclusion proof for SEQ (or a consistency proof) as JSON, for `verify --proof`.

    Always JSON: the proof is the document a third party checks."""
    if (seq is None) == (consistency is None):
        fail("give either SEQ or --consistency OLD_SIZE", fmt=fmt)
    ledger = _open(database, fmt, read_only=False)
    try:
        proof = (
            ledger.prove(seq, tree_size)
            if seq is not None
            else ledger.prove_consistency(consistency, tree_size)
        )
    except GuardianError as exc:
        _error(exc, fmt)
    finally:
        ledger.close()
    sys.stdout.write(orjson.dumps(proof.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")


@db_app.callback()
def db_main() -> None:
    """Database schema (Alembic migrations): `guardian db upgrade`."""


@db_app.command("upgrade")
def upgrade_cmd(
    database: str | None = DATABASE_OPTION,
    revision: str = typer.Option("head", "--revision", help="Alembic revision to upgrade to"),
    fmt: OutputFormat = FORMAT_OPTION,
) -> None:
    """Create or upgrade every table to REVISION (runs the packaged Alembic migrations)."""
    from guardian import migrations
    from guardian.ledger.open import resolve_url, sqlite_path

    url = resolve_url(database)
    try:
        db_file = sqlite_path(url)
        if db_file is not None:
            db_file.parent.mkdir(parents=True, exist_ok=True)
            url = f"sqlite:///{db_file.absolute()}"
        migrations.upgrade(url, revision)
    except Exception as exc:  # alembic and drivers raise many types; none may reach the user raw
        fail(f"upgrade failed: {type(exc).__name__}: {exc}", fmt=fmt)
    heads = sorted(migrations.head_revisions()) if revision == "head" else [revision]
    if fmt is OutputFormat.json:
        print_json({"database": url.split("@")[-1], "revision": heads})
    else:
        stdout.print(f"database at revision {', '.join(heads)}", highlight=False)
