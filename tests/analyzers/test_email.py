"""check_email against its labelled corpus, plus message hygiene and properties."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardian.analyzers import Verdict, check_email
from guardian.analyzers.detectors import luhn_ok
from guardian.core.decision import Decision

from .corpora import email_cases
from .corpus import accuracy_report, mismatch

CASES = email_cases.CASES
SECRETS = [
    v for k, v in vars(email_cases).items()
    if k.isupper() and isinstance(v, str) and len(v) >= 16 and k not in {"UUID", "COMMIT", "INTERNAL"}
]  # fmt: skip


def judge(case: dict[str, Any]) -> Verdict:
    extra = {"internal_domains": case["internal_domains"]} if "internal_domains" in case else {}
    return check_email(case["to"], case["subject"], case["body"], **extra)


def test_corpus_size_and_mix() -> None:
    assert len(CASES) >= 60
    assert len({c["id"] for c in CASES}) == len(CASES)
    assert {c["decision"] for c in CASES} == {"ALLOW", "ASK", "DENY"}


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict[str, Any]) -> None:
    problem = mismatch(case, judge(case))
    assert problem is None, problem


def test_corpus_accuracy_is_100_percent() -> None:
    accuracy, failures = accuracy_report(CASES, judge)
    assert accuracy == 1.0, f"{accuracy:.1%} accurate; failing cases:\n" + "\n".join(failures)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_messages_never_quote_secrets(case: dict[str, Any]) -> None:
    text = " ".join(f.message for f in judge(case).findings)
    for secret in SECRETS:
        for piece in (secret, secret[:12], secret[-12:]):
            assert piece not in text, f"{case['id']}: message quotes a secret"


def test_message_says_kind_field_and_offset() -> None:
    body = "x" * 120 + email_cases.AWS_KEY
    verdict = check_email("a@example.com", "hi", body)
    assert [f.message for f in verdict.findings] == ["body: AWS access key id at offset 120"]


def test_repeated_secrets_are_counted_once_per_kind() -> None:
    body = f"{email_cases.AWS_KEY} {email_cases.AWS_STS_KEY} {email_cases.AWS_KEY}"
    (finding,) = check_email("a@example.com", "hi", body).findings
    assert finding.message == "body: AWS access key id at offset 0 (and 2 more)"


def test_external_recipient_reported_once_per_domain() -> None:
    verdict = check_email(["a@evil.com", "b@evil.com", "c@other.org"], "hi", "hello")
    assert [f.code for f in verdict.findings] == ["external_recipient"] * 2


def test_internal_domains_accepts_a_single_string_and_at_prefix() -> None:
    assert check_email("x@corp.io", "s", "b", internal_domains="@corp.io").allowed
    assert check_email("x@a.corp.io", "s", "b", internal_domains=("CORP.IO.",)).allowed


def test_tuple_of_recipients() -> None:
    assert check_email(("a@example.com", "b@example.com"), "s", "b").allowed


cards = st.builds(
    lambda head, body: head + body,
    st.sampled_from(["4", "51", "55", "37", "6011"]),
    st.text(alphabet="0123456789", min_size=11, max_size=12),
).map(lambda partial: partial + str(next(d for d in range(10) if luhn_ok(partial + str(d)))))


@settings(max_examples=200, deadline=None)
@given(
    card=cards,
    before=st.sampled_from(["", "card ", "pay with: ", "(", "no. "]),
    after=st.sampled_from(["", ".", " thanks", ")", "\n"]),
)
def test_any_luhn_valid_card_asks(card: str, before: str, after: str) -> None:
    verdict = check_email("a@example.com", "s", before + card + after)
    assert verdict.decision is Decision.ASK and verdict.codes == ("pii_card",)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=300))
def test_never_raises_and_decision_is_consistent(body: str) -> None:
    verdict = check_email("a@example.com", "s", body)
    assert verdict.decision in set(Decision)
    assert verdict == check_email("a@example.com", "s", body)  # deterministic


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab.-_' <>@\"(),;:[]\\x", max_size=30))
def test_fast_recipient_parser_agrees_with_getaddresses(raw: str) -> None:
    from email.utils import getaddresses

    from guardian.analyzers.email import _parse

    assert [addr for _, addr in _parse([raw])] == [addr for _, addr in getaddresses([raw])]
