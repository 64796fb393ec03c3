"""Read-only queries the server runs on the ledger table, with filters and limits in the database.

The `Ledger` protocol only appends and streams; the server also needs "one page after seq N", "the
decision with this id", "the last 100 decisions of actor A" and "decisions per actor", which a store
answers with one indexed or bounded query instead of a scan in Python. SQLite and PostgreSQL differ
only in how a JSON field of the payload is read.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson
from sqlalchemy import Engine, text

from guardian.ledger.entry import Entry

_COLUMNS = "seq, kind, ts, payload, prev_hash, hash"


def _entry(row: Sequence[Any]) -> Entry:
    seq, kind, ts, payload, prev_hash, digest = row
    return Entry(int(seq), kind, ts, orjson.loads(payload), prev_hash, digest)


class LedgerReads:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgres = engine.dialect.name == "postgresql"

    def _json(self, *keys: str) -> str:
        """SQL for the text of payload.<keys> (keys are constants of this module, never input)."""
        if self._postgres:
            path = "".join(f"->'{k}'" for k in keys[:-1])
            return f"(payload::json{path}->>'{keys[-1]}')"
        return f"json_extract(payload, '$.{'.'.join(keys)}')"

    def _rows(self, sql: str, params: dict[str, Any]) -> list[Sequence[Any]]:
        with self._engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def head_seq(self) -> int:
        rows = self._rows("SELECT MAX(seq) FROM ledger_entries", {})
        return int(rows[0][0] or 0)

    def entries(self, after: int, limit: int, kinds: Sequence[str] | None = None) -> list[Entry]:
        """Up to `limit` entries with seq > after, in order (of the given kinds only, if any)."""
        where = "seq > :after"
        params: dict[str, Any] = {"after": after, "limit": limit}
        if kinds:
            names = [f":k{i}" for i in range(len(kinds))]
            where += f" AND kind IN ({', '.join(names)})"
            params.update({f"k{i}": k for i, k in enumerate(kinds)})
        sql = f"SELECT {_COLUMNS} FROM ledger_entries WHERE {where} ORDER BY seq LIMIT :limit"  # noqa: S608
        return [_entry(r) for r in self._rows(sql, params)]

    def by_decision(self, kind: str, decision_id: str) -> Entry | None:
        """The first entry of `kind` for this decision id (the `ref` column is indexed)."""
        sql = (f"SELECT {_COLUMNS} FROM ledger_entries WHERE ref = :ref AND kind = :kind "  # noqa: S608
               "ORDER BY seq LIMIT 1")  # fmt: skip
        rows = self._rows(sql, {"ref": decision_id, "kind": kind})
        return _entry(rows[0]) if rows else None

    def recent_decisions(self, limit: int, *, actor: str | None = None, action: str | None = None,
                         verdict: str | None = None) -> list[Entry]:  # fmt: skip
        """The newest decision entries, newest first, optionally of one actor, action or verdict."""
        where = ["kind = 'decision'"]
        params: dict[str, Any] = {"limit": limit}
        for name, value, keys in (("actor", actor, ("intent", "actor")),
                                  ("action", action, ("intent", "action")),
                                  ("verdict", verdict, ("decision",))):  # fmt: skip
            if value:
                where.append(f"{self._json(*keys)} = :{name}")
                params[name] = value
        sql = (f"SELECT {_COLUMNS} FROM ledger_entries WHERE {' AND '.join(where)} "  # noqa: S608
               "ORDER BY seq DESC LIMIT :limit")  # fmt: skip
        return [_entry(r) for r in self._rows(sql, params)]

    def decision_counts(self) -> list[tuple[str, str, int]]:
        """(actor, verdict, count) over every decision in the ledger."""
        actor, verdict = self._json("intent", "actor"), self._json("decision")
        sql = (f"SELECT {actor}, {verdict}, COUNT(*) FROM ledger_entries "  # noqa: S608
               "WHERE kind = 'decision' GROUP BY 1, 2 ORDER BY 1, 2")  # fmt: skip
        return [(str(a), str(v), int(n)) for a, v, n in self._rows(sql, {})]
