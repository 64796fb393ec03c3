"""The walk over a parsed statement: which tables, columns and rows it touches.

One pass over sqlglot's syntax tree records writes, dangerous calls and catalog reads as
findings, and the tables, columns (with the tables each may belong to) and whole-row
reads the SQL policy judges. Name resolution follows SQL scoping closely enough to see
through aliases, CTEs and subqueries, and fails closed where it cannot be sure.
"""

from __future__ import annotations

from sqlglot import exp

from guardian.analyzers.sql_kinds import (
    COLUMN,
    DANGEROUS_FUNCTIONS,
    FUNC,
    JOIN,
    KINDS,
    LEAVES,
    READ_ROOTS,
    SCOPED,
    SELECT,
    STAR,
    TABLE,
    WITH,
    WRITE,
    WRITING_FUNCTIONS,
    kind_of,
)
from guardian.analyzers.sql_scope import NO_CTES, Ctes, Scope, ident_text, norm
from guardian.analyzers.verdict import Finding

__all__ = ["READ_ROOTS", "ColumnRef", "Walker"]

SQL_WRITE = "sql_write"
SQL_DANGEROUS_FUNCTION = "sql_dangerous_function"
SQL_CATALOG_READ = "sql_catalog_read"

_CATALOG_SCHEMAS = frozenset({"information_schema", "pg_catalog"})

#: A referenced column and the real tables it may belong to (lower-case names).
ColumnRef = tuple[str, tuple[str, ...]]
_Todo = list[tuple[exp.Expr, Scope | None, Ctes]]  # nodes to visit, each in its context


class Walker:
    """Iterative walk (no recursion limit) collecting findings, tables, columns and stars."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.tables: list[str] = []
        self.columns: list[ColumnRef] = []
        self.stars: list[str] = []
        self.literals: list[exp.Literal] = []  # for the shape cache's soundness test
        # id of a WITH -> (scope, CTEs visible, CTE name -> index) where its owner stands
        self._owners: dict[int, tuple[Scope | None, Ctes, dict[str, int]]] = {}

    def statement(self, root: exp.Expr) -> None:
        if not isinstance(root, READ_ROOTS):
            what = str(root.this)[:24] if isinstance(root, exp.Command) else root.key
            self.findings.append(Finding.deny(SQL_WRITE, f"{what.upper()} statement is not a read"))
        # Pre-order, children in argument order, each carrying the scope and the visible
        # CTEs it is resolved in, so no node looks at its ancestors. About half of all
        # nodes are names and literals, never visited; of the rest only a few kinds do
        # more than a dict lookup.
        kinds, leaves, expr, literal = KINDS, LEAVES, exp.Expr, exp.Literal
        todo: _Todo = [(root, None, NO_CTES)]
        pop, push, seen = todo.pop, todo.append, self.literals.append
        while todo:
            node, scope, ctes = pop()
            kind = kinds.get(type(node))
            if kind is None:
                kind = kind_of(type(node))
            if kind:
                if kind & WRITE and node is not root:
                    self._write(node)
                if kind & SCOPED:
                    scope, ctes = self._scoped(node, kind, scope, ctes)
                elif kind & COLUMN:
                    if self._column(node, scope):  # type: ignore[arg-type]
                        continue
                elif kind & TABLE:
                    self._table(node, ctes)  # type: ignore[arg-type]
                elif kind & STAR:
                    # count(*) reads no values; t.* is handled with its Column.
                    if scope is not None and not scope.hides_star:
                        if not isinstance(node.parent, (exp.AggFunc, exp.Column)):
                            self.stars.extend(scope.real)
                elif kind & JOIN:
                    self._join(node, scope)  # type: ignore[arg-type]
                elif kind & FUNC:
                    self._function(node)  # type: ignore[arg-type]
                elif kind & WITH and self._with(node, scope, ctes, todo):
                    continue
            for value in reversed(node.args.values()):  # pushed last first: pop first first
                if type(value) is list:
                    for child in reversed(value):
                        if isinstance(child, expr):
                            if type(child) not in leaves or isinstance(child.this, expr):
                                push((child, scope, ctes))
                            elif type(child) is literal:
                                seen(child)
                elif isinstance(value, expr):
                    if type(value) not in leaves or isinstance(value.this, expr):
                        push((value, scope, ctes))
                    elif type(value) is literal:
                        seen(value)

    def _scoped(
        self, node: exp.Expr, kind: int, scope: Scope | None, ctes: Ctes
    ) -> tuple[Scope | None, Ctes]:
        """The context of the children of a statement that may hold a WITH or open a scope."""
        with_ = node.args.get("with_")
        if isinstance(with_, exp.With):
            first: dict[str, int] = {}
            for i, cte in enumerate(with_.expressions):
                first.setdefault(norm(cte.alias_or_name), i)
            self._owners[id(with_)] = (scope, ctes, first)
            ctes = Ctes(ctes, first, len(with_.expressions))
        if kind & SELECT:
            assert isinstance(node, exp.Select)
            scope = self._enter(node, scope, ctes)
        return scope, ctes

    def _with(self, with_: exp.Expr, scope: Scope | None, ctes: Ctes, todo: _Todo) -> bool:
        """Queue a statement's WITH, each CTE body in its own context; False for a WITH
        that belongs to no statement (its children are then queued as any others)."""
        owner = self._owners.pop(id(with_), None)
        if owner is None:
            return False
        outer, before, first = owner
        bodies = with_.expressions
        everything = len(bodies)
        recursive = bool(with_.args.get("recursive"))
        for value in reversed(with_.args.values()):
            if value is bodies:
                for i in range(everything - 1, -1, -1):
                    # A CTE body is resolved where its statement stands and sees the CTEs
                    # before it (all of them when RECURSIVE).
                    visible = Ctes(before, first, everything if recursive else i)
                    todo.append((bodies[i], outer, visible))
            else:
                for child in reversed(value) if type(value) is list else (value,):
                    if isinstance(child, exp.Expr):
                        todo.append((child, scope, ctes))
        return True

    def _write(self, node: exp.Expr) -> None:
        if isinstance(node, exp.Into):
            why = "SELECT ... INTO writes a table"
        elif isinstance(node, exp.Lock):
            why = "SELECT ... FOR UPDATE/SHARE takes row locks"
        elif isinstance(node, exp.Command):
            why = f"{str(node.this).upper()[:24]} command inside the query is not a read"
        else:
            why = f"data-modifying {node.key.upper()} inside the query"
        self.findings.append(Finding.deny(SQL_WRITE, why))

    def _enter(self, select: exp.Select, parent: Scope | None, ctes: Ctes) -> Scope:
        scope = Scope(parent, hides_star=isinstance(select.parent, exp.Exists))
        sources: list[exp.Expr] = []
        from_ = select.args.get("from_")
        if isinstance(from_, exp.From):
            sources.append(from_.this)
        sources.extend(j.this for j in select.args.get("joins") or ())
        for src in sources:
            alias = norm(src.alias)
            real = _real_table(src, ctes) if isinstance(src, exp.Table) else None
            if real is not None:
                scope.real.append(real)
                scope.sources[real] = real
            name = alias or (norm(src.name) if isinstance(src, exp.Table) else "")
            if name:
                scope.sources[name] = real
        return scope

    def _column(self, col: exp.Column, scope: Scope | None) -> bool:
        """Record one column reference; True when the Column holds nothing but names (the
        usual case), so the walk need not enter it."""
        # The hottest method: reads the Identifier texts directly instead of going through
        # the `.table` / `.name` properties and `ident_text`.
        args = col.args
        ident = args.get("table")
        if ident is None:
            qualifier = ""
        elif type(ident) is exp.Identifier:
            text = ident.this
            qualifier = (
                text.lower() if type(text) is str and "\\" not in text else ident_text(ident)
            )
        else:
            qualifier = norm(col.table)
        this = args.get("this")
        if type(this) is exp.Identifier:
            text = this.this
            name = text.lower() if type(text) is str and "\\" not in text else ident_text(this)
        elif isinstance(this, exp.Star):  # t.*
            self.stars.extend(
                _qualified(qualifier, scope) if qualifier else (scope.real if scope else ())
            )
            return False
        else:
            name = norm(col.name)
        if qualifier:
            tables = scope.qualified(qualifier) if scope is not None else (qualifier,)
        elif scope is not None:
            tables = scope.visible_tables()
            found, real = scope.lookup(name)
            if found and real is not None:  # `SELECT u FROM users u` returns whole rows
                self.stars.append(real)
        else:
            tables = ()
        self.columns.append((name, tables))
        for value in args.values():
            if value is not None and (
                type(value) is not exp.Identifier or type(value.this) is not str
            ):
                return False
        return True

    def _table(self, table: exp.Table, ctes: Ctes) -> None:
        real = _real_table(table, ctes)
        if real is None:
            return
        self.tables.append(real)
        schema = norm(table.db)
        if (
            schema in _CATALOG_SCHEMAS
            or norm(table.catalog) in _CATALOG_SCHEMAS
            or (not schema and real.startswith("pg_"))
        ):
            shown = f"{schema}.{real}" if schema else real
            self.findings.append(Finding.ask(SQL_CATALOG_READ, f"reads system catalog {shown}"))

    def _join(self, join: exp.Join, scope: Scope | None) -> None:
        if scope is None:
            return
        for ident in join.args.get("using") or ():
            # JOIN ... USING (col) compares col in every joined table.
            self.columns.append((norm(ident.name), tuple(scope.real)))
        if str(join.args.get("method") or "").upper() == "NATURAL":
            self.stars.extend(scope.real)  # compares every same-named column: fail closed

    def _function(self, func: exp.Func) -> None:
        if isinstance(func, exp.Anonymous):
            name = norm(func.name)
        else:
            name = type(func).__name__.lower()
        if name in DANGEROUS_FUNCTIONS or name.startswith("dblink"):
            self.findings.append(Finding.deny(SQL_DANGEROUS_FUNCTION, f"calls {name}()"))
        elif name in WRITING_FUNCTIONS or name.startswith(("pg_advisory", "pg_try_advisory")):
            self.findings.append(
                Finding.deny(SQL_WRITE, f"calls {name}(), which changes database state or locks")
            )


def _real_table(table: exp.Expr, ctes: Ctes) -> str | None:
    """The lower-case name of the real table `table` reads, or None (CTE, function, ...)."""
    if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
        return None
    name = norm(table.name)
    if not table.db and name in ctes:
        return None
    return name


def _qualified(qualifier: str, scope: Scope | None) -> tuple[str, ...]:
    return scope.qualified(qualifier) if scope is not None else (qualifier,)
