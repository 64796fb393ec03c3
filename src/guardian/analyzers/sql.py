"""SQL check: only single, bounded, non-sensitive reads pass without a human.

An agent with a database tool can write, exfiltrate or stall the database with one query.
The query is parsed with sqlglot (never pattern-matched: LIMIT in a comment is not a
LIMIT) and judged against the caller's sensitivity map. Parsing dominates the cost, so
the policy-independent facts of a query are cached per shape (its tokens, literal values
left out: analyzers/sql_shape.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple, cast

from sqlglot.dialects.dialect import Dialect

from guardian.analyzers.inputs import INPUT_INVALID, text_problem
from guardian.analyzers.sql_facts import QueryFacts, extract
from guardian.analyzers.verdict import Finding, Verdict, guarded

__all__ = [
    "MAX_SQL_CHARS",
    "SUGGESTED_SENSITIVE_PATTERNS",
    "check_sql",
]

#: Longer queries (in characters) are refused with `input_too_large` before parsing.
MAX_SQL_CHARS = 256 * 1024

SQL_SENSITIVE_TABLE = "sql_sensitive_table"
SQL_SENSITIVE_COLUMN = "sql_sensitive_column"
SQL_UNBOUNDED = "sql_unbounded"

#: A ready-made `sensitive_patterns` value; not the default, so the contract holds as written.
SUGGESTED_SENSITIVE_PATTERNS = (
    "password", "passwd", "secret", "token", "api_key", "apikey", "private_key", "ssn",
    "social_security", "credit_card", "card_number", "cvv", "iban",
)  # fmt: skip
_ALL = "*"


class _Policy(NamedTuple):  # a tuple: built on every call, and cheaper to build than a dataclass
    tables: dict[str, frozenset[str]]
    patterns: tuple[str, ...]
    max_rows: int
    columns: frozenset[str]  # every column named in `tables`: most columns are in none


@guarded("sql")
def check_sql(
    query: str,
    *,
    sensitive: Mapping[str, Iterable[str]] | None = None,
    max_rows: int = 1000,
    dialect: str = "postgres",
    sensitive_patterns: Iterable[str] = (),
) -> Verdict:
    """Judge one SQL query. See docs/analyzers.md for codes and examples."""
    problem = text_problem(query, field="query", limit=MAX_SQL_CHARS)
    if problem is not None:
        return Verdict.of((problem,))
    policy = _policy(sensitive, max_rows, dialect, sensitive_patterns)
    if isinstance(policy, Finding):
        return Verdict.of((policy,))
    assert isinstance(query, str)  # text_problem rejects anything else
    facts = extract(query, dialect)
    return Verdict.of((*facts.findings, *_judge(facts, policy)))


def _judge(facts: QueryFacts, policy: _Policy) -> list[Finding]:
    findings: list[Finding] = []
    sens = policy.tables
    for table in (*facts.tables, *facts.stars):
        if _ALL in sens.get(table, ()):
            findings.append(Finding.deny(SQL_SENSITIVE_TABLE, f"reads sensitive table {table}"))
    watched, patterns = policy.columns, policy.patterns
    for name, tables in facts.columns:
        if name in watched:
            owner = next((t for t in tables if name in sens.get(t, ())), None)
            if owner is not None:
                findings.append(
                    Finding.ask(SQL_SENSITIVE_COLUMN, f"reads sensitive column {owner}.{name}")
                )
                continue
        if not patterns:
            continue
        word = next((p for p in patterns if p in name), None)
        if word is not None:
            findings.append(
                Finding.ask(
                    SQL_SENSITIVE_COLUMN, f"reads column {name}, which matches pattern '{word}'"
                )
            )
    for table in facts.stars:
        cols = sens.get(table)
        if cols and _ALL not in cols:
            findings.append(
                Finding.ask(
                    SQL_SENSITIVE_COLUMN,
                    f"reads every column of {table}, including sensitive ones, via * or a row value",
                )
            )
    if facts.row_bound is None or facts.row_bound > policy.max_rows:
        findings.append(
            Finding.ask(
                SQL_UNBOUNDED,
                f"outermost query has no WHERE and no LIMIT of at most {policy.max_rows} rows",
            )
        )
    return findings


def _policy(
    sensitive: object, max_rows: object, dialect: object, patterns: object
) -> _Policy | Finding:
    """Validate and normalise the caller's options, or say which one is wrong."""
    if isinstance(max_rows, bool) or not isinstance(max_rows, int) or max_rows < 0:
        return Finding.deny(INPUT_INVALID, "max_rows must be a non-negative int")
    if not isinstance(dialect, str) or not _known_dialect(dialect):
        return Finding.deny(INPUT_INVALID, "dialect is not a dialect sqlglot knows")
    tables: dict[str, frozenset[str]] = {}
    if sensitive is not None:
        if type(sensitive) is not dict and not isinstance(sensitive, Mapping):
            return Finding.deny(INPUT_INVALID, "sensitive must map table names to column lists")
        for table, cols in sensitive.items():
            names = _names(cols)
            if not isinstance(table, str) or names is None:
                return Finding.deny(
                    INPUT_INVALID, "sensitive must map table names to lists of column names"
                )
            key = _bare(table)
            tables[key] = tables.get(key, frozenset()) | names
    words = _names(patterns)
    if words is None:
        return Finding.deny(INPUT_INVALID, "sensitive_patterns must be a list of strings")
    columns = frozenset().union(*tables.values())
    return _Policy(tables, tuple(sorted(w for w in words if w)), max_rows, columns)


def _names(value: object) -> frozenset[str] | None:
    if isinstance(value, str):
        items: tuple[object, ...] = (value,)
    elif type(value) in (list, tuple, set, frozenset):  # the usual ones, without ABC checks
        items = tuple(cast("Iterable[object]", value))
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)):
        items = tuple(value)
    else:
        return None
    names: list[str] = []
    for v in items:
        if not isinstance(v, str):
            return None
        names.append(_ALL if v.strip() == _ALL else _bare(v))
    return frozenset(names)


@lru_cache(maxsize=1024)
def _bare(name: str) -> str:
    """`"Public"."Users"` -> `users`: schema qualifiers and quoting do not matter."""
    return name.rsplit(".", 1)[-1].strip().strip('"`[]').lower()


@lru_cache(maxsize=32)
def _known_dialect(name: str) -> bool:
    try:
        Dialect.get_or_raise(name)
    except ValueError:
        return False
    return True
