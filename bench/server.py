"""Benchmark `guardian serve` (POST /v1/decide, durable SQLite ledger) against governed-agents 0.1.0.

Run from the checkout, in Guardian's venv:

    . .venv/bin/activate && python bench/server.py [--requests 20000] [--seconds 20] [--no-peer]

Both servers run as real subprocesses, one uvicorn worker each, access logs off, on a fresh temp
SQLite database, on loopback. The load generator is a lean asyncio HTTP/1.1 client (uvloop, keep-
alive, one request in flight per connection) so it takes as little of the two cores as it can.

Two measurements per target, 50 connections each:
- closed loop: every connection sends its next request as soon as the last answer arrives. This
  gives the throughput (req/s). Its latency is queueing by construction (Little's law: with 50 in
  flight, p50 ~ 50 / throughput), so it is reported but it is not the latency figure.
- open loop: requests are sent on a fixed schedule (an offered rate well under saturation, spread
  over the 50 connections) and latency is measured from the scheduled send time, so a slow answer
  is not hidden by the next send waiting for it (no coordinated omission). This is the p50 / p99.

Guardian is measured for an ALLOW (the common case) and for an ASK (opens a proposal: the same work
as governed-agents' POST /proposals, which stores a pending proposal and an audit row).
The peer runs in its own venv (bench/.venvs/governed-agents, Python 3.12, made with uv if missing).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from guardian.server.testing import LiveServer, free_port, mint_tokens

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".venvs" / "governed-agents"
PEER = "governed-agents==0.1.0"
CONNECTIONS = 50
POLICY = """
rules:
  - {id: reads, action: read_file, target: "docs/*", effect: ALLOW}
  - {id: mail, action: send_email, effect: ASK}
"""


@dataclass
class Result:
    name: str
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    #: Open loop only: from the moment the request was actually sent (not when it was due).
    service_ms: list[float] | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float, data: list[float] | None = None) -> float:
        ordered = sorted(self.latencies_ms if data is None else data)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def line(self) -> str:
        text = (
            f"{self.name:<46} {self.requests:>6} req {self.rate:>7.0f} req/s   "
            f"p50 {self.pct(0.5):>8.2f} ms   p99 {self.pct(0.99):>8.2f} ms   errors {self.errors}"
        )
        if self.service_ms:
            text += (f"   (from send: p50 {self.pct(0.5, self.service_ms):.2f} ms,"
                     f" p99 {self.pct(0.99, self.service_ms):.2f} ms)")  # fmt: skip
        return text


def request_bytes(path: str, body: Mapping[str, object], token: str | None) -> bytes:
    data = json.dumps(body).encode()
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}Content-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode() + data


async def _exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> int:
    writer.write(raw)
    status = int((await reader.readline()).split(b" ", 2)[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def _connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def closed_loop(
    port: int, raw: bytes, total: int, seconds: float
) -> tuple[list[float], int, float]:
    conns = [await _connect(port) for _ in range(CONNECTIONS)]
    latencies: list[float] = []
    errors = 0
    remaining = total
    deadline = time.perf_counter() + seconds

    async def worker(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal remaining, errors
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            start = time.perf_counter()
            status = await _exchange(reader, writer, raw)
            latencies.append((time.perf_counter() - start) * 1000)
            errors += status != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker(r, w) for r, w in conns))
    elapsed = time.perf_counter() - started
    for _, w in conns:
        w.close()
    return latencies, errors, elapsed


async def open_loop(
    port: int, raw: bytes, rate: float, seconds: float
) -> tuple[list[float], list[float], int, float]:
    conns = [await _connect(port) for _ in range(CONNECTIONS)]
    latencies: list[float] = []
    service: list[float] = []
    errors = 0
    interval = CONNECTIONS / rate  # each connection's own period
    begin = time.perf_counter() + 0.05

    async def worker(k: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal errors
        n = 0
        while True:
            scheduled = begin + k * interval / CONNECTIONS + n * interval
            if scheduled - begin > seconds:
                return
            delay = scheduled - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            sent = time.perf_counter()
            status = await _exchange(reader, writer, raw)
            done = time.perf_counter()
            latencies.append((done - scheduled) * 1000)
            service.append((done - sent) * 1000)
            errors += status != 200
            n += 1

    await asyncio.gather(*(worker(k, r, w) for k, (r, w) in enumerate(conns)))
    elapsed = time.perf_counter() - begin
    for _, w in conns:
        w.close()
    return latencies, service, errors, elapsed


def measure(name: str, port: int, raw: bytes, args: argparse.Namespace) -> list[Result]:
    import uvloop

    warm = uvloop.run(closed_loop(port, raw, 500, 10))
    if warm[1]:
        raise RuntimeError(f"{name}: {warm[1]} of 500 warm-up requests failed")
    closed = uvloop.run(closed_loop(port, raw, args.requests, args.seconds))
    results = [Result(f"{name}, closed loop", len(closed[0]), closed[1], closed[2], closed[0])]
    capacity = results[0].rate
    for rate in args.rates:
        if rate > 0.8 * capacity:  # an overloaded queue, not a latency: say so instead
            print(f"  ({name}: open loop at {rate:.0f}/s skipped: saturates at {capacity:.0f}/s)")
            continue
        lat, service, err, elapsed = uvloop.run(open_loop(port, raw, rate, args.open_seconds))
        label = f"{name}, open loop at {rate:.0f}/s"
        results.append(Result(label, len(lat), err, elapsed, lat, service))
    return results


def _python_312_or_later() -> str:
    """A working CPython >= 3.12 (governed-agents needs it); pyenv shims are tried last."""
    candidates = sorted(Path.home().glob(".pyenv/versions/3.1[2-9]*/bin/python3.1[2-9]"))
    candidates += [Path(p) for n in ("python3.12", "python3.13") if (p := shutil.which(n))]
    for candidate in candidates:
        probe = subprocess.run([str(candidate), "-c", "import sys; print(sys.version_info >= (3, 12))"],
                               capture_output=True, text=True)  # fmt: skip
        if probe.returncode == 0 and probe.stdout.strip() == "True":
            return str(candidate)
    raise RuntimeError("governed-agents needs Python >= 3.12 and none was found")


def ensure_peer_venv() -> Path:
    """The peer's venv python, made with uv when missing or holding another requirement."""
    python = VENV / "bin" / "python"
    stamp = VENV / ".bench-requirement"
    if python.exists() and stamp.exists() and stamp.read_text() == PEER:
        return python
    uv = [found] if (found := shutil.which("uv")) else [sys.executable, "-m", "uv"]
    env = {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}
    interpreter = _python_312_or_later()
    subprocess.run([*uv, "venv", "--clear", "--quiet", "--python", interpreter, str(VENV)],
                   check=True, env=env)  # fmt: skip
    subprocess.run([*uv, "pip", "install", "--quiet", "--python", str(python), PEER],
                   check=True, env=env)  # fmt: skip
    stamp.write_text(PEER)
    return python


def run_peer(tmp: Path, args: argparse.Namespace) -> list[Result]:
    python = ensure_peer_venv()
    port = free_port()
    env = {
        **os.environ,
        "ORCHESTRATOR_DB_URL": f"sqlite:///{tmp / 'peer.db'}",
        "AUDIT_JSONL_PATH": str(tmp / "peer-audit.jsonl"),
        "ORCHESTRATOR_PORT": str(port),
    }
    # `governed-agents serve` is uvicorn.run("infra.app:app", host="127.0.0.1", port); the same app
    # is started here through uvicorn directly so its access log can be off, as Guardian's is.
    proc = subprocess.Popen(
        [
            str(python),
            "-m",
            "uvicorn",
            "infra.app:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=tmp,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_up(f"http://127.0.0.1:{port}/status")
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 86400))
        body = {
            "agent_id": "noop",
            "wave": 0,
            "submitted_at": now,
            "action_type": "send_email",
            "payload": {"to": "x@example.org", "subject": "hi"},
            "expected_outcome": "sent",
            "expires_at": later,
        }
        return measure(
            "governed-agents POST /proposals", port, request_bytes("/proposals", body, None), args
        )
    finally:
        proc.terminate()
        proc.wait(10)


def _wait_up(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not come up in {timeout}s")


def run_guardian(tmp: Path, args: argparse.Namespace) -> list[Result]:
    (tmp / "policy.yaml").write_text(POLICY)
    url = f"sqlite:///{tmp / 'guardian.db'}"
    token = mint_tokens(url, {"bench-agent": ("agent", None)})["bench-agent"]
    results = []
    with LiveServer(url, policy=tmp / "policy.yaml"):
        pass  # first start migrates and signs; measured runs below start on a ready database
    kinds = (
        ("ALLOW", {"action": "read_file", "target": "docs/readme.md", "params": {"lines": 40}}),
        ("ASK", {"action": "send_email", "target": "x@example.org", "params": {"subject": "hi"}}),
    )
    for name, body in kinds:
        if args.only and name != args.only:
            continue
        with LiveServer(url, policy=tmp / "policy.yaml") as server:
            raw = request_bytes("/v1/decide", body, token)
            results += measure(f"guardian POST /v1/decide ({name})", server.port, raw, args)
    return results


def main(argv: Sequence[str] | None = None) -> None:
    global CONNECTIONS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000, help="closed-loop request cap")
    parser.add_argument("--seconds", type=float, default=20.0, help="closed-loop time cap")
    parser.add_argument(
        "--rates",
        type=lambda s: [float(x) for x in s.split(",")],
        default=[100.0, 500.0],
        help="open-loop offered rates (req/s), comma-separated",
    )
    parser.add_argument("--open-seconds", type=float, default=10.0)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--connections", type=int, default=CONNECTIONS)
    parser.add_argument("--only", choices=("ALLOW", "ASK"), help="measure one kind of intent")
    args = parser.parse_args(argv)
    CONNECTIONS = args.connections
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, {CONNECTIONS} connections",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="guardian-bench-") as tmp:
        ours = run_guardian(Path(tmp), args)
        for r in ours:
            print(r.line(), flush=True)
        theirs = [] if args.no_peer else run_peer(Path(tmp), args)
        for r in theirs:
            print(r.line(), flush=True)
    goals(ours, theirs)


def goals(ours: list[Result], theirs: list[Result]) -> None:
    """The issue's goals, each met or not, from this run's figures."""

    def say(ok: bool, what: str, value: str) -> None:
        print(f"- {'met' if ok else 'not met'}: {what} ({value})")

    for r in ours:
        if "(ALLOW)" not in r.name:
            continue
        if r.name.endswith("closed loop"):
            say(r.rate >= 1000, "POST /v1/decide >= 1,000 req/s, 50 clients", f"{r.rate:.0f}/s")
        else:
            kind = r.name.split(", ", 1)[1]
            say(r.pct(0.5) <= 2.0, f"POST /v1/decide p50 <= 2 ms, {kind}", f"{r.pct(0.5):.2f} ms")
    peer = {r.name.split(", ", 1)[1]: r for r in theirs}
    for mine in ours:
        kind = mine.name.split(", ", 1)[1]
        if kind in peer:
            other = peer[kind]
            ratio = other.pct(0.5) / mine.pct(0.5)
            intent = mine.name.split(" (")[1].split(")")[0]
            say(ratio >= 3, f"p50 >= 3x lower than governed-agents, {intent}, {kind}",
                f"{ratio:.1f}x; throughput {mine.rate / other.rate:.1f}x")  # fmt: skip


if __name__ == "__main__":
    main()
