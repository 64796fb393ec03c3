"""Signed checkpoints written by the stores, proofs built from them, the signing key on disk."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.ledger.checkpoint import key_id, load_public_key
from guardian.ledger.errors import LedgerError
from guardian.ledger.keys import load_or_create_signing_key
from guardian.ledger.open import open_ledger
from guardian.ledger.proofs import ConsistencyProof, InclusionProof
from guardian.ledger.verify import verify_proof
from guardian.testing import FakeClock

from .ledgerkit import Backend, decision_payload


def durable(backend: Backend, **kwargs: Any) -> Any:
    if not backend.durable:
        pytest.skip("checkpoints belong to the durable stores")
    return backend.open(**kwargs)


def test_checkpoint_every_n_entries(backend: Backend) -> None:
    ledger = durable(backend, checkpoint_every=10, checkpoint_interval=None)
    for i in range(25):
        ledger.append("decision", decision_payload(i))
    sizes = [cp.tree_size for cp in ledger.checkpoints()]
    assert sizes == [10, 20]
    assert all(cp.signature_valid(backend.key.public_key()) for cp in ledger.checkpoints())


def test_checkpoint_after_t_seconds(backend: Backend) -> None:
    clock = FakeClock()
    ledger = durable(backend, clock=clock, checkpoint_every=1000, checkpoint_interval=30.0)
    ledger.append("decision", decision_payload(1))
    assert ledger.checkpoints() == []
    clock.advance(31)
    ledger.append("decision", decision_payload(2))
    assert [cp.tree_size for cp in ledger.checkpoints()] == [2]
    ledger.append("decision", decision_payload(3))
    clock.advance(31)
    ledger._writer.tick()  # what the idle writer thread does every interval
    assert [cp.tree_size for cp in ledger.checkpoints()] == [2, 3]


def test_inclusion_and_consistency_proofs(backend: Backend) -> None:
    ledger = durable(backend, checkpoint_every=7)
    for i in range(30):
        ledger.append("decision", decision_payload(i))
    pub = backend.key.public_key()
    for seq, size in ((1, 28), (28, 28), (30, 30), (7, 30)):  # nothing covered 30: it signs one
        proof = ledger.prove(seq)
        assert isinstance(proof, InclusionProof)
        assert proof.checkpoint.tree_size == size
        report = verify_proof(proof.to_dict(), pub)
        assert report.ok and report.seq == seq, report
    older = ledger.prove(3, tree_size=14)
    assert verify_proof(older.to_dict(), pub).ok and older.checkpoint.tree_size == 14
    for old in (7, 14, 21):
        consistency = ledger.prove_consistency(old)
        assert isinstance(consistency, ConsistencyProof)
        assert verify_proof(consistency.to_dict(), pub).ok
    with pytest.raises(LedgerError, match="no checkpoint of tree size 5"):
        ledger.prove_consistency(5)
    with pytest.raises(LedgerError, match="no entry with seq 31"):
        ledger.prove(31)


def test_tampered_proofs_fail(backend: Backend) -> None:
    ledger = durable(backend, checkpoint_every=5)
    for i in range(12):
        ledger.append("decision", decision_payload(i))
    pub = backend.key.public_key()
    doc = ledger.prove(4).to_dict()
    bad_entry = {**doc, "entry": {**doc["entry"], "payload": {"forged": 1}}}
    assert verify_proof(bad_entry, pub).reason == "proof_mismatch"
    bad_path = {**doc, "path": [("00" * 32) for _ in doc["path"]]}
    assert verify_proof(bad_path, pub).reason == "proof_mismatch"
    other_key = Ed25519PrivateKey.generate().public_key()
    assert verify_proof(doc, other_key).reason == "bad_signature"
    assert verify_proof({**doc, "extra": 1}, pub).reason == "unparseable"
    consistency = ledger.prove_consistency(5).to_dict()
    swapped = {**consistency, "first": consistency["second"], "second": consistency["first"]}
    assert not verify_proof(swapped, pub).ok


def test_checkpoint_without_key_is_refused(tmp_path: Path) -> None:
    ledger: Any = open_ledger(f"sqlite:///{tmp_path / 'x.db'}", signing_key=False)
    ledger.append("decision", {})
    with pytest.raises(LedgerError, match="no signing key"):
        ledger.checkpoint()
    assert ledger.checkpoints() == []
    ledger.close()


def test_key_is_created_once_with_0600(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "signing.key"
    key = load_or_create_signing_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    pub = load_public_key(path.with_suffix(".pub").read_bytes())
    assert key_id(pub) == key_id(key.public_key())
    assert key_id(load_or_create_signing_key(path).public_key()) == key_id(pub)
    path.chmod(0o644)
    with pytest.raises(LedgerError, match="chmod 600"):
        load_or_create_signing_key(path)


def test_default_key_beside_the_database(tmp_path: Path) -> None:
    ledger: Any = open_ledger(f"sqlite:///{tmp_path / 'guardian.db'}", checkpoint_every=2)
    for i in range(3):
        ledger.append("decision", {"i": i})
    ledger.close()
    assert stat.S_IMODE((tmp_path / "signing.key").stat().st_mode) == 0o600
    pub = load_public_key((tmp_path / "signing.pub").read_bytes())
    again: Any = open_ledger(f"sqlite:///{tmp_path / 'guardian.db'}", read_only=True)
    assert [(c.tree_size, c.signature_valid(pub)) for c in again.checkpoints()] == [(2, True)]
    again.close()


@pytest.mark.parametrize(
    "text", ["", "zz", "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----"]
)
def test_bad_public_keys(text: str) -> None:
    with pytest.raises(ValueError):
        load_public_key(text)
