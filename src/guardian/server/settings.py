"""Server settings: one frozen object, from arguments or `GUARDIAN_*` environment variables.

Every limit the server enforces is here, so docs/server.md can list them in one table.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from guardian.ledger.open import resolve_url

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8700
#: Largest request body accepted; larger ones get 413 before they are read.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Longest long-poll of `GET /v1/proposals/{id}/wait` (seconds); `timeout` above it is a 422.
MAX_WAIT_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ServerSettings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: Database URL for the ledger and all state; "" = GUARDIAN_DATABASE_URL or .guardian/guardian.db.
    database_url: str = ""
    #: Policy file; None = GUARDIAN_POLICY or the packaged default.
    policy: str | None = None
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    #: How often the event stream and long-polls look for new ledger entries (seconds).
    poll_interval: float = 0.1
    #: Comment line sent on an idle event stream so proxies keep it open (seconds).
    keepalive_interval: float = 15.0
    #: Dashboard sign-in lifetime (seconds); the token's own expiry or revocation ends it sooner.
    session_ttl: float = 8 * 3600
    #: Mark the session cookie Secure (set when the server is reached over HTTPS).
    secure_cookies: bool = False
    #: Modules imported at start-up so they can `guardian.hooks.register(...)` their handlers.
    hooks: tuple[str, ...] = field(default=())
    #: Worker threads for blocking work (decisions wait on the ledger's group commit there).
    threads: int = 64
    #: Signing key for session bundles; None = beside the database (or GUARDIAN_SIGNING_KEY).
    signing_key: str | None = None

    @property
    def resolved_database_url(self) -> str:
        return resolve_url(self.database_url or None)

    @classmethod
    def from_env(cls, **overrides: object) -> ServerSettings:
        """Settings from GUARDIAN_HOST, GUARDIAN_PORT, GUARDIAN_POLICY, GUARDIAN_MAX_BODY_BYTES,
        GUARDIAN_SECURE_COOKIES, GUARDIAN_HOOKS (comma-separated), GUARDIAN_THREADS, then
        explicit overrides."""
        env = os.environ
        values: dict[str, object] = {
            "host": env.get("GUARDIAN_HOST", DEFAULT_HOST),
            "port": int(env.get("GUARDIAN_PORT", DEFAULT_PORT)),
            "database_url": env.get("GUARDIAN_DATABASE_URL", ""),
            "policy": env.get("GUARDIAN_POLICY") or None,
            "max_body_bytes": int(env.get("GUARDIAN_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES)),
            "secure_cookies": env.get("GUARDIAN_SECURE_COOKIES", "") in ("1", "true", "yes"),
            "hooks": tuple(m for m in env.get("GUARDIAN_HOOKS", "").split(",") if m.strip()),
            "threads": int(env.get("GUARDIAN_THREADS", "64")),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]
