"""The approval gate in process: bound to the intent, once, by the right principal, before expiry."""

import threading

import pytest

from guardian import Guardian, Principal
from guardian.governance.approvals import ApprovalConflict, ApprovalForbidden
from guardian.testing import FakeClock

APPROVER = Principal("alice", "approver", 1)
ADMIN = Principal("root", "admin", 5)
SERVICE = Principal("svc", "guardian", 4)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def g(clock: FakeClock) -> Guardian:
    return Guardian([
        {"id": "pay", "action": "pay", "effect": "ASK", "approval_timeout": "10m"},
        {"id": "wire", "action": "wire", "effect": "ASK", "never_auto_approve": True},
    ], clock=clock)  # fmt: skip


def approval_entries(g: Guardian) -> list[dict]:
    return [e.payload for e in g.ledger.entries() if e.kind == "approval"]


def test_ask_opens_a_proposal_and_approval_allows_exactly_that_intent_once(g: Guardian) -> None:
    asked = g.decide("bot", "pay", "acme", {"amount": 10})
    assert asked.decision == "ASK" and asked.proposal_id
    proposal = g.proposal(asked.proposal_id)
    assert proposal.status == "pending" and proposal.intent_hash == asked.intent_hash
    g.approve(asked.proposal_id, APPROVER, "looks fine")
    other = g.decide("bot", "pay", "acme", {"amount": 11})  # a different intent: a new proposal
    assert other.decision == "ASK" and other.proposal_id != asked.proposal_id
    allowed = g.decide("bot", "pay", "acme", {"amount": 10})
    assert allowed.decision == "ALLOW" and allowed.approval_id == asked.proposal_id
    assert allowed.reason_codes[-1] == "approved" and "alice" in allowed.reasons[-1].message
    again = g.decide("bot", "pay", "acme", {"amount": 10})
    assert again.decision == "ASK"  # used once
    assert g.proposal(asked.proposal_id).status == "used"
    [entry] = approval_entries(g)
    assert entry["outcome"] == "approved" and entry["by"]["id"] == "alice"


def test_reject_then_approve_conflicts(g: Guardian) -> None:
    asked = g.decide("bot", "pay", "acme")
    g.reject(asked.proposal_id, APPROVER, "no")
    with pytest.raises(ApprovalConflict, match="rejected"):
        g.approve(asked.proposal_id, APPROVER)
    assert g.decide("bot", "pay", "acme").decision == "ASK"


@pytest.mark.parametrize(
    ("principal", "flag"),
    [
        (Principal("bot", "agent", 1), "self_approval_attempt"),
        (Principal("bot", "approver", 1), "self_approval_attempt"),
        (Principal("other-bot", "agent", 5), "approval_forbidden"),
        (SERVICE, "approval_forbidden"),
    ],
)
def test_forbidden_approvals_are_refused_and_recorded(
    g: Guardian, principal: Principal, flag: str
) -> None:
    asked = g.decide("bot", "pay", "acme")
    with pytest.raises(ApprovalForbidden) as info:
        g.approve(asked.proposal_id, principal)
    assert info.value.flag == flag
    [entry] = approval_entries(g)
    assert entry["outcome"] == "refused" and entry["flag"] == flag
    assert g.proposal(asked.proposal_id).status == "pending"


def test_never_auto_approve_needs_a_human_approver(g: Guardian) -> None:
    asked = g.decide("bot", "wire", "bank")
    with pytest.raises(ApprovalForbidden, match="human approver only"):
        g.approve(asked.proposal_id, ADMIN)
    g.approve(asked.proposal_id, APPROVER)
    assert g.decide("bot", "wire", "bank").decision == "ALLOW"


def test_expired_proposal_is_deny_and_cannot_be_approved(g: Guardian, clock: FakeClock) -> None:
    asked = g.decide("bot", "pay", "acme")
    clock.advance(601)
    with pytest.raises(ApprovalConflict, match="expired"):
        g.approve(asked.proposal_id, APPROVER)
    assert g.proposal(asked.proposal_id).status == "expired"
    [entry] = approval_entries(g)
    assert entry["outcome"] == "expired" and entry["decision"] == "DENY"


def test_expire_overdue_and_wait(g: Guardian, clock: FakeClock) -> None:
    asked = g.decide("bot", "pay", "acme")
    assert g.wait_for_approval(asked.proposal_id, timeout=0.05).status == "pending"
    clock.advance(601)
    assert g.approvals.expire_overdue() == [asked.proposal_id]
    assert g.wait_for_approval(asked.proposal_id, timeout=0.05).status == "expired"


def test_wait_returns_when_another_thread_approves(g: Guardian) -> None:
    asked = g.decide("bot", "pay", "acme")
    threading.Timer(0.1, lambda: g.approve(asked.proposal_id, APPROVER)).start()
    assert g.wait_for_approval(asked.proposal_id, timeout=5).status == "approved"


def test_racing_approve_and_reject_have_one_winner(g: Guardian) -> None:
    asked = g.decide("bot", "pay", "acme")
    results: list[str] = []

    def decide(i: int) -> None:
        try:
            (g.approve if i % 2 else g.reject)(asked.proposal_id, APPROVER, str(i))
            results.append("won")
        except ApprovalConflict:
            results.append("conflict")

    threads = [threading.Thread(target=decide, args=(i,)) for i in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["conflict"] * 49 + ["won"]
    assert len(approval_entries(g)) == 1
