"""Replay speed (issue 3): decisions re-decided per second, from a JSONL ledger file alone.

Builds a ledger of N decisions with a realistic policy (exact and wildcard rules, some `when`
conditions, a rate limit, SQL analysis on a tenth of the intents), writes its JSONL, then times
`replay_jsonl` over the file, as a third party would run it (and, for comparison, `replay` over
`parse_line` of each line). Goal: >= 50,000 decisions/s. The targets are all distinct.

    .venv/bin/python bench/replay.py [--decisions 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

from guardian import Guardian
from guardian.governance.replay import ReplayReport, replay, replay_jsonl
from guardian.ledger.entry import parse_line

DATA = Path(__file__).resolve().parent / ".data" / "replay"


def policy(rules: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for i in range(rules):
        rule: dict[str, object] = {"id": f"r{i}", "actor": f"agent-{i % 50}", "action": f"tool_{i % 200}",
                                   "effect": random.choice(["ALLOW", "ALLOW", "DENY"])}  # fmt: skip
        if i % 10 == 0:
            rule["when"] = "params.n < 50"
        if i % 10 == 1:
            rule["action"] = f"ns{i % 20}.*"
        out.append(rule)
    out.append(
        {
            "id": "sql",
            "action": "run_sql",
            "effect": "ALLOW",
            "analyze": {"sql": {"sensitive": {"users": ["email"]}}},
        }
    )
    out.append(
        {
            "id": "search",
            "action": "search",
            "effect": "ALLOW",
            "rate_limit": {"max": 100, "window": "60s"},
        }
    )
    out.append({"id": "default", "effect": "DENY"})
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--decisions", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each (best is shown)")
    args = parser.parse_args()
    random.seed(7)
    DATA.mkdir(parents=True, exist_ok=True)
    g = Guardian(policy(1000))
    queries = ["SELECT id FROM t WHERE id = 1", "SELECT email FROM users LIMIT 5", "DELETE FROM t"]
    for n in range(args.decisions):
        kind = n % 10
        if kind == 0:
            g.decide(f"agent-{n % 60}", "run_sql", "db", {"query": queries[n % 3]})
        elif kind == 1:
            g.decide(f"agent-{n % 60}", "search", f"q{n}")
        else:
            g.decide(
                f"agent-{n % 60}",
                random.choice([f"tool_{n % 220}", f"ns{n % 25}.x"]),
                f"t{n}",
                {"n": n % 100},
            )
    path = DATA / "ledger.jsonl"
    path.write_bytes(b"".join(e.line() for e in g.ledger.entries()))

    def from_lines() -> ReplayReport:
        with path.open("rb") as lines:
            return replay(parse_line(line) for line in lines)

    size = path.stat().st_size / 1e6
    rate = 0.0
    for name, run in (("replay_jsonl(path)", lambda: replay_jsonl(path)),
                      ("replay(parse_line(line) ...)", from_lines)):  # fmt: skip
        for _ in range(args.runs):
            load = os.getloadavg()[0]
            started = time.perf_counter()
            report = run()
            seconds = time.perf_counter() - started
            per_s = report.decisions / seconds
            print(f"{name:<30} {report.decisions:,} decisions from {path.name} ({size:.0f} MB): "
                  f"{seconds:.2f} s, {per_s:,.0f} decisions/s, result {report.verdict} "
                  f"(load {load:.2f})")  # fmt: skip
            if run is not from_lines:
                rate = max(rate, per_s)
    print(f"goal >= 50,000 decisions/s (replay_jsonl, best of {args.runs}): "
          f"{'met' if rate >= 50_000 else 'NOT met'} ({rate:,.0f}/s)")  # fmt: skip


if __name__ == "__main__":
    main()
