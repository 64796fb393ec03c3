"""Real processes: `guardian serve`, `guardian watchdog` and agents launched by `guardian run`.

A looping agent and a stalled (sleeping) agent are caught and stopped by the watchdog within the
configured window; a well-behaved agent is left alone over the same time.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

LOOPER = """
import os, time
from guardian.client import GuardianClient
with GuardianClient(os.environ["GUARDIAN_URL"], os.environ["GUARDIAN_TOKEN"]) as c:
    while True:
        c.decide("poll_status", "orders-api")
        time.sleep(0.05)
"""
SLEEPER = """
import os, time
from guardian.client import GuardianClient
with GuardianClient(os.environ["GUARDIAN_URL"], os.environ["GUARDIAN_TOKEN"]) as c:
    c.decide("poll_status", "once")
time.sleep(120)
"""
STEADY = """
import os, time
from guardian.client import GuardianClient
with GuardianClient(os.environ["GUARDIAN_URL"], os.environ["GUARDIAN_TOKEN"]) as c:
    for i in range(20):
        c.decide("poll_status", f"item-{i}")
        time.sleep(0.25)
print("steady done", flush=True)
"""
POLICY = """
version: 1
agents:
  looper: {tools: [poll_status]}
  sleeper: {tools: [poll_status]}
  steady: {tools: [poll_status]}
rules:
  - {id: polls, action: poll_status, effect: ALLOW}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def guardian_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "guardian", *args]


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    (tmp_path / "policy.yaml").write_text(POLICY)
    for name, code in (("looper", LOOPER), ("sleeper", SLEEPER), ("steady", STEADY)):
        folder = tmp_path / "agents" / name
        folder.mkdir(parents=True)
        (folder / "agent.py").write_text(code)
        (folder / "agent.toml").write_text(
            f'command = ["{sys.executable}", "agent.py"]\ntools = ["poll_status"]\n'
        )
    database = f"sqlite:///{tmp_path}/.guardian/guardian.db"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "GUARDIAN_DATABASE_URL": database}
    server = subprocess.Popen(guardian_cmd("serve", "--port", str(port), "--policy", str(tmp_path / "policy.yaml"),
                                           "--database", database, "--log-level", "warning"),
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
    watchdog = None
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            pytest.fail(
                f"guardian serve did not start: {server.stderr.read().decode() if server.stderr else ''}"
            )
        watchdog = subprocess.Popen(guardian_cmd("watchdog", "--database", database, "--stall-after", "3",
                                                 "--loop-repeats", "5", "--loop-window", "10", "--interval", "0.2",
                                                 "--grace", "1"),
                                    cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # fmt: skip
        yield tmp_path, database, url
    finally:
        for process in (watchdog, server):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


def run_agent(
    project: Path, database: str, url: str, agent: str, timeout: float
) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    result = subprocess.run(guardian_cmd("run", agent, "--project", str(project), "--database", database, "--url", url),
                            cwd=project, capture_output=True, text=True, timeout=timeout, check=False)  # fmt: skip
    return result, time.monotonic() - started


def ledger(database: str, kind: str) -> list[dict]:
    path = database.removeprefix("sqlite:///")
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT payload FROM ledger_entries WHERE kind = ? ORDER BY seq", (kind,)
        ).fetchall()
    return [json.loads(r[0]) for r in rows]


@pytest.mark.slow
def test_looping_agent_is_stopped_and_the_ledger_says_why(project: tuple[Path, str, str]) -> None:
    folder, database, url = project
    result, took = run_agent(folder, database, url, "looper", timeout=60)
    assert "stopped" in result.stdout, result.stdout + result.stderr
    assert took < 30
    [finding] = [w for w in ledger(database, "watchdog") if w["agent_id"] == "looper"]
    assert finding["finding"] == "loop" and finding["paused"] is True and finding["stopped"]
    runs = [r for r in ledger(database, "run") if r["agent_id"] == "looper"]
    assert [r["event"] for r in runs] == ["started", "ended"]
    pid = runs[0]["pid"]
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.slow
def test_stalled_agent_is_stopped_and_a_steady_one_left_alone(
    project: tuple[Path, str, str],
) -> None:
    import threading

    folder, database, url = project
    outcome: dict[str, subprocess.CompletedProcess[str]] = {}
    steady = threading.Thread(
        target=lambda: outcome.update(steady=run_agent(folder, database, url, "steady", 60)[0])
    )
    steady.start()
    result, took = run_agent(folder, database, url, "sleeper", timeout=60)
    steady.join()
    assert "stopped (stall" in result.stdout, result.stdout + result.stderr
    assert took < 20
    assert outcome["steady"].returncode == 0 and "exit 0" in outcome["steady"].stdout
    findings = ledger(database, "watchdog")
    assert {f["agent_id"] for f in findings} == {"sleeper"} and findings[0]["finding"] == "stall"
