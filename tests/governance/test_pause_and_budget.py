"""Kill switch and budgets: the first and the last checks of the path."""

import threading
from decimal import Decimal

import pytest

from guardian import Guardian, Principal
from guardian.governance.amounts import AmountError
from guardian.governance.budget import BudgetError, BudgetExhausted
from guardian.governance.pause import PauseForbidden

ADMIN = Principal("root", "admin", 5)
SERVICE = Principal("runner", "guardian", 4)
HUMAN = Principal("alice", "approver", 3)


@pytest.fixture
def g() -> Guardian:
    return Guardian(
        [{"id": "pay", "action": "pay", "effect": "ASK"}, {"id": "all", "effect": "ALLOW"}]
    )


def test_pause_agent_session_and_everything(g: Guardian) -> None:
    g.pauses.pause("agent", "a", SERVICE, "too eager")
    record = g.decide("a", "x")
    assert (
        record.decision == "DENY"
        and record.reason_codes == ("paused",)
        and "too eager" in record.reasons[0].message
    )
    assert g.decide("b", "x").decision == "ALLOW"
    g.pauses.pause("session", "s1", ADMIN, "incident")
    assert g.decide("b", "x", session_id="s1").decision == "DENY"
    g.pauses.pause("all", "*", ADMIN, "kill switch")
    assert g.decide("c", "x").reasons[0].message.startswith("everything paused")
    with pytest.raises(PauseForbidden):
        g.pauses.resume("all", "*", SERVICE)
    g.pauses.resume("all", "*", ADMIN)
    g.pauses.resume("agent", "a", ADMIN)
    assert g.decide("a", "x").decision == "ALLOW"
    kinds = [e.kind for e in g.ledger.entries()]
    assert kinds.count("pause") == 3 and kinds.count("resume") == 2
    assert g.verify_replay() == "PASS"


def test_only_guardians_and_admins_pause(g: Guardian) -> None:
    for who in (Principal("a", "agent", 1), HUMAN):
        with pytest.raises(PauseForbidden):
            g.pauses.pause("agent", "x", who, "no")


def test_paused_agents_pending_proposal_is_not_approvable(g: Guardian) -> None:
    from guardian.governance.approvals import ApprovalConflict, ApprovalForbidden

    asked = g.decide("a", "pay", "acme")
    g.pauses.pause("agent", "a", SERVICE, "watchdog")
    with pytest.raises((ApprovalForbidden, ApprovalConflict), match="paused"):
        g.approve(str(asked.proposal_id), HUMAN)


def test_calls_cap_pauses_at_the_cap(g: Guardian) -> None:
    g.budgets.set_cap("agent", "a", "calls", 2, ADMIN)
    assert [g.decide("a", "x").decision.value for _ in range(3)] == ["ALLOW", "ALLOW", "DENY"]
    assert g.pauses.reason("a", None) is not None
    g.budgets.set_cap("agent", "a", "calls", 10, ADMIN)
    assert g.decide("a", "x").decision == "DENY"  # raising the cap does not resume by itself
    g.pauses.resume("agent", "a", ADMIN)
    assert g.decide("a", "x").decision == "ALLOW"


def test_estimates_are_reserved_and_settled(g: Guardian) -> None:
    g.budgets.set_cap("agent", "a", "money", "10", ADMIN, currency="EUR")
    first = g.decide("a", "x", metadata={"cost": {"money": "6", "currency": "EUR"}})
    assert first.decision == "ALLOW"
    second = g.decide("a", "x", metadata={"cost": {"money": "6", "currency": "EUR"}})
    assert second.decision == "DENY" and second.reason_codes[-1] == "budget_exhausted"
    g.budgets.settle(first.decision_id, {"money": "2", "currency": "EUR"})
    assert g.budgets.find("agent", "a", "money", "EUR").spent == 2_000_000  # type: ignore[union-attr]
    assert (
        g.decide("a", "x", metadata={"cost": {"money": "6", "currency": "EUR"}}).decision == "ALLOW"
    )
    assert g.verify_replay() == "PASS"


def test_malformed_estimate_is_deny_not_allow(g: Guardian) -> None:
    g.budgets.set_cap("agent", "a", "tokens", 100, ADMIN)
    record = g.decide("a", "x", metadata={"cost": {"tokens": "-5"}})
    assert record.decision == "DENY" and record.reason_codes[-1] == "budget_error"


@pytest.mark.parametrize(
    "amount", ["-1", "0", "NaN", "Infinity", "1e13", 1.5, "abc", "", None, True, "0.0000001", [1]]
)
def test_bad_amounts_are_refused_and_nothing_recorded(g: Guardian, amount: object) -> None:
    g.budgets.set_cap("agent", "a", "money", "100", ADMIN, currency="USD")
    with pytest.raises(AmountError):
        g.budgets.charge("a", "money", amount, SERVICE, currency="USD")
    assert [e.kind for e in g.ledger.entries()].count("charge") == 0


def test_charges_by_the_agent_itself_or_for_unknown_agents_are_refused(g: Guardian) -> None:
    g.budgets.set_cap("agent", "a", "tokens", 100, ADMIN)
    with pytest.raises(BudgetError, match="may not record"):
        g.budgets.charge("a", "tokens", 5, Principal("a", "agent", 1))
    with pytest.raises(BudgetError, match="its own spend"):
        g.budgets.charge("a", "tokens", 5, Principal("a", "guardian", 4))
    with pytest.raises(BudgetError, match="no tokens budget"):
        g.budgets.charge("stranger", "tokens", 5, SERVICE)
    with pytest.raises(AmountError, match="whole numbers"):
        g.budgets.charge("a", "tokens", "1.5", SERVICE)
    assert [e.kind for e in g.ledger.entries()].count("charge") == 0


def test_parallel_charges_never_exceed_the_cap_by_more_than_one(g: Guardian) -> None:
    g.budgets.set_cap("agent", "a", "money", "100", ADMIN, currency="USD")
    outcomes: list[str] = []

    def charge() -> None:
        try:
            g.budgets.charge("a", "money", "7.5", SERVICE, currency="USD")
            outcomes.append("ok")
        except BudgetExhausted:
            outcomes.append("refused")

    threads = [threading.Thread(target=charge) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    spent = Decimal(g.budgets.find("agent", "a", "money", "USD").spent) / 10**6  # type: ignore[union-attr]
    assert spent <= Decimal("100") + Decimal("7.5")
    assert outcomes.count("ok") == 14 and spent == Decimal("105")
    assert [e.kind for e in g.ledger.entries()].count("charge") == 14
    assert g.decide("a", "x").reason_codes == ("paused",)


def test_windowed_budget_starts_again() -> None:
    from guardian.testing import FakeClock

    clock = FakeClock()
    g = Guardian([{"effect": "ALLOW"}], clock=clock)
    g.budgets.set_cap("agent", "a", "tokens", 10, ADMIN, window_seconds=60)
    assert g.decide("a", "x", metadata={"cost": {"tokens": 8}}).decision == "ALLOW"
    assert g.decide("a", "x", metadata={"cost": {"tokens": 8}}).decision == "DENY"
    clock.advance(61)
    assert g.decide("a", "x", metadata={"cost": {"tokens": 8}}).decision == "ALLOW"
