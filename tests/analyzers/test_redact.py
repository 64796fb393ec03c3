"""redact(): what is replaced, what is left alone, and what the report says."""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from guardian.analyzers import Redaction, redact
from guardian.analyzers.redact import MAX_REDACT_DEPTH

from .corpora.email_cases import AWS_KEY, COMMIT, GH_BODY, JWT, PEM_RSA, STRIPE, UUID

GH = "ghp_" + GH_BODY


def test_nested_structure_paths_and_codes() -> None:
    value = {
        "user": {"name": "Ann", "ssn": "123-45-6789"},
        "logs": ["ok", f"deploy with {AWS_KEY}", 42, None],
        "pay": ("DE89 3704 0044 0532 0130 00", 4111111111111111),
        "a/b~c": "card 4111-1111-1111-1111",
    }
    result = redact(value)
    assert result.value == {
        "user": {"name": "Ann", "ssn": "[REDACTED:pii_ssn]"},
        "logs": ["ok", "deploy with [REDACTED:secret]", 42, None],
        "pay": ("[REDACTED:pii_iban]", 4111111111111111),  # non-strings pass unchanged
        "a/b~c": "card [REDACTED:pii_card]",
    }
    assert result.redactions == [
        ("/user/ssn", "pii_ssn"),
        ("/logs/1", "secret"),
        ("/pay/0", "pii_iban"),
        ("/a~1b~0c", "pii_card"),
    ]
    assert all(isinstance(r, Redaction) for r in result.redactions)


def test_unpacks_as_value_and_list() -> None:
    value, fields = redact(f"token {GH}")
    assert value == "token [REDACTED:secret]"
    assert fields == [("", "secret")]


def test_report_never_holds_values() -> None:
    result = redact({"k": f"{AWS_KEY} {STRIPE} {JWT} password=hunter2", "x": [PEM_RSA]})
    report = repr(result.redactions) + repr(result.to_dict())
    for secret in (AWS_KEY, STRIPE, JWT, "hunter2", "MIIEow"):
        assert secret not in report
        assert secret not in repr(result.value)


def test_every_detector_kind_redacts() -> None:
    text = (
        f"{AWS_KEY} | {GH} | {STRIPE} | {JWT} | {PEM_RSA} | pwd=x1 | 4111111111111111 | 123-45-6789"
    )
    out = redact(text).value
    assert out.count("[REDACTED:secret]") == 6
    assert "[REDACTED:pii_card]" in out and "[REDACTED:pii_ssn]" in out
    assert "pwd=[REDACTED:secret]" in out  # the key name stays, the value goes


def test_one_field_many_codes_reported_once_each() -> None:
    result = redact(f"{AWS_KEY} {AWS_KEY} 4111111111111111")
    assert result.redactions == [("", "secret"), ("", "pii_card")]


def test_secret_in_dict_key_is_redacted_and_path_is_clean() -> None:
    result = redact({AWS_KEY: "v", f"also {AWS_KEY}": "w"})
    assert AWS_KEY not in repr(result)
    assert list(result.value.values()) == ["v", "w"]  # colliding keys do not overwrite
    assert [r.code for r in result.redactions] == ["secret", "secret"]


@pytest.mark.parametrize(
    "text",
    [
        "Ask the secretary about secret santa.",
        "Our password reset policy is strict.",
        "Meeting on 2024-03-15 at 10:00, or 15/03/2024.",
        f"ticket {UUID}",
        f"commit {COMMIT} ({COMMIT[:7]})",
        "Call +1 (415) 555-2671",
        "card 4111 1111 1111 1112",
    ],
)
def test_leaves_lookalikes_alone(text: str) -> None:
    result = redact({"t": text})
    assert result.value == {"t": text} and result.redactions == []


def test_input_is_not_modified_and_containers_keep_their_types() -> None:
    class Pair(NamedTuple):
        a: str
        b: int

    value: dict[str, Any] = {"l": [AWS_KEY], "t": (AWS_KEY,), "s": {AWS_KEY}, "f": frozenset({"ok"}),
                             "p": Pair(AWS_KEY, 1), "b": AWS_KEY.encode(), "ba": bytearray(b"x")}  # fmt: skip
    before = repr(value)
    out = redact(value).value
    assert repr(value) == before
    assert isinstance(out["l"], list) and isinstance(out["t"], tuple) and isinstance(out["s"], set)
    assert isinstance(out["f"], frozenset) and isinstance(out["p"], Pair) and out["p"].b == 1
    assert out["b"] == b"[REDACTED:secret]" and isinstance(out["ba"], bytearray)


def test_non_string_scalars_and_objects_pass_unchanged() -> None:
    marker = object()
    value = [1, 2.5, True, None, 3j, marker]
    result = redact(value)
    assert result.value == value and result.value[-1] is marker and result.redactions == []


def test_idempotent() -> None:
    once = redact({"a": f"password={AWS_KEY} and {JWT}"})
    twice = redact(once.value)
    assert twice.value == once.value and twice.redactions == []


def test_zero_width_characters_do_not_hide_a_key() -> None:
    hidden = f"id {AWS_KEY[:6]}\u200b\u200d{AWS_KEY[6:]} ok"
    assert redact(hidden).value == "id [REDACTED:secret] ok"
    assert redact("caf\u00e9 \u200b plain").value == "caf\u00e9 \u200b plain"  # nothing to hide


def test_overlapping_hits_merge_and_secret_wins() -> None:
    # A JWT inside a password assignment: one marker, code secret.
    assert redact(f"password={JWT}").value == "password=[REDACTED:secret]"


aws_keys = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["AKIA", "ASIA"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=16, max_size=16),
)


@settings(max_examples=300, deadline=None)
@given(
    key=aws_keys,
    before=st.text(max_size=40),
    after=st.text(max_size=40),
    shape=st.sampled_from(["str", "list", "dict", "key", "tuple", "bytes"]),
)
def test_never_leaves_a_generated_aws_key(key: str, before: str, after: str, shape: str) -> None:
    text = before + key + after
    value: Any = {
        "str": text, "list": [0, [text]], "dict": {"a": {"b": text}}, "key": {text: 1},
        "tuple": (text,), "bytes": text.encode("utf-8", "surrogatepass"),
    }[shape]  # fmt: skip
    result = redact(value)
    rendered = repr(result.value) if shape != "bytes" else result.value.decode("latin-1")
    assert key not in rendered
    assert result.redactions and all(r.code == "secret" for r in result.redactions)


def test_depth_limit_is_exactly_max_depth() -> None:
    ok: Any = "x"
    for _ in range(MAX_REDACT_DEPTH):
        ok = [ok]
    assert redact(ok).redactions == []
    assert redact([ok]).redactions[0].code == "input_too_deep"
