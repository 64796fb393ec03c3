"""Watchdog figures (issue 6), printed side by side in one run.

1. One watchdog pass over 10,000 agents (10,000 running runs and budgets) and a 1,000,000-entry
   SQLite ledger, with 1,000 new entries since the previous pass. Goal: < 100 ms. It tails the
   ledger from its cursor, so the ledger's size does not matter; governed-agents 0.1.0's watchdog
   pass on a comparable load (10,000 agents, 1,000,000 proposals) runs in its own venv.
2. From a loop's Nth identical intent to the agent's process being gone, with default settings,
   with real `guardian serve`, `guardian watchdog` and `guardian run` processes. Goal: < 2 s.

    .venv/bin/python bench/watchdog.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "bench" / ".data" / "watchdog"
PEER_VENV = ROOT / "bench" / ".venvs" / "governed-agents"


def build_ledger(path: Path, entries: int, agents: int) -> None:
    """A valid hash chain of `entries` decisions by `agents` agents, written in bulk."""
    from guardian.core.canonical import canonical_json
    from guardian.ledger.entry import GENESIS_HASH, Entry
    from guardian.ledger.open import open_ledger

    open_ledger(f"sqlite:///{path}", mirror=False, signing_key=False).close()
    conn = sqlite3.connect(path)
    prev, rows = GENESIS_HASH, []
    for seq in range(1, entries + 1):
        payload = {"decision_id": f"d{seq}", "intent": {"actor": f"agent-{seq % agents}", "action": "work",
                   "target": f"t{seq}", "params": {}, "metadata": {}, "session_id": None, "task_id": None},
                   "intent_hash": f"sha256:{seq:064x}", "decision": "ALLOW", "rule_id": "r",
                   "reasons": [{"code": "rule_allow", "message": "ok"}], "policy_hash": "sha256:0",
                   "principal": {"id": f"agent-{seq % agents}", "role": "agent", "authority": 1}}  # fmt: skip
        entry = Entry.seal(
            seq, "decision", "2026-01-01T00:00:00.000000Z", payload, prev, has_float=False
        )
        rows.append(
            (
                seq,
                "decision",
                entry.ts,
                canonical_json(payload, has_float=False).decode(),
                prev,
                entry.hash,
                f"d{seq}",
            )
        )
        prev = entry.hash
        if len(rows) == 50_000:
            conn.executemany(
                "INSERT INTO ledger_entries (seq, kind, ts, payload, prev_hash, hash, ref) VALUES (?,?,?,?,?,?,?)",
                rows,
            )
            rows.clear()
    conn.executemany(
        "INSERT INTO ledger_entries (seq, kind, ts, payload, prev_hash, hash, ref) VALUES (?,?,?,?,?,?,?)",
        rows,
    )
    conn.commit()
    conn.close()


def our_pass(entries: int, agents: int, passes: int) -> list[float]:
    from guardian.core.clock import SYSTEM_CLOCK, iso_utc
    from guardian.governance.pause import PauseBoard
    from guardian.governance.runs import Heartbeats, RunStore
    from guardian.governance.watchdog import Watchdog, WatchdogSettings
    from guardian.ledger.open import open_ledger
    from guardian.storage.engine import open_engine

    path = DATA / f"guardian-{entries}.db"
    total = entries + passes * 1000  # the passes read the last passes x 1,000 entries, 1,000 each
    if not path.exists():
        print(f"building a {total:,}-entry ledger ...", flush=True)
        build_ledger(path, total, agents)
    url = f"sqlite:///{path}"
    ledger = open_ledger(url, mirror=False, signing_key=False)
    engine = open_engine(url)
    now = iso_utc(SYSTEM_CLOCK.now() + timedelta(hours=1))  # runs look fresh: nothing to act on
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM runs")
        conn.exec_driver_sql("DELETE FROM budgets")
        conn.exec_driver_sql(
            "INSERT INTO runs (id, agent_id, status, started_at, heartbeat_at, timeout_seconds) VALUES (?,?,?,?,?,?)",
            [(f"run-{i}", f"agent-{i}", "running", now, now, 3600) for i in range(agents)],
        )
        conn.exec_driver_sql(
            "INSERT INTO budgets (id, scope, key, unit, currency, cap, spent, window_started_at) VALUES (?,?,?,?,?,?,?,?)",
            [(f"b-{i}", "agent", f"agent-{i}", "calls", "", 10**12, 0, now) for i in range(agents)],
        )
    dog = Watchdog(ledger, RunStore(engine, ledger, SYSTEM_CLOCK), PauseBoard(engine, ledger, SYSTEM_CLOCK),
                   Heartbeats(engine, SYSTEM_CLOCK), SYSTEM_CLOCK, WatchdogSettings(batch=1000), engine=engine)  # fmt: skip
    dog.cursor = total - passes * 1000
    timings = []
    for _ in range(passes):
        started = time.perf_counter()
        acted = dog.run_pass()
        timings.append((time.perf_counter() - started) * 1000)
        assert not acted, f"{len(acted)} findings on a quiet load"
    ledger.close()
    return timings


def peer_pass(entries: int, agents: int, passes: int) -> list[float] | None:
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(
            ["uv", "venv", "-q", str(PEER_VENV)],
            check=True,
            env={**os.environ, "UV_PYTHON_DOWNLOADS": "never"},
        )
        subprocess.run(
            ["uv", "pip", "install", "-q", "--python", str(python), "governed-agents==0.1.0"],
            check=True,
        )
    db = DATA / f"governed-agents-{entries}.sqlite"
    result = subprocess.run([str(python), str(ROOT / "bench" / "peers" / "ga_watchdog.py"), str(db), str(agents),
                             str(entries), str(passes)], capture_output=True, text=True, timeout=3600, check=False)  # fmt: skip
    if result.returncode != 0:
        print(f"governed-agents failed: {result.stderr[-2000:]}")
        return None
    return list(json.loads(result.stdout.strip().splitlines()[-1])["pass_ms"])


def loop_to_gone(trials: int) -> list[float]:
    """Seconds from the Nth identical decision to the watchdog's entry (written after the process is gone)."""
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    import httpx
    from test_watchdog_runner import LOOPER, POLICY, free_port  # the same agents the tests run

    from guardian.core.clock import parse_iso_utc

    results = []
    for trial in range(trials):
        folder = DATA / f"loop-{trial}-{os.getpid()}"
        (folder / "agents" / "looper").mkdir(parents=True, exist_ok=True)
        (folder / "policy.yaml").write_text(POLICY)
        (folder / "agents" / "looper" / "agent.py").write_text(LOOPER)
        (folder / "agents" / "looper" / "agent.toml").write_text(
            f'command = ["{sys.executable}", "agent.py"]\ntools = ["poll_status"]\n'
        )
        database = f"sqlite:///{folder}/.guardian/guardian.db"
        port = free_port()
        guardian = [sys.executable, "-m", "guardian"]
        server = subprocess.Popen([*guardian, "serve", "--port", str(port), "--policy", str(folder / "policy.yaml"),
                                   "--database", database, "--log-level", "warning"], cwd=folder,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        for _ in range(300):
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        dog = subprocess.Popen(
            [*guardian, "watchdog", "--database", database],
            cwd=folder,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # default settings
        time.sleep(1.0)
        subprocess.run([*guardian, "run", "looper", "--project", str(folder), "--database", database, "--url",
                        f"http://127.0.0.1:{port}"], cwd=folder, capture_output=True, timeout=120, check=False)  # fmt: skip
        for process in (dog, server):
            process.terminate()
            process.wait(timeout=20)
        with sqlite3.connect(f"{folder}/.guardian/guardian.db") as conn:
            rows = conn.execute(
                "SELECT kind, ts, payload FROM ledger_entries WHERE kind IN ('decision', 'watchdog') ORDER BY seq"
            ).fetchall()
        finding = next(json.loads(p) for k, _, p in rows if k == "watchdog")
        nth = finding["evidence"]["last_seq"]
        with sqlite3.connect(f"{folder}/.guardian/guardian.db") as conn:
            nth_ts = conn.execute("SELECT ts FROM ledger_entries WHERE seq = ?", (nth,)).fetchone()[
                0
            ]
        gone_ts = next(ts for k, ts, _ in rows if k == "watchdog")
        results.append((parse_iso_utc(gone_ts) - parse_iso_utc(nth_ts)).total_seconds())
    return results


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="100,000 entries and 2 loop trials")
    args = parser.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    entries, agents = (100_000, 10_000) if args.quick else (1_000_000, 10_000)
    ours = our_pass(entries, agents, 20)
    peer = peer_pass(entries, agents, 3)
    print(
        f"\nwatchdog pass, {agents:,} agents, {entries:,}-entry ledger, 1,000 new entries per pass"
    )
    print(f"  guardian          p50 {statistics.median(ours):8.1f} ms   max {max(ours):8.1f} ms   "
          f"goal < 100 ms: {'met' if statistics.median(ours) < 100 else 'NOT met'}")  # fmt: skip
    if peer:
        print(f"  governed-agents   p50 {statistics.median(peer):8.1f} ms   max {max(peer):8.1f} ms   "
              f"ratio {statistics.median(peer) / statistics.median(ours):.0f}x")  # fmt: skip
    trials = 2 if args.quick else 5
    gone = loop_to_gone(trials)
    print(f"\nloop's Nth identical intent -> process gone (default settings, {trials} trials)")
    print(
        f"  p50 {statistics.median(gone):.2f} s   max {max(gone):.2f} s   goal < 2 s: {'met' if max(gone) < 2 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
