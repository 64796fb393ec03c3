"""Events through the Redis bus to 2 subscriber processes: throughput and end-to-end latency.

    .venv/bin/python bench/events.py            (or: ./run bench events)

The producer is this process: `g.events`-style hub (outbox in an in-memory SQLite store, relay
thread, Redis stream transport). Two subscriber processes (this file, `--subscribe`) each count
every event. Three runs, each bounded in count and time:

* burst, `publish`: N events as fast as one thread publishes them one by one (one outbox
  transaction each); events/s = N / (first publish -> last event received by the slower subscriber).
* burst, `publish_many`: the same N in batches of 100 (one transaction per batch).
* paced: M events at a fixed rate well under capacity, for latency without queueing; latency is
  publish (wall clock, in the payload) -> handler call in the subscriber, p50/p99 over both.

Redis: $GUARDIAN_TEST_REDIS_URL, else a private one started through scripts/services.sh.
Writes bench/events.RESULTS.md. `--quick` runs smaller counts.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "events.RESULTS.md"
COMMAND = ".venv/bin/python bench/events.py"
TIME_LIMIT = 120.0


def hub_for(url: str, stream: str):  # type: ignore[no-untyped-def]
    from guardian.core.clock import SYSTEM_CLOCK
    from guardian.events.hub import EventHub
    from guardian.events.redis_bus import RedisTransport
    from guardian.ledger.memory import MemoryLedger
    from guardian.storage.engine import open_engine

    return EventHub(open_engine("memory://"), MemoryLedger(), SYSTEM_CLOCK, RedisTransport(url, stream=stream),
                    interval=0.01)  # fmt: skip


def subscribe(url: str, stream: str, count: int, timeout: float) -> None:
    """Subscriber mode: READY, then on exit one line per event: `receive_time sent_time`."""
    hub = hub_for(url, stream)
    done = threading.Event()
    times: list[tuple[float, float]] = []

    def handle(event) -> None:  # type: ignore[no-untyped-def]
        times.append((time.time(), float(event.payload["sent"])))
        if len(times) >= count:
            done.set()

    hub.subscribe("guardian.*", handle)
    hub.wait_listening(30)
    print("READY", flush=True)
    done.wait(timeout)
    sys.stdout.write("".join(f"{r:.6f} {s:.6f}\n" for r, s in times))
    hub.close()


def run(url: str, count: int, batch: int, rate: float | None) -> dict[str, float]:
    stream = f"bench:{uuid.uuid4().hex}"
    subs = [subprocess.Popen([sys.executable, __file__, "--subscribe", url, stream, str(count), str(TIME_LIMIT)],
                             stdout=subprocess.PIPE, text=True) for _ in range(2)]  # fmt: skip
    for proc in subs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "READY"
    hub = hub_for(url, stream)
    started = time.time()
    deadline = time.monotonic() + TIME_LIMIT
    sent = 0
    while sent < count and time.monotonic() < deadline:
        if rate:
            time.sleep(max(0.0, started + sent / rate - time.time()))
        n = min(batch, count - sent)
        items = [("guardian.bench.event", {"n": sent + i, "sent": time.time()}) for i in range(n)]
        if n == 1:
            hub.publish(*items[0])
        else:
            hub.publish_many(items)
        sent += n
    published = time.time()
    receipts = []
    for proc in subs:
        out, _ = proc.communicate(timeout=TIME_LIMIT + 30)
        receipts.append(
            [tuple(map(float, line.split())) for line in out.splitlines() if line.strip()]
        )
    hub.close()
    last = max(max(r for r, _ in got) for got in receipts if got)
    latencies = sorted((r - s) * 1000 for got in receipts for r, s in got)
    return {"sent": sent, "received_min": min(len(g) for g in receipts), "publish_s": published - started,
            "total_s": last - started, "rate": min(len(g) for g in receipts) / (last - started),
            "p50": statistics.median(latencies), "p99": latencies[int(len(latencies) * 0.99) - 1]}  # fmt: skip


def private_redis() -> tuple[str, dict[str, str]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "GUARDIAN_SERVICES_DIR": str(ROOT / ".services" / f"bench-{os.getpid()}"),
           "GUARDIAN_REDIS_PORT": str(port)}  # fmt: skip
    subprocess.run([str(ROOT / "scripts" / "services.sh"), "start", "redis"], env=env, check=True,
                   capture_output=True)  # fmt: skip
    return f"redis://127.0.0.1:{port}/0", env


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribe", nargs=4, metavar=("URL", "STREAM", "COUNT", "TIMEOUT"))
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.subscribe:
        url, stream, count, timeout = args.subscribe
        subscribe(url, stream, int(count), float(timeout))
        return
    url, env = os.environ.get("GUARDIAN_TEST_REDIS_URL"), None
    if not url:
        url, env = private_redis()
    burst, paced = (5_000, 500) if args.quick else (20_000, 2_000)
    try:
        rows = [("burst, publish (1 per transaction)", run(url, burst, 1, None)),
                ("burst, publish_many (100 per transaction)", run(url, burst, 100, None)),
                ("paced 500/s, publish", run(url, paced, 1, 500.0))]  # fmt: skip
    finally:
        if env is not None:
            subprocess.run(
                [str(ROOT / "scripts" / "services.sh"), "stop"],
                env=env,
                capture_output=True,
                check=False,
            )
            shutil.rmtree(env["GUARDIAN_SERVICES_DIR"], ignore_errors=True)
    report(rows)


def report(rows: list[tuple[str, dict[str, float]]]) -> None:
    import redis

    lines = ["## Events through the Redis bus, 2 subscriber processes", "",
             f"Command: `{COMMAND}` ({date.today().isoformat()}; Python {platform.python_version()}, "
             f"redis-py {redis.__version__}, Redis {_redis_version()}, {os.cpu_count()} CPUs, "
             f"{platform.machine()} {platform.system()}, load average {os.getloadavg()[0]:.1f} at the end).", "",
             "| run | events | received (each subscriber) | events/s end to end | publish s | p50 ms | p99 ms |",
             "|---|---:|---:|---:|---:|---:|---:|"]  # fmt: skip
    for name, r in rows:
        lines.append(f"| {name} | {r['sent']:.0f} | {r['received_min']:.0f} | {r['rate']:,.0f} | "
                     f"{r['publish_s']:.2f} | {r['p50']:.1f} | {r['p99']:.1f} |")  # fmt: skip
    lines += ["", "events/s: events received by the slower subscriber / (first publish -> its last "
              "receipt). Latency: publish (wall clock in the payload) -> the subscriber's handler, "
              "over both subscribers; in the bursts it includes queueing behind the burst.", "",
              "All four processes (producer with its relay thread, two subscribers, Redis) share the "
              "machine's CPUs. One `publish` is one outbox transaction, so a single publishing thread "
              "bounds the first row; `publish_many` stores a batch per transaction and the relay sends "
              "up to 100 events per stream entry. The paced row is the latency without queueing."]  # fmt: skip
    text = "\n".join(lines) + "\n"
    RESULTS.write_text(text)
    print(text)


def _redis_version() -> str:
    out = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=False
    ).stdout
    return next((p.split("=")[1] for p in out.split() if p.startswith("v=")), "?")


if __name__ == "__main__":
    main()
