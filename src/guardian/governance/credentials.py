"""One-shot credentials: agents never hold secrets, only a token good for one secret, one allowed
decision, one redemption, before it expires.

Secrets are encrypted at rest with Fernet; the key comes from `GUARDIAN_SECRET_KEY` or a 0600 key
file created on first use. Redemption is a compare-and-set in the store (`redeemed_at IS NULL`), so
of any number of parallel redeems exactly one gets the secret. Issue and redeem are ledger entries;
the secret's value never is.
"""

from __future__ import annotations

import hashlib
import os
import secrets as random_tokens
from datetime import timedelta
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from guardian.core.clock import Clock, iso_utc
from guardian.core.errors import GuardianError
from guardian.core.ids import new_id
from guardian.core.principal import Principal
from guardian.ledger.store import Ledger
from guardian.storage.control_tables import credential_tokens, stored_secrets
from guardian.storage.engine import memory_lock

KEY_ENV = "GUARDIAN_SECRET_KEY"
TOKEN_PREFIX = "gcr_"  # noqa: S105 (a public prefix)
SERVICE_ROLES = ("guardian", "admin")


class CredentialError(GuardianError):
    code = "credential_refused"


def load_or_create_fernet_key(path: Path) -> bytes:
    """The encryption key: $GUARDIAN_SECRET_KEY, else the key file (created 0600 on first use)."""
    given = os.environ.get(KEY_ENV)
    if given:
        return given.encode()
    if path.exists():
        if path.stat().st_mode & 0o077:
            raise CredentialError(f"secret key {path} is readable by others; chmod 600 it")
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


class Credentials:
    def __init__(self, engine: Engine, ledger: Ledger, clock: Clock, key: bytes) -> None:
        self._engine = engine
        self._ledger = ledger
        self._clock = clock
        try:
            self._fernet = Fernet(key)
        except ValueError as exc:
            raise CredentialError(f"secret key is not a Fernet key: {exc}") from None
        self._lock = memory_lock(engine)

    def put(self, name: str, value: str, principal: Principal) -> None:
        if principal.role != "admin":
            raise CredentialError("only an admin stores secrets")
        ciphertext = self._fernet.encrypt(value.encode()).decode()
        with self._lock, self._engine.begin() as conn:
            changed = conn.execute(update(stored_secrets).where(stored_secrets.c.name == name)
                                   .values(ciphertext=ciphertext, created_by=principal.id)).rowcount  # fmt: skip
            if not changed:
                conn.execute(insert(stored_secrets).values(name=name, ciphertext=ciphertext,
                             created_by=principal.id, created_at=self._clock.now_iso()))  # fmt: skip
        self._ledger.append("secret", {"name": name, "by": principal.to_dict()})

    def issue(
        self, secret_name: str, decision_id: str, agent: Principal, ttl_seconds: float = 60
    ) -> str:
        """A token for `secret_name`, bound to an ALLOW decision of this agent; shown once."""
        decision = self._ledger.find("decision", decision_id)
        if decision is None:
            raise CredentialError(f"no decision {decision_id!r}")
        if decision.payload.get("decision") != "ALLOW":
            raise CredentialError(
                f"decision {decision_id} was {decision.payload.get('decision')}, not ALLOW"
            )
        if decision.payload["intent"]["actor"] != agent.id:
            raise CredentialError(f"decision {decision_id} belongs to another actor")
        with self._lock, self._engine.connect() as conn:
            if (
                conn.execute(
                    select(stored_secrets.c.name).where(stored_secrets.c.name == secret_name)
                ).first()
                is None
            ):
                raise CredentialError(f"no secret named {secret_name!r}")
        token = TOKEN_PREFIX + random_tokens.token_urlsafe(32)
        now = self._clock.now()
        token_id = new_id()
        expires = iso_utc(now + timedelta(seconds=ttl_seconds))
        try:
            with self._lock, self._engine.begin() as conn:
                conn.execute(insert(credential_tokens).values(
                    id=token_id, token_hash=_digest(token), secret_name=secret_name,
                    decision_id=decision_id, agent_id=agent.id, created_at=iso_utc(now), expires_at=expires,
                ))  # fmt: skip
        except IntegrityError:
            raise CredentialError("token collision; ask again") from None
        self._ledger.append("credential", {
            "event": "issued", "token_id": token_id, "secret_name": secret_name,
            "decision_id": decision_id, "agent_id": agent.id, "expires_at": expires,
        })  # fmt: skip
        return token

    def redeem(self, token: str, executor: Principal) -> str:
        """The secret, once: the first redeem before expiry wins; every other gets CredentialError."""
        if executor.role not in SERVICE_ROLES:
            raise CredentialError(
                f"role {executor.role!r} may not redeem; the tool executor (a service) does"
            )
        digest = _digest(token)
        now = self._clock.now_iso()
        with self._lock, self._engine.begin() as conn:
            won = conn.execute(update(credential_tokens).where(
                credential_tokens.c.token_hash == digest, credential_tokens.c.redeemed_at.is_(None),
                credential_tokens.c.expires_at > now,
            ).values(redeemed_at=now, redeemed_by=executor.id)).rowcount == 1  # fmt: skip
            row = conn.execute(
                select(credential_tokens).where(credential_tokens.c.token_hash == digest)
            ).first()
        if row is None:
            raise CredentialError("unknown credential token")
        if not won:
            why = "already redeemed" if row.redeemed_at else "expired"
            raise CredentialError(f"credential token {row.id} {why}")
        with self._lock, self._engine.connect() as conn:
            secret = conn.execute(
                select(stored_secrets.c.ciphertext).where(stored_secrets.c.name == row.secret_name)
            ).scalar()
        self._ledger.append("credential", {
            "event": "redeemed", "token_id": row.id, "secret_name": row.secret_name,
            "decision_id": row.decision_id, "by": executor.to_dict(),
        })  # fmt: skip
        try:
            return self._fernet.decrypt(str(secret).encode()).decode()
        except InvalidToken:
            raise CredentialError(
                f"secret {row.secret_name!r} does not decrypt with this key"
            ) from None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
