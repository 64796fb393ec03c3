"""The checkpoint signing key: generated on first use, 0600, with its public half beside it."""

from __future__ import annotations

import stat
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
    load_pem_private_key,
)

from guardian.ledger.errors import LedgerError
from guardian.ledger.files import write_atomic

#: Points at the private key file when no key is given to `open_ledger` (e.g. shared by all hosts).
KEY_ENV = "GUARDIAN_SIGNING_KEY"


def public_key_path(private_path: Path) -> Path:
    """`signing.key` -> `signing.pub`: what `guardian ledger verify --key` is given."""
    return private_path.with_suffix(".pub")


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    try:
        data = path.read_bytes()
        key = load_pem_private_key(data, password=None)
    except OSError as exc:
        raise LedgerError(f"cannot read signing key {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise LedgerError(f"signing key {path} is not a PEM private key: {exc}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise LedgerError(f"signing key {path} is not an Ed25519 key")
    return key


def load_or_create_signing_key(path: Path) -> Ed25519PrivateKey:
    """Load the key at `path`, or create it atomically (several processes may race to do so)."""
    if path.exists():
        if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise LedgerError(f"signing key {path} is readable by others; chmod 600 it")
        return load_signing_key(path)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomic(path, pem, 0o600, replace=False)
    if not _same_key(path, key):  # another process won the race: use its key
        return load_signing_key(path)
    pub = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    write_atomic(public_key_path(path), pub, 0o644, replace=True)
    return key


def _same_key(path: Path, key: Ed25519PrivateKey) -> bool:
    raw = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    other = load_signing_key(path)
    return other.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()) == raw
