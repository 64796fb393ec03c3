"""The Redis bus with real processes: two subscriber processes each receive every event of a burst
of 10,000, in order per producer; with Redis stopped for 5 s in the middle (and restarted empty on
the same port), nothing is lost once it is back."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from guardian.core.clock import SYSTEM_CLOCK
from guardian.events.hub import EventHub
from guardian.events.redis_bus import RedisTransport
from guardian.ledger.memory import MemoryLedger
from guardian.storage.engine import open_engine

SUBSCRIBER = Path(__file__).with_name("subscriber.py")
BURST = 10_000


def start_subscribers(url: str, stream: str, count: int, n: int = 2) -> list[subprocess.Popen[str]]:
    procs = [subprocess.Popen([sys.executable, str(SUBSCRIBER), url, stream, str(count), "120"],
                              stdout=subprocess.PIPE, text=True) for _ in range(n)]  # fmt: skip
    for proc in procs:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "READY"
    return procs


def received(proc: subprocess.Popen[str]) -> tuple[dict[str, list[int]], int]:
    """Per producer, the seqs in the order received; and how many re-deliveries were dropped."""
    out, _ = proc.communicate(timeout=180)
    per_producer: dict[str, list[int]] = {}
    lines = out.splitlines()
    assert lines[-1].startswith("DONE"), lines[-1:]
    for line in lines[:-1]:
        producer, seq, *_ = line.split()
        per_producer.setdefault(producer, []).append(int(seq))
    return per_producer, int(lines[-1].split("duplicates=")[1])


def producer_hub(url: str, stream: str) -> EventHub:
    return EventHub(open_engine("memory://"), MemoryLedger(), SYSTEM_CLOCK, RedisTransport(url, stream=stream),
                    interval=0.05)  # fmt: skip


@pytest.mark.redis
@pytest.mark.slow
def test_two_subscriber_processes_receive_every_event_in_order(redis_url: str) -> None:
    stream = f"test:{uuid.uuid4().hex}"
    subscribers = start_subscribers(redis_url, stream, BURST)
    hub = producer_hub(redis_url, stream)
    try:
        for n in range(BURST):
            hub.publish("guardian.test.burst", {"n": n})
    finally:
        deadline = time.monotonic() + 60
        while hub.outbox.pending(1) and time.monotonic() < deadline:
            time.sleep(0.05)
        hub.close()
    for proc in subscribers:
        got, _ = received(proc)
        assert list(got) == [hub.outbox.producer.name]
        assert got[hub.outbox.producer.name] == list(range(1, BURST + 1))


@pytest.mark.redis
@pytest.mark.slow
def test_nothing_is_lost_when_redis_is_down_for_5_seconds(redis_server) -> None:
    stream = "guardian:events"
    subscribers = start_subscribers(redis_server.url, stream, BURST)
    hub = producer_hub(redis_server.url, stream)
    try:
        for n in range(BURST // 2):
            hub.publish("guardian.test.burst", {"n": n})
        redis_server.stop()  # killed with what it held: the test servers keep no data
        stopped = time.monotonic()
        n = BURST // 2
        while time.monotonic() - stopped < 5:  # producing on while Redis is down
            hub.publish("guardian.test.burst", {"n": n})
            n += 1
            time.sleep(0.002)
        assert hub.relay.failures > 0
        redis_server.start()
        while n < BURST:
            hub.publish("guardian.test.burst", {"n": n})
            n += 1
        deadline = time.monotonic() + 60
        while hub.outbox.pending(1) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not hub.outbox.pending(1)
    finally:
        hub.close()
    assert hub.relay.replays == 1  # the restarted Redis was noticed and recent events re-sent
    for proc in subscribers:
        got, duplicates = received(proc)
        assert got[hub.outbox.producer.name] == list(range(1, BURST + 1))
        assert duplicates > 0  # the re-sent events reached it and were dropped by id


@pytest.mark.redis
@pytest.mark.slow
def test_two_servers_on_one_database_relay_once_in_order_ledger_included(
    redis_server, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two Guardians sharing one database (as two servers would) and one Redis: one relay (by
    lease) sends both producers' events, in order, and each ledger entry once."""
    import threading

    from guardian import Guardian

    monkeypatch.setenv("GUARDIAN_REDIS_URL", redis_server.url)
    url = f"sqlite:///{tmp_path / 'guardian.db'}"
    policy = [{"id": "all", "effect": "ALLOW"}]
    first, second = Guardian(policy, ledger=url), Guardian(policy, ledger=url)
    per_producer, decisions = 200, 5
    subscriber = start_subscribers(
        redis_server.url, "guardian:events", 2 * per_producer + decisions, n=1
    )[0]
    try:
        first.events.start()
        second.events.start()

        def burst(g: Guardian) -> None:
            for n in range(per_producer):
                g.events.publish("guardian.test.burst", {"n": n})

        threads = [threading.Thread(target=burst, args=(g,)) for g in (first, second)]
        for t in threads:
            t.start()
        for n in range(decisions):
            first.decide("bot", "read", f"file-{n}")
        for t in threads:
            t.join()
        got, duplicates = received(subscriber)
    finally:
        first.close()
        second.close()
    assert got[first.events.outbox.producer.name] == list(range(1, per_producer + 1))
    assert got[second.events.outbox.producer.name] == list(range(1, per_producer + 1))
    assert len(got["ledger"]) == decisions and got["ledger"] == sorted(got["ledger"])
    assert duplicates == 0  # one relay held the lease: nothing was sent twice
