"""Name resolution for the SQL walk: scopes, visible CTEs, and how names compare.

SQL decides which table a column belongs to by scope: the FROM/JOIN sources of its own
SELECT, then those of the enclosing SELECTs; a CTE name hides a table only where it is
visible. Resolving the same way is what lets aliases, CTEs and subqueries be seen through
instead of trusted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlglot import exp

__all__ = ["NO_CTES", "Ctes", "Scope", "ident_text", "norm"]

# Postgres U&"\0073sn" identifiers reach us (sqlglot reads them as `U & "\0073sn"`) with
# their escapes intact; decoding them keeps `ssn` from hiding behind `\0073sn`.
_UNICODE_ESCAPE = re.compile(r"\\(?:\+([0-9A-Fa-f]{6})|([0-9A-Fa-f]{4}))")


def _unescape(m: re.Match[str]) -> str:
    code = int(m.group(1) or m.group(2), 16)
    return chr(code) if code <= 0x10FFFF else m.group()


def ident_text(ident: exp.Expr) -> str:
    """An Identifier's name, normalised like `norm`."""
    name = ident.this
    if not isinstance(name, str):
        return norm(ident.name)
    return name.lower() if "\\" not in name else norm(name)


def norm(name: str) -> str:
    """How names compare: case-insensitively, with Unicode escapes decoded."""
    if "\\" in name:
        name = _UNICODE_ESCAPE.sub(_unescape, name)
    return name.lower()


@dataclass(slots=True)
class Scope:
    """The FROM/JOIN sources of one SELECT, chained to the enclosing SELECT's scope."""

    parent: Scope | None
    sources: dict[str, str | None] = field(default_factory=dict)  # name/alias -> real table
    real: list[str] = field(default_factory=list)
    hides_star: bool = False  # `EXISTS (SELECT * ...)` reads no column values
    visible: tuple[str, ...] | None = None  # cache; sources are complete before columns
    resolved: dict[str, tuple[str, ...]] = field(default_factory=dict)  # cache of `qualified`

    def lookup(self, name: str) -> tuple[bool, str | None]:
        scope: Scope | None = self
        while scope is not None:
            if name in scope.sources:
                return True, scope.sources[name]
            scope = scope.parent
        return False, None

    def qualified(self, qualifier: str) -> tuple[str, ...]:
        """The tables `qualifier.column` may belong to. The qualifier itself counts as a
        table name too: unknown qualifiers fail closed."""
        tables = self.resolved.get(qualifier)
        if tables is None:
            real = self.lookup(qualifier)[1]
            tables = (qualifier,) if real is None or real == qualifier else (real, qualifier)
            self.resolved[qualifier] = tables
        return tables

    def visible_tables(self) -> tuple[str, ...]:
        """Real tables of this scope and the enclosing ones (correlated references)."""
        if self.visible is None:
            out: list[str] = []
            scope: Scope | None = self
            while scope is not None:
                out.extend(scope.real)
                scope = scope.parent
            self.visible = tuple(dict.fromkeys(out))
        return self.visible


@dataclass(frozen=True, slots=True)
class Ctes:
    """CTE names visible at a point: the first `limit` of one WITH list, then the outer ones.

    A chain rather than a set, so a WITH of n CTEs costs O(n), not O(n^2), to set up.
    """

    outer: Ctes | None
    first: dict[str, int]  # name -> index of its first definition in the WITH list
    limit: int

    def __contains__(self, name: str) -> bool:
        ctes: Ctes | None = self
        while ctes is not None:
            if ctes.first.get(name, ctes.limit) < ctes.limit:
                return True
            ctes = ctes.outer
        return False


NO_CTES = Ctes(None, {}, 0)
