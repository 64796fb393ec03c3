"""`open_ledger(url)`: one call from a URL to a ready store, with Guardian's defaults.

- `memory://`: an in-memory chain (tests, demos).
- `sqlite:///relative/file.db`, `sqlite:////absolute/file.db` or a bare path: the SQLite store, with
  the JSONL mirror beside it (`ledger.jsonl` for `guardian.db`, else `<name>.jsonl`) and the signing
  key `signing.key` in the same directory. The default (no URL, no `GUARDIAN_DATABASE_URL`) is
  `.guardian/guardian.db` in the current directory.
- `postgresql://...`, `postgres://...`, `postgresql+psycopg://...`: the PostgreSQL store. A local
  mirror only when `mirror=` names a file (one host's file cannot order many hosts' appends); the
  key is `GUARDIAN_SIGNING_KEY` or `.guardian/signing.key`.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.ledger.durable import DurableLedger
from guardian.ledger.errors import LedgerError
from guardian.ledger.keys import KEY_ENV, load_or_create_signing_key
from guardian.ledger.memory import MemoryLedger
from guardian.ledger.store import Ledger

URL_ENV = "GUARDIAN_DATABASE_URL"
DEFAULT_DIR = Path(".guardian")
DEFAULT_URL = "sqlite:///.guardian/guardian.db"
_PG_PREFIXES = ("postgresql://", "postgres://", "postgresql+psycopg://")

SigningKey = Ed25519PrivateKey | str | Path | bool | None


def resolve_url(url: str | None) -> str:
    """The URL to use: the given one, else $GUARDIAN_DATABASE_URL, else the embedded default."""
    return url or os.environ.get(URL_ENV) or DEFAULT_URL


def sqlite_path(url: str) -> Path | None:
    """The database file a SQLite URL (or bare path) names; None for other schemes."""
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :].split("?", 1)[0]
        if not path or path == ":memory:":
            raise LedgerError(
                f"{url!r}: an in-memory SQLite ledger is not supported; use memory://"
            )
        return Path(path)
    if "://" in url:
        return None
    return Path(url)


def is_postgres(url: str) -> bool:
    return url.startswith(_PG_PREFIXES)


def mirror_path_for(db: Path) -> Path:
    return db.with_name("ledger.jsonl") if db.name == "guardian.db" else db.with_suffix(".jsonl")


def open_ledger(
    url: str | None = None,
    *,
    clock: Clock = SYSTEM_CLOCK,
    mirror: bool | str | Path = True,
    signing_key: SigningKey = None,
    checkpoint_every: int = 1000,
    checkpoint_interval: float | None = 60.0,
    read_only: bool = False,
    mirror_sync: str = "background",
) -> Ledger:
    """Open (creating and migrating as needed) the ledger at `url`.

    `signing_key`: None = the default key file (generated on first use, 0600), a path, a key, or
    False for no checkpoints. `read_only` opens without a writer, migrations or mirror repair.
    `mirror_sync`: "background" (the mirror's fdatasync follows the answer; the database commit
    is what makes an entry durable) or "before_ack" (both before the answer, slower).
    """
    url = resolve_url(url)
    if url == "memory://" or url.startswith("memory:"):
        return MemoryLedger(clock)
    db_file = sqlite_path(url)
    if db_file is not None:
        return _open_sqlite(
            db_file, clock, mirror, signing_key, checkpoint_every, checkpoint_interval, read_only,
            mirror_sync,
        )  # fmt: skip
    if is_postgres(url):
        return _open_postgres(
            url, clock, mirror, signing_key, checkpoint_every, checkpoint_interval, read_only,
            mirror_sync,
        )  # fmt: skip
    raise LedgerError(
        f"unsupported ledger URL {url.split('://', 1)[0]}://...; "
        "use memory://, sqlite:///path/to/file.db or postgresql://..."
    )


def _key(signing_key: SigningKey, default: Path, read_only: bool) -> Ed25519PrivateKey | None:
    if signing_key is False or read_only:
        return None
    if isinstance(signing_key, Ed25519PrivateKey):
        return signing_key
    if signing_key is None or signing_key is True:
        env = os.environ.get(KEY_ENV)
        return load_or_create_signing_key(Path(env) if env else default)
    return load_or_create_signing_key(Path(signing_key))


def _open_sqlite(
    path: Path,
    clock: Clock,
    mirror: bool | str | Path,
    signing_key: SigningKey,
    every: int,
    interval: float | None,
    read_only: bool,
    mirror_sync: str,
) -> DurableLedger:
    from guardian.ledger.sqlite import SqliteDatabase, ensure_schema

    path = path.expanduser().absolute()
    if read_only:
        if not path.exists():
            raise LedgerError(f"no ledger database at {path}")
    else:
        if not path.parent.exists():
            path.parent.mkdir(parents=True, mode=0o700)
        ensure_schema(path)
    mirror_file = mirror_path_for(path) if mirror is True else Path(mirror) if mirror else None
    return DurableLedger(
        SqliteDatabase(path, read_only=read_only),
        clock=clock,
        mirror_path=mirror_file,
        signing_key=_key(signing_key, path.parent / "signing.key", read_only),
        checkpoint_every=every,
        checkpoint_interval=interval,
        read_only=read_only,
        mirror_sync=mirror_sync,
    )


def _open_postgres(
    url: str,
    clock: Clock,
    mirror: bool | str | Path,
    signing_key: SigningKey,
    every: int,
    interval: float | None,
    read_only: bool,
    mirror_sync: str,
) -> DurableLedger:
    from guardian.ledger.postgres import PostgresDatabase, ensure_schema

    if not read_only:
        ensure_schema(url)
    mirror_file = None if isinstance(mirror, bool) else Path(mirror)
    return DurableLedger(
        PostgresDatabase(url),
        clock=clock,
        mirror_path=mirror_file,
        signing_key=_key(signing_key, DEFAULT_DIR / "signing.key", read_only),
        checkpoint_every=every,
        checkpoint_interval=interval,
        read_only=read_only,
        mirror_sync=mirror_sync,
    )
