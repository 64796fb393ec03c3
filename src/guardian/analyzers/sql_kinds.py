"""What each kind of sqlglot node means to the SQL walk, looked up once per node class.

The walk visits every node of a statement, so the question "is this a column, a table, a
write, ...?" is answered by one dict lookup per node instead of a chain of isinstance
checks against ~45 statement classes; the answer for a class is computed the first time
the class is seen.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = [
    "COLUMN", "DANGEROUS_FUNCTIONS", "FUNC", "JOIN", "KINDS", "LEAVES", "READ_ROOTS",
    "SCOPED", "SELECT", "STAR", "TABLE", "WITH", "WRITE", "WRITING_FUNCTIONS", "kind_of",
]  # fmt: skip

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

SELECT, COLUMN, TABLE, STAR, JOIN, FUNC, WITH, WRITE, SCOPED = (1 << i for i in range(9))
_ROLES: tuple[tuple[type[exp.Expr], int], ...] = (
    (exp.Select, SELECT), (exp.Column, COLUMN), (exp.Table, TABLE), (exp.Star, STAR),
    (exp.Join, JOIN), (exp.Func, FUNC), (exp.With, WITH),
)  # fmt: skip
_WITH_OWNERS = (exp.Query, exp.DML)  # statements that may carry a WITH clause
#: Node class -> its kind bits (0: nothing to do but visit the children); filled lazily.
KINDS: dict[type[exp.Expr], int] = {}
#: Names and literals: they hold only text, and are about half of all nodes. The walk skips
#: them unless their text is, unexpectedly, a node.
LEAVES = frozenset({exp.Identifier, exp.Literal, exp.Var, exp.Boolean})


def kind_of(cls: type[exp.Expr]) -> int:
    """The kind bits of node class `cls`, remembered in KINDS."""
    kind = next((bit for base, bit in _ROLES if issubclass(cls, base)), 0)
    if issubclass(cls, _WRITES):
        kind |= WRITE
    if issubclass(cls, _WITH_OWNERS):
        kind |= SCOPED
    KINDS[cls] = kind
    return kind
