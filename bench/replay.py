"""Replay speed (issue 3): decisions re-decided per second, from a JSONL ledger file alone.

Builds a ledger of N decisions with a realistic policy (exact and wildcard rules, some `when`
conditions, a rate limit, SQL analysis on a tenth of the intents), writes its JSONL, then times
`replay` over the parsed file, as a third party would run it. Goal: >= 50,000 decisions/s.

    .venv/bin/python bench/replay.py [--decisions 100000]
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from guardian import Guardian
from guardian.governance.replay import replay
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
    started = time.perf_counter()
    with path.open("rb") as lines:
        report = replay(parse_line(line) for line in lines)
    seconds = time.perf_counter() - started
    rate = report.decisions / seconds
    print(f"replay of {report.decisions:,} decisions from {path.name} ({path.stat().st_size / 1e6:.0f} MB): "
          f"{seconds:.2f} s, {rate:,.0f} decisions/s, result {report.verdict}")  # fmt: skip
    print(f"goal >= 50,000 decisions/s: {'met' if rate >= 50_000 else 'NOT met'}")


if __name__ == "__main__":
    main()
