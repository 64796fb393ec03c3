"""`guardian status` and `guardian scoreboard`: what is going on, from the store (and the server)."""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine, text

from guardian.cli.local import LocalState
from guardian.cli.output import DATABASE_OPTION, FORMAT_OPTION, OutputFormat, print_json, stdout
from guardian.core.clock import parse_iso_utc
from guardian.governance.watchdog import HEARTBEAT_NAME

URL = typer.Option(os.environ.get("GUARDIAN_URL", "http://127.0.0.1:8700"), "--url")
WATCHDOG_STALE_SECONDS = 10.0


def decisions_by_actor(engine: Engine) -> dict[str, dict[str, int]]:
    """Decision counts per actor and outcome, counted in the database (JSON functions of each dialect)."""
    if engine.dialect.name == "sqlite":
        query = ("SELECT json_extract(payload, '$.intent.actor'), json_extract(payload, '$.decision'), count(*) "
                 "FROM ledger_entries WHERE kind = 'decision' GROUP BY 1, 2")  # fmt: skip
    else:
        query = ("SELECT payload::json->'intent'->>'actor', payload::json->>'decision', count(*) "
                 "FROM ledger_entries WHERE kind = 'decision' GROUP BY 1, 2")  # fmt: skip
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"ALLOW": 0, "ASK": 0, "DENY": 0})
    with engine.connect() as conn:
        for actor, decision, count in conn.execute(text(query)):
            out[str(actor)][str(decision)] = int(count)
    return dict(out)


def _watchdog(state: LocalState) -> dict[str, Any]:
    beat = state.heartbeats.last(HEARTBEAT_NAME)
    if beat is None:
        return {"alive": False, "last_beat": None, "pid": None}
    age = (state.clock.now() - parse_iso_utc(beat[1])).total_seconds()
    return {
        "alive": age < WATCHDOG_STALE_SECONDS,
        "last_beat": beat[1],
        "age_seconds": round(age, 1),
        "pid": beat[0],
    }


def _server(url: str) -> dict[str, Any]:
    import httpx

    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=2.0)
        return {"url": url, "reachable": True, "status": response.status_code}
    except httpx.HTTPError as exc:
        return {"url": url, "reachable": False, "error": type(exc).__name__}


def status(
    database: str | None = DATABASE_OPTION, url: str = URL, fmt: OutputFormat = FORMAT_OPTION
) -> None:
    """Server health, live counts, paused agents, running runs, and whether the watchdog is alive."""
    with LocalState(database) as state:
        counts = decisions_by_actor(state.engine)
        totals = {k: sum(c[k] for c in counts.values()) for k in ("ALLOW", "ASK", "DENY")}
        from guardian.governance.proposals import PENDING, ProposalStore

        data: dict[str, Any] = {
            "database": state.url, "server": _server(url), "watchdog": _watchdog(state),
            "decisions": totals, "pending_proposals": len(ProposalStore(state.engine).recent(PENDING, 10_000)),
            "paused": [f"{scope} {key}: {reason}" for (scope, key), reason in state.pauses.active().items()],
            "running": [r.to_dict() for r in state.runs.running()],
        }  # fmt: skip
    if fmt is OutputFormat.json:
        print_json(data)
        return
    server, dog = data["server"], data["watchdog"]
    stdout.print(
        f"server   {escape(url)}: {'up' if server['reachable'] else 'unreachable'}", highlight=False
    )
    stdout.print(f"watchdog {'alive' if dog['alive'] else 'NOT running'}"
                 + (f" (last beat {dog['age_seconds']}s ago, pid {dog['pid']})" if dog["last_beat"] else ""), highlight=False)  # fmt: skip
    stdout.print(f"decisions ALLOW {totals['ALLOW']}  ASK {totals['ASK']}  DENY {totals['DENY']}; "
                 f"{data['pending_proposals']} pending proposal(s)", highlight=False)  # fmt: skip
    for line in data["paused"]:
        stdout.print(f"paused   {escape(line)}", highlight=False)
    stdout.print(f"running  {len(data['running'])} run(s)", highlight=False)


def scoreboard(database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Per agent: spend against caps, runs, decisions by outcome, pauses."""
    with LocalState(database) as state:
        counts = decisions_by_actor(state.engine)
        caps = defaultdict(list)
        for budget in state.budgets.all():
            if budget.scope == "agent":
                info = budget.to_dict()
                caps[budget.key].append(f"{info['spent']} / {info['cap']}")
        runs: dict[str, int] = defaultdict(int)
        for run in state.runs.recent(10_000):
            runs[run.agent_id] += 1
        paused = {key for (scope, key) in state.pauses.active() if scope == "agent"}
    agents = sorted(set(counts) | set(caps) | set(runs) | paused)
    rows: list[dict[str, Any]] = [{"agent": a, "spend": caps.get(a, []), "runs": runs.get(a, 0),
             "decisions": counts.get(a, {"ALLOW": 0, "ASK": 0, "DENY": 0}), "paused": a in paused} for a in agents]  # fmt: skip
    if fmt is OutputFormat.json:
        print_json(rows)
        return
    table = Table(
        "agent", "spend / cap", "runs", "ALLOW", "ASK", "DENY", "paused", title="scoreboard"
    )
    for row in rows:
        d = row["decisions"]
        table.add_row(escape(row["agent"]), escape(", ".join(row["spend"]) or "-"), str(row["runs"]),
                      str(d["ALLOW"]), str(d["ASK"]), str(d["DENY"]), "yes" if row["paused"] else "")  # fmt: skip
    stdout.print(table)
