"""Dashboard sign-ins: a random cookie value whose hash is a row in the database.

The cookie is 256 random bits and opaque; the row holds its SHA-256 (a stolen database does not
yield live cookies), the token it was made from, the session's CSRF secret and its end. Every request
re-checks the token too, so revoking a token signs out its sessions on every server at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, delete, select

from guardian.core.clock import Clock, iso_utc
from guardian.governance.tokens import TokenInfo
from guardian.storage.tables import web_sessions


@dataclass(frozen=True, slots=True)
class WebSession:
    token_id: str
    csrf: str
    expires_at: str


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode("utf-8", "surrogatepass")).hexdigest()


class WebSessions:
    def __init__(self, engine: Engine, clock: Clock, ttl: float) -> None:
        self._engine = engine
        self._clock = clock
        self._ttl = ttl

    def create(self, token: TokenInfo) -> tuple[str, WebSession]:
        """A new session for `token`; returns the cookie value (shown once) and the session."""
        now = self._clock.now()
        ends = iso_utc(now + timedelta(seconds=self._ttl))
        if token.expires_at is not None and token.expires_at < ends:
            ends = token.expires_at
        cookie = secrets.token_urlsafe(32)
        session = WebSession(token.id, secrets.token_urlsafe(32), ends)
        with self._engine.begin() as conn:
            conn.execute(web_sessions.delete().where(web_sessions.c.expires_at <= iso_utc(now)))
            conn.execute(web_sessions.insert().values(
                id_hash=_hash(cookie), token_id=token.id, csrf=session.csrf,
                created_at=iso_utc(now), expires_at=ends,
            ))  # fmt: skip
        return cookie, session

    def get(self, cookie: str) -> WebSession | None:
        """The live session of this cookie, or None (unknown or ended)."""
        if not cookie or len(cookie) > 200:
            return None
        query = select(web_sessions).where(web_sessions.c.id_hash == _hash(cookie))
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None or row.expires_at <= self._clock.now_iso():
            return None
        return WebSession(row.token_id, row.csrf, row.expires_at)

    def end(self, cookie: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(web_sessions).where(web_sessions.c.id_hash == _hash(cookie)))
