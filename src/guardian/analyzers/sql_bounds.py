"""How many rows can a read return? Enough to tell a bounded read from a table dump.

The rule is deliberately simple and literal: the outermost query is bounded by a WHERE, by
a numeric LIMIT/FETCH, by being a pure aggregate without GROUP BY (one row), or by having
no FROM and no set-returning function. Anything not understood (LIMIT ALL, LIMIT $1, LIMIT 5+5) is unbounded.
"""

from __future__ import annotations

from sqlglot import exp

__all__ = ["row_bound"]

# Set-returning functions: `SELECT generate_series(1, 1e9)` has no FROM yet many rows.
_SRF_NODES = (exp.GenerateSeries, exp.Explode, exp.Unnest, exp.UDTF)
_SRF_NAMES = frozenset({
    "generate_series", "generate_subscripts", "unnest", "regexp_matches",
    "regexp_split_to_table", "string_to_table", "json_array_elements", "jsonb_array_elements",
    "json_array_elements_text", "jsonb_array_elements_text", "json_each", "jsonb_each",
    "json_each_text", "jsonb_each_text", "json_object_keys", "jsonb_object_keys",
    "json_populate_recordset", "jsonb_populate_recordset", "json_to_recordset",
    "jsonb_to_recordset", "jsonb_path_query", "pg_ls_dir",
})  # fmt: skip


def _returns_sets(select: exp.Select) -> bool:
    for node in select.walk():
        if isinstance(node, _SRF_NODES):
            return True
        if isinstance(node, exp.Anonymous) and node.name.lower() in _SRF_NAMES:
            return True
    return False


def _limit(node: exp.Expr, read: list[exp.Literal]) -> int | None:
    limit = node.args.get("limit")
    if isinstance(limit, exp.Fetch):
        count = limit.args.get("count")
        if count is None:
            return 1  # FETCH FIRST ROW ONLY
        if limit.args.get("limit_options") and limit.args["limit_options"].args.get("percent"):
            return None
        value: object = count
    elif isinstance(limit, exp.Limit):
        value = limit.expression
    else:
        return None
    if isinstance(value, exp.Literal) and not value.is_string and str(value.this).isdigit():
        read.append(value)
        return int(value.this)
    return None  # LIMIT ALL, LIMIT $1, expressions: not a usable bound


def _pure_aggregate(select: exp.Select) -> bool:
    """`SELECT count(*), max(x) FROM t`: one row, whatever the table size."""
    if select.args.get("group") or not select.expressions:
        return False
    for proj in select.expressions:
        if proj.find(exp.Window) is not None or proj.find(exp.AggFunc) is None:
            return False
        if any(c.find_ancestor(exp.AggFunc) is None for c in proj.find_all(exp.Column)):
            return False
    return True


def _bound(node: exp.Expr, read: list[exp.Literal]) -> int | None:
    limit = _limit(node, read)
    inner: int | None
    if isinstance(node, exp.Select):
        bounded = (
            node.args.get("where")
            or (not node.args.get("from_") and not _returns_sets(node))
            or _pure_aggregate(node)
        )
        inner = 0 if bounded else None
    elif isinstance(node, exp.Subquery):
        inner = _bound(node.this, read)
    elif isinstance(node, exp.SetOperation):
        left, right = _bound(node.left, read), _bound(node.right, read)
        inner = None if left is None or right is None else left + right
    elif isinstance(node, exp.Values):
        inner = len(node.expressions)
    else:
        inner = None
    if inner is None:
        return limit
    return inner if limit is None else min(inner, limit)


def row_bound(node: exp.Expr, read: list[exp.Literal] | None = None) -> int | None:
    """The most rows `node` can return (0 when a WHERE bounds it), None when unbounded.
    The count literals it went by are added to `read`."""
    try:
        return _bound(node, [] if read is None else read)
    except RecursionError:  # a chain of thousands of UNIONs: treat as unbounded
        return None
