"""The walk over a parsed statement: which tables, columns and rows it touches.

One pass over sqlglot's syntax tree records writes, dangerous calls and catalog reads as
findings, and the tables, columns (with the tables each may belong to) and whole-row
reads the SQL policy judges. Name resolution follows SQL scoping closely enough to see
through aliases, CTEs and subqueries, and fails closed where it cannot be sure.
"""

from __future__ import annotations

from sqlglot import exp

from guardian.analyzers.sql_scope import Context, Ctes, Scope, context_of, ident_text, norm
from guardian.analyzers.verdict import Finding

__all__ = ["DANGEROUS_FUNCTIONS", "READ_ROOTS", "WRITING_FUNCTIONS", "ColumnRef", "Walker"]

SQL_WRITE = "sql_write"
SQL_DANGEROUS_FUNCTION = "sql_dangerous_function"
SQL_CATALOG_READ = "sql_catalog_read"

#: Functions with side effects outside the query: sleeping, file and large-object I/O,
#: remote or dynamic SQL, killing sessions, changing settings.
DANGEROUS_FUNCTIONS = frozenset({
    "pg_sleep", "pg_sleep_for", "pg_sleep_until", "pg_read_file", "pg_read_binary_file",
    "pg_ls_dir", "pg_stat_file", "lo_import", "lo_export", "dblink", "pg_terminate_backend",
    "pg_cancel_backend", "pg_reload_conf", "set_config", "query_to_xml",
    "query_to_xml_and_xmlschema", "query_to_xmlschema", "cursor_to_xml",
    "sleep", "benchmark", "load_file", "load_extension",  # MySQL / SQLite equivalents
})  # fmt: skip
#: Functions that change database state from inside a SELECT: a write in disguise.
WRITING_FUNCTIONS = frozenset({
    "nextval", "setval", "lo_create", "lo_creat", "lo_unlink", "lo_put", "lo_from_bytea",
    "lo_truncate", "lo_truncate64", "pg_notify", "pg_switch_wal", "pg_create_restore_point",
    "pg_create_physical_replication_slot", "pg_create_logical_replication_slot",
    "pg_drop_replication_slot", "pg_promote", "pg_rotate_logfile", "pg_stat_reset",
    "pg_file_write", "pg_file_unlink", "pg_file_rename",
})  # fmt: skip
_CATALOG_SCHEMAS = frozenset({"information_schema", "pg_catalog"})
READ_ROOTS = (exp.Query, exp.Values)  # Select, Union/Intersect/Except, Subquery; VALUES
_WRITE_NAMES = (
    "DML", "DDL", "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter",
    "TruncateTable", "Grant", "Revoke", "Copy", "Command", "Set", "Into", "Lock", "Transaction",
    "Commit", "Rollback", "Analyze", "Comment", "Use", "LoadData", "Pragma", "Cache", "Uncache",
    "Refresh", "Kill", "Attach", "Detach", "Export", "Install", "Declare", "Execute",
    "ExecuteSql", "Put", "Get", "Directory", "AlterRename", "SwapTable", "LockingStatement",
)  # fmt: skip
_WRITES: tuple[type[exp.Expr], ...] = tuple(
    getattr(exp, n) for n in _WRITE_NAMES if isinstance(getattr(exp, n, None), type)
)

# Node classes mapped to what the walker does with them, filled lazily: one dict lookup per
# node instead of a chain of isinstance checks against ~45 statement classes.
_SELECT, _COLUMN, _TABLE, _STAR, _JOIN, _FUNC, _WRITE, _SCOPED = (1 << i for i in range(8))
_ACTIVE = (1 << 8) - 1
_KINDS: dict[type[exp.Expr], int] = {}
_ROLES: tuple[tuple[type[exp.Expr], int], ...] = (
    (exp.Select, _SELECT), (exp.Column, _COLUMN), (exp.Table, _TABLE), (exp.Star, _STAR),
    (exp.Join, _JOIN), (exp.Func, _FUNC),
)  # fmt: skip
_WITH_OWNERS = (exp.Query, exp.DML)  # statements that may carry a WITH clause


def _kind(cls: type[exp.Expr]) -> int:
    kind = next((bit for base, bit in _ROLES if issubclass(cls, base)), 0)
    if issubclass(cls, _WRITES):
        kind |= _WRITE
    if issubclass(cls, _WITH_OWNERS):
        kind |= _SCOPED
    _KINDS[cls] = kind
    return kind


#: A referenced column and the real tables it may belong to (lower-case names).
ColumnRef = tuple[str, tuple[str, ...]]


class Walker:
    """Iterative walk (no recursion limit) collecting findings, tables, columns and stars."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.tables: list[str] = []
        self.columns: list[ColumnRef] = []
        self.stars: list[str] = []

    def statement(self, root: exp.Expr) -> None:
        if not isinstance(root, READ_ROOTS):
            what = str(root.this)[:24] if isinstance(root, exp.Command) else root.key
            self.findings.append(Finding.deny(SQL_WRITE, f"{what.upper()} statement is not a read"))
        # sqlglot's own (compiled, iterative) pre-order walk; only the few node kinds that
        # matter do Python work. `context` holds (scope, visible CTE names) for the nodes
        # that change them; everything else inherits from its nearest ancestor in it.
        kinds = _KINDS
        context: dict[int, Context] = {}
        for node in root.walk(bfs=False):
            kind = kinds.get(type(node))
            if kind is None:
                kind = _kind(type(node))
            if not kind & _ACTIVE:
                continue
            found = context.get(id(node.parent))
            scope, ctes = found if found is not None else context_of(node, context)
            if kind & _WRITE and node is not root:
                self._write(node)
            if kind & _SCOPED:
                with_ = node.args.get("with_")
                if isinstance(with_, exp.With):
                    first: dict[str, int] = {}
                    for i, cte in enumerate(with_.expressions):
                        first.setdefault(norm(cte.alias_or_name), i)
                    everything = len(with_.expressions)
                    recursive = bool(with_.args.get("recursive"))
                    for i, cte in enumerate(with_.expressions):
                        # A CTE body sees the CTEs before it (all of them when RECURSIVE).
                        seen = Ctes(ctes, first, everything if recursive else i)
                        context[id(cte)] = (scope, seen)
                    ctes = Ctes(ctes, first, everything)
                if kind & _SELECT:
                    assert isinstance(node, exp.Select)
                    scope = self._enter(node, scope, ctes)
                context[id(node)] = (scope, ctes)
            elif kind & _COLUMN:
                assert isinstance(node, exp.Column)
                self._column(node, scope)
            elif kind & _TABLE:
                assert isinstance(node, exp.Table)
                self._table(node, ctes)
            elif kind & _STAR:
                # count(*) reads no values; t.* is handled with its Column.
                if scope is not None and not scope.hides_star:
                    if not isinstance(node.parent, (exp.AggFunc, exp.Column)):
                        self.stars.extend(scope.real)
            elif kind & _JOIN:
                assert isinstance(node, exp.Join)
                self._join(node, scope)
            elif kind & _FUNC:
                assert isinstance(node, exp.Func)
                self._function(node)

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

    def _column(self, col: exp.Column, scope: Scope | None) -> None:
        # The hottest method (one call per column reference): reads the Identifier children
        # directly instead of going through the `.table` / `.name` properties.
        args = col.args
        ident = args.get("table")
        qualifier = ident_text(ident) if type(ident) is exp.Identifier else norm(col.table)
        this = args.get("this")
        if isinstance(this, exp.Star):  # t.*
            self.stars.extend(
                _qualified(qualifier, scope) if qualifier else (scope.real if scope else ())
            )
            return
        name = ident_text(this) if type(this) is exp.Identifier else norm(col.name)
        if qualifier:
            tables: tuple[str, ...] = _qualified(qualifier, scope)
        elif scope is not None:
            tables = scope.visible_tables()
            found, real = scope.lookup(name)
            if found and real is not None:  # `SELECT u FROM users u` returns whole rows
                self.stars.append(real)
        else:
            tables = ()
        self.columns.append((name, tables))

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
    # The qualifier itself counts as a table name too: unknown qualifiers fail closed.
    real = scope.lookup(qualifier)[1] if scope is not None else None
    return (qualifier,) if real is None or real == qualifier else (real, qualifier)
