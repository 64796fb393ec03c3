"""Grants in process: a standing approval for actor + action + target pattern, until it ends."""

from __future__ import annotations

import pytest

from guardian import Guardian, Principal
from guardian.governance.grants import GrantError
from guardian.testing import FakeClock

ALICE = Principal("alice", "approver", 3)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def g(clock: FakeClock) -> Guardian:
    return Guardian([
        {"id": "mail", "action": "send_email", "effect": "ASK"},
        {"id": "wire", "action": "wire", "effect": "ASK", "never_auto_approve": True},
        {"id": "deny-drop", "action": "drop", "effect": "DENY"},
    ], clock=clock)  # fmt: skip


def test_a_grant_allows_matching_repeats_until_it_expires(g: Guardian, clock: FakeClock) -> None:
    asked = g.decide("bot", "send_email", "a@partner.org")
    assert asked.proposal_id is not None
    _, grant = g.approvals.approve_and_grant(asked.proposal_id, ALICE, "partner", hours=1,
                                             target="*@partner.org")  # fmt: skip
    allowed = g.decide("bot", "send_email", "b@partner.org")
    assert allowed.decision == "ALLOW" and allowed["grant_id"] == grant.id
    assert allowed.reason_codes[-1] == "granted"
    assert g.decide("bot", "send_email", "b@else.org").decision == "ASK"
    assert g.decide("other", "send_email", "b@partner.org").decision == "ASK"
    assert g.approvals.grants.get(grant.id).uses == 1
    clock.advance(3601)
    assert g.decide("bot", "send_email", "c@partner.org").decision == "ASK"
    assert g.approvals.grants.recent() == []
    assert [e.payload["event"] for e in g.ledger.entries() if e.kind == "grant"] == ["created"]


def test_revoked_grants_stop_at_once(g: Guardian) -> None:
    asked = g.decide("bot", "send_email", "a@partner.org")
    assert asked.proposal_id is not None
    _, grant = g.approvals.approve_and_grant(asked.proposal_id, ALICE, "", hours=5)
    assert g.decide("bot", "send_email", "a@partner.org").decision == "ALLOW"  # the approval
    assert g.decide("bot", "send_email", "a@partner.org").decision == "ALLOW"  # the grant
    g.approvals.grants.revoke(grant.id, ALICE)
    g.approvals.grants.revoke(grant.id, ALICE)  # idempotent: recorded once
    assert g.decide("bot", "send_email", "a@partner.org").decision == "ASK"
    events = [e.payload["event"] for e in g.ledger.entries() if e.kind == "grant"]
    assert events == ["created", "revoked"]


def test_no_grant_for_never_auto_approve_and_none_loosens_a_deny(g: Guardian) -> None:
    wire = g.decide("bot", "wire", "acme")
    assert wire.proposal_id is not None
    with pytest.raises(GrantError, match="never_auto_approve"):
        g.approvals.approve_and_grant(wire.proposal_id, ALICE, "", hours=1)
    assert g.proposal(wire.proposal_id).status == "pending"  # a refused grant approves nothing
    mail = g.decide("bot", "send_email", "x")
    assert mail.proposal_id is not None
    g.approvals.grants.create(None, "bot", "wire", "*", 1, ALICE)  # even one made directly
    assert g.decide("bot", "wire", "acme").decision == "ASK"
    g.approvals.grants.create(None, "bot", "drop", "*", 1, ALICE)
    assert g.decide("bot", "drop", "db").decision == "DENY"


@pytest.mark.parametrize(("hours", "target"), [(0, "*"), (721, "*"), (1, "[a]"), (1, "")])
def test_bad_grants_are_refused(g: Guardian, hours: float, target: str) -> None:
    asked = g.decide("bot", "send_email", "x")
    assert asked.proposal_id is not None
    with pytest.raises(GrantError):
        g.approvals.approve_and_grant(asked.proposal_id, ALICE, "", hours=hours, target=target)
    assert g.proposal(asked.proposal_id).status == "pending"
