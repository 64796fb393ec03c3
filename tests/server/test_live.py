"""Against real `guardian serve` processes: races, restarts, several instances on one database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from guardian.client import GuardianClient
from guardian.server.testing import LiveServer

from .conftest import Env, make_env


@pytest.fixture
def live_env(tmp_path: Path) -> Env:
    return make_env(tmp_path)


@pytest.fixture
def server(live_env: Env, tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(live_env.url, policy=live_env.policy, log=tmp_path / "server.log") as s:
        yield s


def ask(server: LiveServer, env: Env, target: str = "x@example.org") -> dict[str, Any]:
    with GuardianClient(server.url, env.tokens["bot"]) as bot:
        record = bot.decide("send_email", target, {"body": "hello"})
    assert record["decision"] == "ASK"
    return record


def test_fifty_concurrent_decisions_on_one_proposal_one_winner(
    server: LiveServer, live_env: Env
) -> None:
    pid = ask(server, live_env)["proposal_id"]

    async def race() -> list[int]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=server.url, limits=limits, timeout=60) as http:
            start = asyncio.Event()

            async def one(n: int) -> int:
                await start.wait()
                verb = "approve" if n % 2 else "reject"
                who = "alice" if n % 3 else "root"
                response = await http.post(f"/v1/proposals/{pid}/{verb}", json={"reason": f"#{n}"},
                                           headers=live_env.auth(who))  # fmt: skip
                return response.status_code

            tasks = [asyncio.create_task(one(n)) for n in range(50)]
            await asyncio.sleep(0.2)
            start.set()
            return await asyncio.gather(*tasks)

    statuses = asyncio.run(race())
    assert sorted(statuses).count(200) == 1 and statuses.count(409) == 49, statuses
    with GuardianClient(server.url, live_env.tokens["root"]) as admin:
        approvals = admin.ledger_entries(kind="approval", limit=1000)["entries"]
        assert len(approvals) == 1 and approvals[0]["payload"]["proposal_id"] == pid
        assert admin.proposal(pid)["status"] in ("approved", "rejected")


def test_restart_while_pending_and_a_waiting_client_gets_its_answer(
    server: LiveServer, live_env: Env
) -> None:
    pid = ask(server, live_env)["proposal_id"]
    answer: dict[str, Any] = {}

    def wait() -> None:
        with GuardianClient(server.url, live_env.tokens["bot"]) as bot:
            answer.update(bot.wait_for_approval(pid, timeout=90))

    waiter = threading.Thread(target=wait)
    waiter.start()
    server.kill()  # a crash: no graceful shutdown
    server.start()
    with GuardianClient(server.url, live_env.tokens["alice"]) as alice:
        assert alice.proposal(pid)["status"] == "pending"
        assert alice.approve(pid, "after the restart")["proposal"]["status"] == "approved"
    waiter.join(60)
    assert not waiter.is_alive() and answer["status"] == "approved"
    with GuardianClient(server.url, live_env.tokens["bot"]) as bot:
        allowed = bot.decide("send_email", "x@example.org", {"body": "hello"})
        assert allowed["decision"] == "ALLOW" and allowed["approval_id"] == pid
        bot.record_receipt(allowed["decision_id"], "success", {"sent": 1})
        assert bot.decision(allowed["decision_id"])["receipt"]["status"] == "success"
    with GuardianClient(server.url, live_env.tokens["watch"]) as watch:
        assert watch.verify_ledger()["ok"]


def _events(url: str, token: str, headers: dict[str, str], count: int) -> list[dict[str, Any]]:
    """The first `count` events of a stream (id, event, data)."""
    found: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    with httpx.stream("GET", url + "/v1/events", timeout=30,
                      headers={"Authorization": f"Bearer {token}", **headers}) as response:  # fmt: skip
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith(("id: ", "event: ")):
                key, _, value = line.partition(": ")
                current[key] = value
            elif line.startswith("data: "):
                current["data"] = orjson.loads(line[6:])
            elif not line and "data" in current:
                found.append(current)
                current = {}
                if len(found) == count:
                    return found
    return found


def test_two_instances_share_one_database_and_its_events(live_env: Env, tmp_path: Path) -> None:
    with LiveServer(live_env.url, policy=live_env.policy, log=tmp_path / "a.log") as a, \
         LiveServer(live_env.url, policy=live_env.policy, log=tmp_path / "b.log") as b:  # fmt: skip
        with GuardianClient(a.url, live_env.tokens["root"]) as admin:
            head = admin.ledger_entries(after=0, limit=1)["head_seq"]
        seen: list[dict[str, Any]] = []
        stream = threading.Thread(target=lambda: seen.extend(
            _events(a.url, live_env.tokens["watch"], {"Last-Event-ID": str(head)}, 2)))  # fmt: skip
        stream.start()
        pid = ask(b, live_env)["proposal_id"]  # raised on B
        with GuardianClient(a.url, live_env.tokens["alice"]) as alice:  # decided on A
            assert alice.proposal(pid)["status"] == "pending"
            alice.approve(pid, "ok")
        stream.join(30)
        assert [e["event"] for e in seen] == ["decision", "approval"]
        assert seen[0]["data"]["payload"]["proposal_id"] == pid
        assert int(seen[1]["id"]) > int(seen[0]["id"]) > head
        # Resuming from the first event's id on the other instance yields exactly the second.
        resumed = _events(b.url, live_env.tokens["watch"], {"Last-Event-ID": seen[0]["id"]}, 1)
        assert resumed[0]["id"] == seen[1]["id"]
        with GuardianClient(b.url, live_env.tokens["bot"]) as bot:
            assert bot.wait_for_approval(pid, 5)["status"] == "approved"


def test_an_open_stream_ends_when_its_token_is_revoked(live_env: Env) -> None:
    import time

    import uvicorn

    from guardian.core.clock import SYSTEM_CLOCK
    from guardian.governance.tokens import TokenStore
    from guardian.server.app import create_app
    from guardian.server.testing import free_port
    from guardian.storage.engine import open_engine

    engine = open_engine(live_env.url)
    store = TokenStore(engine, SYSTEM_CLOCK)
    secret, _ = store.create("watcher", "guardian")
    port = free_port()
    app = create_app(live_env.settings(keepalive_interval=0.3))
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning"))
    thread = threading.Thread(target=server.run)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        headers = {"Authorization": f"Bearer {secret}"}
        with httpx.stream("GET", f"http://127.0.0.1:{port}/v1/events", headers=headers,
                          timeout=10) as response:  # fmt: skip
            assert response.status_code == 200
            store.revoke("watcher")
            started = time.monotonic()
            lines = list(response.iter_lines())  # returns when the server ends the stream
        assert time.monotonic() - started < 5 and ": keepalive" in lines
    finally:
        server.should_exit = True
        thread.join(10)
        engine.dispose()
