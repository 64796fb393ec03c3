"""Webhook channels against a real HTTP server on 127.0.0.1: signed bodies, retries with backoff,
exactly one acknowledgement per event; and the channel configuration (file and environment)."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import orjson
import pytest

from guardian import Guardian, Principal
from guardian.core.errors import PolicyError
from guardian.events import Channel, WebhookSender, load_channels, verify_signature

SECRET = "whsec-test-1"


class Receiver:
    """Answers 500 to the first `failures` deliveries of each event id, then 200."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.requests: dict[str, list[tuple[bytes, dict[str, str]]]] = defaultdict(list)
        self.acknowledged: list[str] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = self.headers["X-Guardian-Event-Id"]
                seen = receiver.requests[event_id]
                seen.append((body, dict(self.headers)))
                ok = len(seen) > receiver.failures and verify_signature(
                    SECRET, body, self.headers["X-Guardian-Signature"]
                )
                if ok:
                    receiver.acknowledged.append(event_id)
                self.send_response(200 if ok else 500)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=2)
    yield r
    r.close()


def test_a_receiver_failing_twice_gets_each_event_once_acknowledged(receiver: Receiver) -> None:
    g = Guardian([{"id": "all", "effect": "ALLOW"}])
    channel = Channel("slack", receiver.url, SECRET, ("guardian.intervention.*",), max_attempts=5,
                      backoff_seconds=0.05)  # fmt: skip
    sender = WebhookSender({"slack": channel})
    sender.attach(g.events)
    g.interventions.registry.register_task("task-1")
    g.interventions.emergency_cancel_task(
        "task-1", "stuck", principal=Principal("gd", "guardian", 4)
    )
    started = time.monotonic()
    assert sender.flush(timeout=30)
    took = time.monotonic() - started
    assert (
        len(receiver.requests) == 2
    )  # started and completed; the task.* events are not this channel's
    for event_id, attempts in receiver.requests.items():
        assert len(attempts) == 3 and receiver.acknowledged.count(event_id) == 1
        bodies = {body for body, _ in attempts}
        assert len(bodies) == 1  # the same bytes each time...
        body, headers = attempts[0]
        assert verify_signature(SECRET, body, headers["X-Guardian-Signature"])  # ...signed
        assert headers["X-Guardian-Signature"].startswith("sha256=")
        assert [h["X-Guardian-Delivery-Attempt"] for _, h in attempts] == ["1", "2", "3"]
        event = orjson.loads(body)
        assert event["event_id"] == event_id and event["event_type"].startswith(
            "guardian.intervention."
        )
        assert event["payload"]["action_type"] == "cancel_task"
    assert took >= 0.05 + 0.1  # backoff: 0.05 s, then 0.1 s
    assert all(d.ok and d.attempts == 3 for d in sender.settled)
    time.sleep(0.3)
    assert sum(len(a) for a in receiver.requests.values()) == 6  # nothing after the acknowledgement
    assert not verify_signature("other-secret", body, headers["X-Guardian-Signature"])
    assert not verify_signature(SECRET, body + b" ", headers["X-Guardian-Signature"])
    sender.close()
    g.close()


def test_gives_up_after_max_attempts_and_notify_names_channels() -> None:
    stubborn = Receiver(failures=100)
    try:
        g = Guardian([{"id": "all", "effect": "ALLOW"}])
        sender = WebhookSender({
            "pagerduty": Channel("pagerduty", stubborn.url, SECRET, (), max_attempts=3, backoff_seconds=0.02),
            "slack": Channel("slack", stubborn.url, SECRET, (), max_attempts=1),
        })  # fmt: skip
        sender.attach(g.events)
        g.events.publish("guardian.policy.notify", {"channels": ["pagerduty"], "policy": "p"})
        g.events.publish("guardian.task.queued", {"id": "x"})  # no channel wants it
        assert sender.flush(timeout=10)
        [delivery] = sender.settled
        assert (delivery.channel.name, delivery.ok, delivery.attempts) == ("pagerduty", False, 3)
        assert delivery.history == ["500", "500", "500"]
        sender.close()
        g.close()
    finally:
        stubborn.close()


def test_channels_from_a_file_and_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(
        "channels:\n"
        "  slack:\n"
        "    url: https://hooks.example.com/slack\n"
        "    secret_env: SLACK_SECRET\n"
        "    events: ['guardian.intervention.*']\n"
        "  pagerduty:\n"
        "    url: https://events.example.com/pd\n"
        "    secret: inline\n"
        "    max_attempts: 3\n"
    )
    env = {"SLACK_SECRET": "s1", "GUARDIAN_CHANNEL_PAGERDUTY_URL": "https://pd.example.com/v2",
           "GUARDIAN_CHANNEL_OPS_URL": "http://127.0.0.1:9/ops", "GUARDIAN_CHANNEL_OPS_SECRET": "s3",
           "GUARDIAN_CHANNEL_OPS_EVENTS": "guardian.pause.*, guardian.budget.*"}  # fmt: skip
    channels = load_channels(path, env)
    assert channels["slack"] == Channel(
        "slack", "https://hooks.example.com/slack", "s1", ("guardian.intervention.*",)
    )
    assert (
        channels["pagerduty"].url == "https://pd.example.com/v2"
        and channels["pagerduty"].max_attempts == 3
    )
    assert channels["ops"].events == ("guardian.pause.*", "guardian.budget.*")
    assert load_channels(None, {}) == {}


def test_channel_errors_name_the_file_line_and_field(tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text(
        "channels:\n"
        "  slack:\n"
        "    url: ftp://nope\n"
        "    secret: s\n"
        "  pagerduty:\n"
        "    url: https://pd\n"
        "    colour: red\n"
    )
    with pytest.raises(PolicyError) as info:
        load_channels(path, {})
    text = str(info.value)
    assert f"{path}:2: rule 'slack': url must be an http(s) URL" in text
    assert f"{path}:7: rule 'pagerduty': field 'colour': unknown field" in text
    assert "a secret is required" in text
