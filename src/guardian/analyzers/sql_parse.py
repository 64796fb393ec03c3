"""sqlglot's parse, minus the set-up: one tokenizer and parser kept per thread and dialect.

`sqlglot.parse(query, read=...)` builds a Dialect, a Tokenizer (with its keyword tables)
and a Parser on every call; on the benchmark machine that made parsing the benchmark's
three-table JOIN ~1.6x slower than with a kept pair (bench/analyzers.py prints both).
The pair is reusable but stateful, so each thread keeps its own; a pair in use is out of
the pool (a re-entrant call builds a fresh one), and one whose parse raised is dropped
rather than trusted again.
"""

from __future__ import annotations

import threading

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.parser import Parser
from sqlglot.tokens import Tokenizer

__all__ = ["parse"]

#: Distinct dialect strings a thread keeps a pair for; further ones are built per call.
_MAX_DIALECTS = 8
_local = threading.local()


def parse(query: str, dialect: str) -> list[exp.Expr | None]:
    """What `sqlglot.parse(query, read=dialect)` returns, raising the same errors."""
    pool: dict[str, tuple[Tokenizer, Parser]] | None = getattr(_local, "pool", None)
    if pool is None:
        pool = _local.pool = {}
    pair = pool.pop(dialect, None)
    if pair is None:
        reader = Dialect.get_or_raise(dialect)
        pair = (reader.tokenizer(), reader.parser())
    tokenizer, parser = pair
    statements = parser.parse(tokenizer.tokenize(query), query)
    # Keep no reference to the query text (it may hold secrets) past this call.
    tokenizer.tokenize("")
    parser.reset()
    if len(pool) < _MAX_DIALECTS:
        pool[dialect] = pair
    return statements
