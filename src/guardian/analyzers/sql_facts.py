"""From SQL text to the facts the SQL policy needs, read off sqlglot's syntax tree.

Facts do not depend on the caller's sensitivity map or row limit, nor (mostly) on the values
of the query's literals, so they are cached per query shape (analyzers/sql_shape.py) and
judged cheaply against any policy. Anything the walker does not
positively recognise as a read fails closed: unknown statement kinds and unparsed
`Command` nodes are writes, unqualified columns may belong to any table in scope.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token

from guardian.analyzers.sql_bounds import row_bound
from guardian.analyzers.sql_parse import parse_tokens, tokenize
from guardian.analyzers.sql_shape import SHAPES, cacheable, shape_of
from guardian.analyzers.sql_walk import READ_ROOTS, ColumnRef, Walker
from guardian.analyzers.verdict import Finding

__all__ = ["MAX_SQL_NESTING", "ColumnRef", "QueryFacts", "extract"]

#: Deeper parenthesis nesting is refused before parsing (sqlglot's parser recurses per level).
MAX_SQL_NESTING = 128
#: Longer queries (in characters) are parsed every time: their shapes are not cached.
MAX_SHAPE_CHARS = 8192

SQL_PARSE_ERROR = "sql_parse_error"
SQL_MULTIPLE_STATEMENTS = "sql_multiple_statements"

_PAREN = re.compile(r"[()]")
_STRING = re.compile(r"'(?:[^']++|'')*+'")


class _DropCommandFallback(logging.Filter):
    """sqlglot logs unsupported statements with their text, which may hold secrets; we
    report them as a DENY instead, so keep that one message out of the logs."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in record.getMessage()


logging.getLogger("sqlglot").addFilter(_DropCommandFallback())


@dataclass(frozen=True, slots=True)
class QueryFacts:
    """What a query does, independent of any policy."""

    findings: tuple[Finding, ...] = ()  # parse errors, writes, dangerous calls, catalog reads
    tables: tuple[str, ...] = ()  # real tables read
    columns: tuple[ColumnRef, ...] = ()
    stars: tuple[str, ...] = ()  # tables read whole via *, t.* or a whole-row reference
    row_bound: int | None = 0  # most rows the outermost query can return; None: no bound


def extract(query: str, dialect: str) -> QueryFacts:
    """The facts of `query`: its shape's if known, else parsed; never raises for bad SQL."""
    if query.count("(") > MAX_SQL_NESTING and _nesting(query) > MAX_SQL_NESTING:
        return _failed(f"parentheses nest deeper than {MAX_SQL_NESTING} levels")
    try:
        tokens = tokenize(query, dialect)
    except TokenError:
        return _failed("does not tokenize (unterminated string, quote or comment?)")
    shaped = shape_of(tokens) if len(query) <= MAX_SHAPE_CHARS else None
    if shaped is not None:
        known = SHAPES.get(dialect, shaped[0])
        if known is not None:
            return known
    statements = _statements(tokens, query, dialect)
    if isinstance(statements, QueryFacts):
        return statements
    walker, bounding = Walker(), list[exp.Literal]()
    facts = _facts(statements, walker, bounding)
    if shaped is not None and cacheable(shaped[1], walker.literals, bounding):
        SHAPES.put(dialect, shaped[0], facts)
    return facts


def _statements(tokens: list[Token], query: str, dialect: str) -> list[exp.Expr] | QueryFacts:
    """The parsed statements, or the facts of a query that does not parse."""
    try:
        parsed = parse_tokens(tokens, query, dialect)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        where = f" at line {first.get('line')}, column {first.get('col')}" if first else ""
        what = str(first.get("description") or "invalid syntax")[:120]
        return _failed(f"does not parse: {what}{where}")
    except TokenError:
        return _failed("does not tokenize (unterminated string, quote or comment?)")
    except RecursionError:
        return _failed("nested too deeply to parse")
    statements = [s for s in parsed if s is not None]
    if not statements:
        return _failed("holds no statement")
    return statements


def _facts(statements: list[exp.Expr], walker: Walker, bounding: list[exp.Literal]) -> QueryFacts:
    """Walk the statements; `bounding` gets the literals the row bound was read from."""
    if len(statements) > 1:
        walker.findings.append(
            Finding.deny(
                SQL_MULTIPLE_STATEMENTS, f"query holds {len(statements)} statements; one is allowed"
            )
        )
    bounds: list[int | None] = []
    for statement in statements:
        walker.statement(statement)
        bounds.append(row_bound(statement, bounding) if isinstance(statement, READ_ROOTS) else 0)
    return QueryFacts(
        tuple(walker.findings),
        tuple(dict.fromkeys(walker.tables)),
        tuple(dict.fromkeys(walker.columns)),
        tuple(dict.fromkeys(walker.stars)),
        None if None in bounds else max(b for b in bounds if b is not None),
    )


def _failed(why: str) -> QueryFacts:
    return QueryFacts((Finding.deny(SQL_PARSE_ERROR, f"query {why}"),), row_bound=0)


def _nesting(query: str) -> int:
    """Deepest parenthesis nesting, not counting parentheses inside string literals."""
    depth = deepest = 0
    for m in _PAREN.finditer(_STRING.sub("''", query)):
        depth += 1 if m.group() == "(" else -1
        deepest = max(deepest, depth)
    return deepest
