"""Latency added by `guardian mcp-proxy` to each `tools/call`, against the same server called directly.

Run from the checkout, in Guardian's venv (after scripts/install-mcp-servers.sh):

    . .venv/bin/activate && python bench/mcp.py [--calls 1000] [--warmup 50]

Three SDK client sessions are open at once: one straight to `mcp-server-time`, one to
`python -m guardian mcp-proxy -- mcp-server-time` (a real subprocess, its ledger a durable SQLite
file with group commit, synchronous=FULL), and one to the same proxy with a `memory://` ledger (the
proxy's own cost without the disk). Calls to `get_current_time` go round the three in turn, so the
machine's noise lands on all alike; each is timed from the client (perf_counter_ns around
`call_tool`). The proxy decides (ALLOW, one ledger entry, durable before the call is forwarded),
forwards, redacts the result and answers; its receipt (a second ledger entry) is written behind
the answer. A refused call (DENY: decided and recorded, never forwarded) is timed too. p50 / p99 in
milliseconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

# This file is named mcp.py, and a script's folder comes first on sys.path: drop it, or
# `import mcp` would import this file instead of the SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

import anyio  # noqa: E402
from mcp.client.session import ClientSession  # noqa: E402
from mcp.client.stdio import StdioServerParameters, stdio_client  # noqa: E402

POLICY = """
version: 1
rules:
  - {id: clock, action: get_current_time, effect: ALLOW}
  - {id: no-conversions, action: convert_time, effect: DENY}
"""
ARGS = {"timezone": "Europe/Paris"}


@asynccontextmanager
async def session(command: Sequence[str], cwd: Path) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=command[0], args=list(command[1:]),
                                   env=dict(os.environ), cwd=str(cwd))  # fmt: skip
    async with stdio_client(params) as (read, write), ClientSession(read, write) as client:
        await client.initialize()
        yield client


async def timed(client: ClientSession, tool: str, args: dict[str, str], expect_error: bool) -> int:
    started = time.perf_counter_ns()
    result = await client.call_tool(tool, args)
    elapsed = time.perf_counter_ns() - started
    if bool(result.is_error) != expect_error:
        raise SystemExit(f"unexpected result from {tool}: {result}")
    return elapsed


def pct(samples: list[int], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] / 1e6


def fsync_ms(directory: Path, n: int = 200) -> tuple[float, float]:
    """p50 / p99 of one append + fsync on this disk, now: the floor under a durable decision."""
    path = directory / "fsync.probe"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    samples = []
    try:
        for _ in range(n):
            os.write(fd, b"x" * 300 + b"\n")
            started = time.perf_counter_ns()
            os.fsync(fd)
            samples.append(time.perf_counter_ns() - started)
    finally:
        os.close(fd)
    return pct(samples, 0.5), pct(samples, 0.99)


def row(name: str, samples: list[int]) -> None:
    mean = statistics.fmean(samples) / 1e6
    print(f"{name:<44} {pct(samples, 0.5):>8.3f} {pct(samples, 0.99):>8.3f} {mean:>8.3f}")


async def run(calls: int, warmup: int, workdir: Path) -> None:
    server = [str(Path(sys.executable).parent / "mcp-server-time")]
    if not Path(server[0]).is_file():
        raise SystemExit("mcp-server-time is not installed: run scripts/install-mcp-servers.sh")
    policy = workdir / "policy.yaml"
    policy.write_text(POLICY)

    def proxy(database: str) -> list[str]:
        return [sys.executable, "-m", "guardian", "mcp-proxy", "--policy", str(policy),
                "--database", database, "--", *server]  # fmt: skip

    samples: dict[str, list[int]] = {"direct": [], "durable": [], "memory": []}
    denied: list[int] = []
    deny_args = {"source_timezone": "UTC", "time": "12:00", "target_timezone": "Asia/Tokyo"}
    async with (
        session(server, workdir) as direct,
        session(proxy(f"sqlite:///{workdir / 'ledger.db'}"), workdir) as durable,
        session(proxy("memory://"), workdir) as memory,
    ):
        clients = {"direct": direct, "durable": durable, "memory": memory}
        for i in range(warmup + calls):
            for name, client in clients.items():
                elapsed = await timed(client, "get_current_time", ARGS, False)
                if i >= warmup:
                    samples[name].append(elapsed)
        for _ in range(max(100, calls // 5)):
            denied.append(await timed(durable, "convert_time", deny_args, True))
    sync50, sync99 = fsync_ms(workdir)

    direct_ns, durable_ns, memory_ns = samples["direct"], samples["durable"], samples["memory"]
    print(f"# MCP proxy latency: {calls} calls of get_current_time on each path, interleaved "
          f"({warmup} warm-up rounds dropped)")  # fmt: skip
    print(f"# {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} cores, {platform.system()} {platform.release()}")  # fmt: skip
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"# load average (1, 5, 15 min) at the end: {load}")
    print(f"# this disk now: append + fsync p50 {sync50:.3f} ms, p99 {sync99:.3f} ms")
    print(f"{'path':<44} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}")
    row("direct (SDK client -> mcp-server-time)", direct_ns)
    row("proxy, durable SQLite ledger (the default)", durable_ns)
    row("proxy, memory:// ledger (proxy cost alone)", memory_ns)
    row("proxy, refused call (DENY, durable, not sent)", denied)
    print("added by the proxy (p50 - p50, p99 - p99):")
    for name, values in (("durable SQLite ledger", durable_ns), ("memory:// ledger", memory_ns)):
        p50 = pct(values, 0.5) - pct(direct_ns, 0.5)
        p99 = pct(values, 0.99) - pct(direct_ns, 0.99)
        print(f"  {name:<42} {p50:>8.3f} {p99:>8.3f}")
    goal = pct(durable_ns, 0.5) - pct(direct_ns, 0.5)
    print(f"goal p50 added <= 2 ms (durable ledger): {'met' if goal <= 2.0 else 'NOT met'} "
          f"({goal:.3f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="guardian-bench-mcp-") as tmp:
        anyio.run(run, args.calls, args.warmup, Path(tmp))


if __name__ == "__main__":
    main()
