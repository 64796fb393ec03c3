"""Hostile and malformed input: every analyzer answers with a clear DENY, never an
exception and never ALLOW, in bounded time. No mocks: the failing objects are real."""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from guardian.analyzers import (
    MAX_EMAIL_BODY_CHARS,
    MAX_EMAIL_HEADER_CHARS,
    MAX_PATH_CHARS,
    MAX_REDACT_CHARS,
    MAX_REDACT_DEPTH,
    MAX_SQL_CHARS,
    MAX_SQL_NESTING,
    Verdict,
    check_email,
    check_path,
    check_sql,
    redact,
)
from guardian.core.decision import Decision

from .corpora.email_cases import AWS_KEY

RNG = random.Random(20240315)
GARBAGE_BYTES = bytes(RNG.randrange(256) for _ in range(4096))
GARBAGE_TEXT = GARBAGE_BYTES.decode("latin-1")  # binary garbage smuggled in as str
UNDECODABLE = b"SELECT 1 \xff\xfe\xfa".decode("utf-8", "surrogateescape")  # lone surrogates
TIME_LIMIT = 10.0  # seconds; generous for slow CI machines, the real figures are ~0.1-1 s


def denied(verdict: Verdict, code: str) -> None:
    assert verdict.decision is Decision.DENY, verdict.to_dict()
    assert code in verdict.codes, verdict.to_dict()


def timed(fn: Any, *args: Any, **kwargs: Any) -> Any:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    elapsed = time.perf_counter() - start
    assert elapsed < TIME_LIMIT, f"took {elapsed:.1f}s"
    return result


class ExplodingMapping(Mapping[str, Any]):
    """A real Mapping that fails when read, standing in for a broken caller object."""

    def __getitem__(self, key: str) -> Any:
        raise RuntimeError("boom")

    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")

    def __len__(self) -> int:
        return 1


class ExplodingIterable:
    def __iter__(self) -> Iterator[str]:
        raise RuntimeError("boom")


class ExplodingPath:
    def __fspath__(self) -> str:
        raise RuntimeError("boom")


# --- SQL ---------------------------------------------------------------------------------


def test_sql_one_megabyte_is_too_large() -> None:
    denied(timed(check_sql, "SELECT 1, " + "1, " * 350_000 + "1"), "input_too_large")
    denied(check_sql("S" * (MAX_SQL_CHARS + 1)), "input_too_large")


def test_sql_largest_allowed_query_runs_in_bounded_time() -> None:
    chain = " OR ".join(f"c{i} = {i}" for i in range(30_000))
    query = ("SELECT a FROM t WHERE " + chain)[:MAX_SQL_CHARS].rsplit(" OR ", 1)[0]
    assert timed(check_sql, query).decision is Decision.ALLOW


def test_sql_ten_thousand_parentheses() -> None:
    denied(timed(check_sql, "SELECT " + "(" * 10_000 + "1" + ")" * 10_000), "sql_parse_error")
    ok = "SELECT " + "(" * MAX_SQL_NESTING + "1" + ")" * MAX_SQL_NESTING
    assert check_sql(ok).decision is Decision.ALLOW


def test_sql_parentheses_in_strings_do_not_count() -> None:
    assert check_sql("SELECT '" + "(" * 1000 + "' AS s").decision is Decision.ALLOW


def test_sql_recursion_error_becomes_deny() -> None:
    deep_case = "SELECT " + "CASE WHEN x THEN " * 3000 + "1" + " END" * 3000 + " FROM t WHERE x"
    denied(timed(check_sql, deep_case), "sql_parse_error")
    denied(timed(check_sql, "SELECT 1 WHERE " + "NOT " * 20_000 + "true"), "sql_parse_error")


def test_sql_binary_garbage() -> None:
    denied(check_sql(GARBAGE_TEXT), "input_invalid")
    denied(check_sql(GARBAGE_TEXT.replace("\x00", "")), "input_invalid")
    printable = "".join(c for c in GARBAGE_TEXT if c.isprintable())
    assert check_sql(printable).decision is Decision.DENY


@pytest.mark.parametrize("query", [GARBAGE_BYTES, b"SELECT 1", bytearray(b"SELECT 1"), UNDECODABLE])
def test_sql_bytes_and_invalid_utf8(query: Any) -> None:
    denied(check_sql(query), "input_invalid")


@pytest.mark.parametrize("query", [None, 42, 1.5, ["SELECT 1"], {"q": "SELECT 1"}, object()])
def test_sql_non_string(query: Any) -> None:
    denied(check_sql(query), "input_invalid")


@pytest.mark.parametrize(
    "options",
    [
        {"max_rows": -1}, {"max_rows": "10"}, {"max_rows": True}, {"max_rows": 1.5},
        {"dialect": "no-such-dialect"}, {"dialect": None},
        {"sensitive": ["users"]}, {"sensitive": {"users": 5}}, {"sensitive": {1: ["x"]}},
        {"sensitive": {"users": [1]}}, {"sensitive_patterns": 5}, {"sensitive_patterns": [None]},
    ],
)  # fmt: skip
def test_sql_bad_options(options: dict[str, Any]) -> None:
    denied(check_sql("SELECT 1", **options), "input_invalid")


def test_sql_unexpected_exception_is_analyzer_error() -> None:
    verdict = check_sql("SELECT 1", sensitive=ExplodingMapping())
    denied(verdict, "analyzer_error")
    assert "RuntimeError" in verdict.findings[0].message


# --- email -------------------------------------------------------------------------------


def test_email_body_past_the_limit() -> None:
    denied(
        timed(check_email, "a@example.com", "s", "x" * (MAX_EMAIL_BODY_CHARS + 1)),
        "input_too_large",
    )
    denied(check_email("a@example.com", "s" * (MAX_EMAIL_HEADER_CHARS + 1), "b"), "input_too_large")
    many = [f"user{i}@example.com" for i in range(4000)]
    denied(check_email(many, "s", "b"), "input_too_large")


@pytest.mark.parametrize(
    "body",
    [
        "ey" * 500_000, "eyJhbGciOiJIUzI1NiJ9." * 47_000, "1" * 1_000_000, "1 " * 500_000,
        "4111-" * 200_000, "AKIA" * 250_000, "-----BEGIN RSA PRIVATE KEY-----\n" * 31_000,
        "password=" * 111_000, "sk-" * 333_000, "DE89 " * 200_000, "xoxb-" * 200_000,
        ("The quick brown fox jumps over the lazy dog. " * 23_000),
    ],
    ids=lambda b: repr(b[:12]),
)  # fmt: skip
def test_email_one_megabyte_adversarial_bodies_are_bounded(body: str) -> None:
    assert len(body) <= MAX_EMAIL_BODY_CHARS
    verdict = timed(check_email, "a@example.com", "s", body)
    assert verdict.decision in set(Decision)


def test_email_binary_garbage_and_invalid_utf8() -> None:
    denied(check_email("a@example.com", "s", GARBAGE_TEXT), "input_invalid")
    denied(check_email("a@example.com", "s", UNDECODABLE), "input_invalid")
    denied(check_email("a@example.com", UNDECODABLE, "b"), "input_invalid")
    denied(check_email(UNDECODABLE, "s", "b"), "input_invalid")


@pytest.mark.parametrize(
    ("to", "subject", "body"),
    [
        ("a@example.com", "s", GARBAGE_BYTES), ("a@example.com", b"s", "b"), (b"a@example.com", "s", "b"),
        ("a@example.com", "s", None), ("a@example.com", 1, "b"), (5, "s", "b"), ([None], "s", "b"),
        ({"a@example.com"}, "s", "b"), ([b"a@example.com"], "s", "b"),
    ],
)  # fmt: skip
def test_email_wrong_types(to: Any, subject: Any, body: Any) -> None:
    denied(check_email(to, subject, body), "input_invalid")


@pytest.mark.parametrize("domains", [[1], 5, b"example.com", {"example.com": 1}, [None]])
def test_email_bad_internal_domains(domains: Any) -> None:
    denied(check_email("a@example.com", "s", "b", internal_domains=domains), "input_invalid")


def test_email_no_internal_domains_means_everyone_is_external() -> None:
    verdict = check_email("a@example.com", "s", "b", internal_domains=[])
    assert verdict.codes == ("external_recipient",)


def test_email_unexpected_exception_is_analyzer_error() -> None:
    verdict = check_email("a@example.com", "s", "b", internal_domains=ExplodingIterable())  # type: ignore[arg-type]
    denied(verdict, "analyzer_error")
    assert "RuntimeError" in verdict.findings[0].message


# --- paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [["a"], ("a",), b"docs/readme.md", bytearray(b"a"), None, 42, {"p": "a"}, "",
     "a\x00b", GARBAGE_TEXT, GARBAGE_TEXT.replace("\x00", ""), "x" * 1_000_000,
     "x" * (MAX_PATH_CHARS + 1), UNDECODABLE.replace("SELECT 1 ", "bad\x01")],
    ids=repr,
)  # fmt: skip
def test_path_invalid_values(path: Any, tmp_path: Path) -> None:
    denied(timed(check_path, path, roots=[str(tmp_path)]), "path_invalid")


def test_path_invalid_utf8_bytes(tmp_path: Path) -> None:
    denied(check_path(b"\xff\xfe/etc/passwd", roots=[str(tmp_path)]), "path_invalid")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "roots",
    [None, 5, [], [None], [b"/tmp"], [""], ["relative/dir"], ["/ok\x00"], "", [["/tmp"]]],
    ids=repr,
)
def test_path_invalid_roots(roots: Any) -> None:
    denied(check_path("a.txt", roots=roots), "path_invalid")


@pytest.mark.parametrize("mode", [None, "READ", "exec", "", 1, b"read"])
def test_path_invalid_mode(mode: Any, tmp_path: Path) -> None:
    denied(check_path("a.txt", roots=[str(tmp_path)], mode=mode), "path_invalid")


def test_path_unexpected_exception_is_analyzer_error(tmp_path: Path) -> None:
    verdict = check_path(ExplodingPath(), roots=[str(tmp_path)])
    denied(verdict, "analyzer_error")
    assert "RuntimeError" in verdict.findings[0].message


# --- redaction ---------------------------------------------------------------------------


def test_redact_too_large_string_is_replaced_whole() -> None:
    result = timed(redact, {"log": "x" * (MAX_REDACT_CHARS + 1)})
    assert result.value == {"log": "[REDACTED:input_too_large]"}
    assert result.redactions == [("/log", "input_too_large")]


def test_redact_one_megabyte_is_bounded() -> None:
    body = (f"{AWS_KEY} 4111 1111 1111 1111 " * 30_000)[:1_000_000]
    result = timed(redact, body)
    assert AWS_KEY not in result.value


def test_redact_deep_nesting_and_cycles() -> None:
    deep: Any = "leaf"
    for _ in range(10_000):
        deep = [deep]
    result = timed(redact, deep)
    assert [r.code for r in result.redactions] == ["input_too_deep"]
    assert result.redactions[0].path == "/0" * MAX_REDACT_DEPTH
    cycle: list[Any] = [AWS_KEY]
    cycle.append(cycle)
    out = redact(cycle)
    assert out.value[0] == "[REDACTED:secret]"
    assert "input_too_deep" in {r.code for r in out.redactions}
    nested_dict: Any = {}
    cursor = nested_dict
    for _ in range(10_000):
        cursor["k"] = {}
        cursor = cursor["k"]
    assert redact(nested_dict).redactions[0].code == "input_too_deep"


def test_redact_binary_garbage_and_undecodable_bytes() -> None:
    blob = GARBAGE_BYTES + AWS_KEY.encode() + b"\xff\xfe"
    out = redact(blob).value
    assert isinstance(out, bytes) and AWS_KEY.encode() not in out
    assert out.endswith(b"[REDACTED:secret]\xff\xfe")
    assert redact(UNDECODABLE).value == UNDECODABLE


def test_redact_unexpected_exception_redacts_everything() -> None:
    result = redact({"ok": "fine", "bad": ExplodingMapping()})
    assert result.value == "[REDACTED:analyzer_error]"
    assert result.redactions == [("", "analyzer_error")]
