"""sqlglot's parse, minus the set-up: one tokenizer and parser kept per thread and dialect.

`sqlglot.parse(query, read=...)` builds a Dialect, a Tokenizer (with its keyword tables)
and a Parser on every call; on the benchmark machine that made parsing the benchmark's
three-table JOIN ~1.6x slower than with a kept pair (bench/analyzers.py prints both).
The pair is reusable but stateful, so each thread keeps its own; a pair in use is out of
the pool (a re-entrant call builds a fresh one), and one whose step raised is dropped
rather than trusted again. Tokenizing and parsing are separate steps so that the SQL
check can look a query's shape up (analyzers/sql_shape.py) before paying for the parse.
"""

from __future__ import annotations

import threading

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.parser import Parser
from sqlglot.tokenizer_core import Token
from sqlglot.tokens import Tokenizer

__all__ = ["parse", "parse_tokens", "tokenize"]

#: Distinct dialect strings a thread keeps a pair for; further ones are built per call.
_MAX_DIALECTS = 8
_local = threading.local()
_Pair = tuple[Tokenizer, Parser]


def _take(dialect: str) -> tuple[dict[str, _Pair], _Pair]:
    pool: dict[str, _Pair] | None = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    pair = pool.pop(dialect, None)
    if pair is None:
        reader = Dialect.get_or_raise(dialect)
        pair = (reader.tokenizer(), reader.parser())
    return pool, pair


def _give_back(pool: dict[str, _Pair], dialect: str, pair: _Pair) -> None:
    if len(pool) < _MAX_DIALECTS:
        pool[dialect] = pair


def tokenize(query: str, dialect: str) -> list[Token]:
    """What `Dialect.get_or_raise(dialect).tokenize(query)` returns, raising the same errors."""
    pool, pair = _take(dialect)
    tokens = pair[0].tokenize(query)
    pair[0].tokenize("")  # keep no reference to the query text (it may hold secrets)
    _give_back(pool, dialect, pair)
    return tokens


def parse_tokens(tokens: list[Token], query: str, dialect: str) -> list[exp.Expr | None]:
    """Parse the tokens `tokenize(query, dialect)` returned, as `sqlglot.parse` would."""
    pool, pair = _take(dialect)
    statements = pair[1].parse(tokens, query)
    pair[1].reset()
    _give_back(pool, dialect, pair)
    return statements


def parse(query: str, dialect: str) -> list[exp.Expr | None]:
    """What `sqlglot.parse(query, read=dialect)` returns, raising the same errors."""
    return parse_tokens(tokenize(query, dialect), query, dialect)
