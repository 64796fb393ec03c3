"""A query's shape: its tokens with the values of its literals left out.

Agents send the same few queries again and again with different values. Parsing is most of
what the SQL check costs (sqlglot's parser takes ~200 µs for a three-table JOIN on the
benchmark machine, its tokenizer ~45 µs), while the facts the check judges (tables,
columns, writes, calls, row bound) do not depend on the values of string and number
literals, with two exceptions: sqlglot makes names out of some strings (`FROM 'users'`,
`AS 'u'`), and a LIMIT or FETCH count bounds the rows. So facts are cached per shape: the
token types, texts and spacing, with the texts of STRING and NUMBER tokens left out, except for
numbers just after LIMIT, FETCH, FIRST, NEXT or TOP. A shape is cached only once its parse
has shown that neither exception reached a left-out literal (`cacheable`): each became a
Literal node of its own and none bounds the rows. The cache holds no literal values, so no
secret a query carried outlives the call.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlglot import exp
from sqlglot.tokenizer_core import Token, TokenType

if TYPE_CHECKING:
    from guardian.analyzers.sql_facts import QueryFacts

__all__ = ["SHAPES", "Shape", "ShapeCache", "cacheable", "shape_of"]

#: Per token its type (as `~type` when no space separates it from the one before, which
#: the parser sometimes reads as one name) and, unless left out, its text. Types are ints and
#: texts `str`, so the flat sequence reads back unambiguously.
Shape = tuple[object, ...]

_LEFT_OUT = frozenset({TokenType.STRING, TokenType.NUMBER})
_NUMBER = TokenType.NUMBER
_BOUNDING = frozenset({
    TokenType.LIMIT, TokenType.FETCH, TokenType.FIRST, TokenType.NEXT, TokenType.TOP,
})  # fmt: skip


def shape_of(tokens: Sequence[Token]) -> tuple[Shape, list[Token]]:
    """The shape of a tokenized query, and the tokens whose texts it leaves out (the hot
    path of a cache hit: one pass, no calls)."""
    key: list[object] = []
    add = key.append
    left_out: list[Token] = []
    leave = left_out.append
    before = last = None
    end = -2
    for token in tokens:
        kind = token.token_type
        add(~kind if token.start == end + 1 else kind)  # sqlglot reads some tokens as one
        end = token.end
        if kind not in _LEFT_OUT or (
            kind is _NUMBER and (last in _BOUNDING or before in _BOUNDING)
        ):
            add(token.text)
        else:
            leave(token)
        before, last = last, kind
    return tuple(key), left_out


def cacheable(
    left_out: Sequence[Token], literals: Sequence[exp.Literal], bounding: Sequence[exp.Literal]
) -> bool:
    """True when facts read off a parse hold for every query of the same shape.

    `literals` are the tree's Literal nodes and `bounding` those a LIMIT/FETCH count was
    read from. Every left-out token must have become a Literal of its own, at its own
    position, so none was made into a name or anything else; and none may bound the rows or
    stand where the walk reads a name (`SELECT t.1`). A Literal without a position fails the
    test, and a false answer only costs the cache a shape.
    """
    if not left_out:
        return True
    kept = {literal.meta.get("start") for literal in literals}
    # A token's value must not matter anywhere, even where sqlglot copied its Literal.
    for literal in (*bounding, *filter(_named, literals)):
        kept.discard(literal.meta.get("start"))
    kept.discard(None)
    return all(token.start in kept for token in left_out)


#: Nodes whose literal children are names to the SQL walk (`t.1` is column "1" of t).
_NAMING = (exp.Column, exp.Table, exp.TableAlias, exp.Dot, exp.CTE)


def _named(literal: exp.Literal) -> bool:
    return isinstance(literal.parent, _NAMING) or literal.arg_key == "alias"


class ShapeCache:
    """Facts per (dialect, shape), at most `size` of them; the oldest goes first."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._facts: dict[tuple[str, Shape], QueryFacts] = {}
        self._lock = threading.Lock()

    def get(self, dialect: str, shape: Shape) -> QueryFacts | None:
        return self._facts.get((dialect, shape))

    def put(self, dialect: str, shape: Shape, facts: QueryFacts) -> None:
        with self._lock:
            if len(self._facts) >= self._size:
                del self._facts[next(iter(self._facts))]
            self._facts[(dialect, shape)] = facts

    def clear(self) -> None:
        with self._lock:
            self._facts.clear()

    def __len__(self) -> int:
        return len(self._facts)


#: The process's shape cache, used by `sql_facts.extract`.
SHAPES = ShapeCache(1024)
