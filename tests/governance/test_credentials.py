"""One-shot credentials: one secret, one allowed decision, one redemption."""

import threading
from pathlib import Path

import pytest

from guardian import Guardian, Principal
from guardian.governance.credentials import CredentialError, Credentials, load_or_create_fernet_key
from guardian.testing import FakeClock

ADMIN = Principal("root", "admin", 5)
EXECUTOR = Principal("executor", "guardian", 4)
AGENT = Principal("a", "agent", 1)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Guardian, Credentials, FakeClock]:
    clock = FakeClock()
    g = Guardian(
        [{"id": "ok", "action": "charge_card", "effect": "ALLOW"}, {"id": "no", "effect": "DENY"}],
        clock=clock,
    )
    creds = Credentials(
        g.approvals.store.engine,
        g.ledger,
        clock,
        load_or_create_fernet_key(tmp_path / "secret.key"),
    )
    creds.put("stripe", "sk_test_value_123", ADMIN)
    return g, creds, clock


def test_fifty_parallel_redeems_one_success(setup: tuple[Guardian, Credentials, FakeClock]) -> None:
    g, creds, _ = setup
    record = g.decide("a", "charge_card", "acme")
    token = creds.issue("stripe", record.decision_id, AGENT)
    results: list[str] = []

    def redeem() -> None:
        try:
            results.append(creds.redeem(token, EXECUTOR))
        except CredentialError as exc:
            results.append(str(exc))

    threads = [threading.Thread(target=redeem) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("sk_test_value_123") == 1
    assert sum("already redeemed" in r for r in results) == 49


def test_secret_never_in_the_ledger_and_events_are(
    setup: tuple[Guardian, Credentials, FakeClock],
) -> None:
    g, creds, _ = setup
    record = g.decide("a", "charge_card", "acme")
    creds.redeem(creds.issue("stripe", record.decision_id, AGENT), EXECUTOR)
    text = "".join(e.canonical().decode() for e in g.ledger.entries())
    assert "sk_test_value_123" not in text
    events = [e.payload["event"] for e in g.ledger.entries() if e.kind == "credential"]
    assert events == ["issued", "redeemed"]


def test_refusals(setup: tuple[Guardian, Credentials, FakeClock]) -> None:
    g, creds, clock = setup
    denied = g.decide("a", "rm", "x")
    with pytest.raises(CredentialError, match="not ALLOW"):
        creds.issue("stripe", denied.decision_id, AGENT)
    allowed = g.decide("a", "charge_card", "acme")
    with pytest.raises(CredentialError, match="another actor"):
        creds.issue("stripe", allowed.decision_id, Principal("b", "agent", 1))
    with pytest.raises(CredentialError, match="no secret"):
        creds.issue("nope", allowed.decision_id, AGENT)
    token = creds.issue("stripe", allowed.decision_id, AGENT, ttl_seconds=30)
    with pytest.raises(CredentialError, match="may not redeem"):
        creds.redeem(token, AGENT)
    clock.advance(31)
    with pytest.raises(CredentialError, match="expired"):
        creds.redeem(token, EXECUTOR)
    with pytest.raises(CredentialError, match="unknown"):
        creds.redeem("gcr_forged", EXECUTOR)


def test_key_file_is_0600_and_encryption_at_rest(
    tmp_path: Path, setup: tuple[Guardian, Credentials, FakeClock]
) -> None:
    g, _, _ = setup
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600
    with g.approvals.store.engine.connect() as conn:
        from sqlalchemy import text

        stored = conn.execute(text("SELECT ciphertext FROM secrets")).scalar()
    assert "sk_test" not in str(stored)
