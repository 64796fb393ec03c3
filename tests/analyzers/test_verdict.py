"""Verdict and Finding: the decision follows the strictest finding; failures fail closed."""

from __future__ import annotations

import pytest

from guardian.analyzers import Finding, Verdict
from guardian.analyzers.detectors import iban_ok, luhn_ok, ssn_ok
from guardian.analyzers.verdict import guarded
from guardian.core.decision import Decision, Reason


def test_no_findings_is_allow() -> None:
    assert Verdict.of() == Verdict(Decision.ALLOW, ())
    assert Verdict.of().allowed


def test_decision_is_strictest_finding_and_duplicates_collapse() -> None:
    ask = Finding.ask("a", "m")
    deny = Finding.deny("d", "m")
    assert Verdict.of([ask]).decision is Decision.ASK
    verdict = Verdict.of([ask, deny, ask])
    assert verdict.decision is Decision.DENY
    assert verdict.findings == (ask, deny)
    assert verdict.codes == ("a", "d")


def test_decision_may_not_be_looser_than_findings() -> None:
    with pytest.raises(ValueError):
        Verdict(Decision.ALLOW, (Finding.deny("d", "m"),))
    assert Verdict(Decision.DENY, (Finding.ask("a", "m"),)).decision is Decision.DENY


def test_frozen_and_hashable() -> None:
    verdict = Verdict.of([Finding.ask("a", "m")])
    with pytest.raises(AttributeError):
        verdict.decision = Decision.ALLOW  # type: ignore[misc]
    assert hash(verdict) == hash(Verdict.of([Finding.ask("a", "m")]))


def test_to_dict_and_reasons() -> None:
    verdict = Verdict.of([Finding.deny("sql_write", "INSERT statement is not a read")])
    assert verdict.to_dict() == {
        "decision": "DENY",
        "findings": [
            {"code": "sql_write", "message": "INSERT statement is not a read", "decision": "DENY"}
        ],
    }
    assert verdict.reasons() == (Reason("sql_write", "INSERT statement is not a read"),)


def test_guarded_turns_exceptions_into_deny_without_their_text() -> None:
    @guarded("demo")
    def analyzer(x: int) -> Verdict:
        raise KeyError(f"secret-{x}")

    verdict = analyzer(7)
    assert verdict.codes == ("analyzer_error",)
    assert verdict.findings[0].message == "demo analyzer failed with KeyError"


def test_guarded_lets_keyboard_interrupt_through() -> None:
    @guarded("demo")
    def analyzer() -> Verdict:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        analyzer()


@pytest.mark.parametrize(
    ("digits", "ok"),
    [("4111111111111111", True), ("4111111111111112", False), ("378282246310005", True),
     ("79927398713", True), ("0", True), ("1", False)],
)  # fmt: skip
def test_luhn(digits: str, ok: bool) -> None:
    assert luhn_ok(digits) is ok


@pytest.mark.parametrize(
    ("iban", "ok"),
    [("DE89370400440532013000", True), ("GB82WEST12345698765432", True), ("NO9386011117947", True),
     ("DE89370400440532013001", False), ("DE8937040044053201300", False), ("XX89370400440532013000", False),
     ("GB82WEST1234569876543!", False)],
)  # fmt: skip
def test_iban(iban: str, ok: bool) -> None:
    assert iban_ok(iban) is ok


@pytest.mark.parametrize(
    ("area", "group", "serial", "ok"),
    [("123", "45", "6789", True), ("000", "45", "6789", False), ("666", "45", "6789", False),
     ("900", "45", "6789", False), ("999", "45", "6789", False), ("123", "00", "6789", False),
     ("123", "45", "0000", False), ("899", "99", "9999", True)],
)  # fmt: skip
def test_ssn(area: str, group: str, serial: str, ok: bool) -> None:
    assert ssn_ok(area, group, serial) is ok
