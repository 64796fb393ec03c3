"""API tokens and the principals they stand for: identity and authority come from here, never a body.

A token is `gdn_` + 43 random URL-safe characters (256 bits). Only its SHA-256 is stored: the secret
is shown once, at creation. A token is valid until it expires or is revoked; both are checked on every
request against the store, so a revocation takes effect at once on every server sharing it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, Row, or_, select, update
from sqlalchemy.exc import IntegrityError

from guardian.core.clock import SYSTEM_CLOCK, Clock, iso_utc
from guardian.core.errors import GuardianError
from guardian.core.principal import Authority, Principal
from guardian.storage.tables import tokens

TOKEN_PREFIX = "gdn_"  # noqa: S105 (a public prefix, not a secret)
ROLES = ("agent", "approver", "guardian", "admin")
#: The authority a role gets when none is given (seed 003's levels: worker .. system).
DEFAULT_AUTHORITY = {
    "agent": Authority.WORKER,
    "approver": Authority.MONITOR,
    "guardian": Authority.GUARDIAN,
    "admin": Authority.SYSTEM,
}
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@-]{0,199}$")


class TokenError(GuardianError):
    """A token that cannot be created or revoked as asked."""

    code = "token_error"


class InvalidToken(GuardianError):
    """A presented token that is unknown, expired or revoked (`reason` says which)."""

    code = "invalid_token"

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """A stored token, without its secret."""

    id: str
    name: str
    role: str
    agent_id: str | None
    authority: int
    hint: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    @property
    def principal(self) -> Principal:
        """The caller this token authenticates: the agent id (or the name), its role, its authority."""
        return Principal(self.agent_id or self.name, self.role, self.authority)

    def status(self, now: str) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "expired"
        return "active"

    def to_dict(self, now: str | None = None) -> dict[str, Any]:
        out = {
            "id": self.id, "name": self.name, "role": self.role, "agent_id": self.agent_id,
            "authority": self.authority, "hint": self.hint, "created_at": self.created_at,
            "expires_at": self.expires_at, "revoked_at": self.revoked_at,
        }  # fmt: skip
        if now is not None:
            out["status"] = self.status(now)
        return out


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def _from_row(row: Row[Any]) -> TokenInfo:
    m = row._mapping
    return TokenInfo(m["id"], m["name"], m["role"], m["agent_id"], int(m["authority"]), m["hint"],
                     m["created_at"], m["expires_at"], m["revoked_at"])  # fmt: skip


_COLUMNS = "id, name, role, agent_id, authority, hint, created_at, expires_at, revoked_at"


class _SqliteLookup:
    """Token lookups on a SQLite file without SQLAlchemy: every request makes one, and a plain
    indexed read costs ~10 µs against ~150 µs through a pooled SQLAlchemy connection. One
    read-only autocommit connection per thread, so each read sees the latest commit (a revocation
    counts from the next request) and holds no snapshot open."""

    SQL = f"SELECT {_COLUMNS} FROM tokens WHERE secret_hash = ?"  # noqa: S608 (constant)

    def __init__(self, path: str) -> None:
        self._uri = f"file:{quote(path)}?mode=ro"
        self._local = threading.local()

    def find(self, digest: str) -> TokenInfo | None:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self._uri, uri=True, isolation_level=None, timeout=30,
                                   check_same_thread=False)  # fmt: skip
            self._local.conn = conn
        row = conn.execute(self.SQL, (digest,)).fetchone()
        if row is None:
            return None
        id_, name, role, agent_id, authority, hint, created, expires, revoked = row
        return TokenInfo(id_, name, role, agent_id, int(authority), hint, created, expires, revoked)


class TokenStore:
    def __init__(self, engine: Engine, clock: Clock = SYSTEM_CLOCK) -> None:
        self._engine = engine
        self._clock = clock
        database = engine.url.database
        local = engine.dialect.name == "sqlite" and database not in (None, "", ":memory:")
        #: Set when a lookup is a local file read (quick enough to make on an event loop).
        self.local_lookup = _SqliteLookup(str(database)) if local else None

    def create(
        self,
        name: str,
        role: str,
        *,
        agent_id: str | None = None,
        authority: int | None = None,
        expires_in: float | None = None,
    ) -> tuple[str, TokenInfo]:
        """Create a token; return its secret (shown once) and what is stored about it."""
        if not _NAME.match(name):
            raise TokenError(
                f"name {name!r}: 1-200 characters, letters, digits and . _ : @ -, "
                "starting with a letter or digit"
            )
        if role not in ROLES:
            raise TokenError(f"role must be one of {', '.join(ROLES)}, got {role!r}")
        authority = int(DEFAULT_AUTHORITY[role] if authority is None else authority)
        if not Authority.WORKER <= authority <= Authority.SYSTEM:
            raise TokenError(f"authority must be 1..5, got {authority}")
        if agent_id is not None and not agent_id.strip():
            raise TokenError("agent id must not be empty")
        if role == "agent" and agent_id is None:
            agent_id = name
        now = self._clock.now()
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        info = TokenInfo(
            secrets.token_hex(8), name, role, agent_id, authority, secret[:8] + "…",
            iso_utc(now), iso_utc(now + timedelta(seconds=expires_in)) if expires_in else None, None,
        )  # fmt: skip
        values = info.to_dict()
        values.update(secret_hash=hash_secret(secret))
        try:
            with self._engine.begin() as conn:
                conn.execute(tokens.insert().values(**values))
        except IntegrityError:
            raise TokenError(f"an active token named {name!r} exists; revoke it first") from None
        return secret, info

    def authenticate(self, secret: str) -> TokenInfo:
        """The token this secret belongs to, if active; InvalidToken saying why otherwise."""
        if not secret.startswith(TOKEN_PREFIX):
            raise InvalidToken("not a Guardian token (they start with gdn_)", "malformed")
        digest = hash_secret(secret)
        if self.local_lookup is not None:
            found = self.local_lookup.find(digest)
        else:
            with self._engine.connect() as conn:
                row = conn.execute(select(tokens).where(tokens.c.secret_hash == digest)).first()
            found = _from_row(row) if row is not None else None
        if found is None:
            raise InvalidToken("unknown token", "unknown")
        info = found
        status = info.status(self._clock.now_iso())
        if status != "active":
            raise InvalidToken(f"token {info.name!r} is {status}", status)
        return info

    def get(self, token_id: str) -> TokenInfo | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(tokens).where(tokens.c.id == token_id)).first()
        return _from_row(row) if row is not None else None

    def all(self) -> list[TokenInfo]:
        query = select(tokens).order_by(tokens.c.created_at, tokens.c.name)
        with self._engine.connect() as conn:
            return [_from_row(r) for r in conn.execute(query)]

    def revoke(self, name_or_id: str) -> TokenInfo:
        """Revoke the active token with this id or name; TokenError if there is none."""
        now = self._clock.now_iso()
        match = or_(tokens.c.id == name_or_id, tokens.c.name == name_or_id)
        with self._engine.begin() as conn:
            row = conn.execute(select(tokens).where(match, tokens.c.revoked_at.is_(None))).first()
            if row is None:
                raise TokenError(f"no active token with id or name {name_or_id!r}")
            conn.execute(update(tokens).where(tokens.c.id == row.id).values(revoked_at=now))
        return self.get(row.id) or _from_row(row)
