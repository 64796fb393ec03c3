"""Webhook delivery: POST each event as JSON, signed, retried with exponential backoff.

The body is the event's JSON; `X-Guardian-Signature: sha256=<hex HMAC-SHA256 of the body>` under
the channel's secret lets the receiver check it came from us; `X-Guardian-Event-Id` lets it drop a
re-delivery. Any 2xx is the acknowledgement; anything else (or no answer) is retried after
`backoff_seconds`, doubled each attempt, up to `max_attempts`. A channel receives the events its
`events` patterns match, plus `guardian.policy.notify` events that name it.
"""

from __future__ import annotations

import hashlib
import heapq
import hmac
import itertools
import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field

import httpx

from guardian import __version__
from guardian.events.bus import EventBus, Subscription
from guardian.events.channels import Channel
from guardian.events.model import Event, matches

log = logging.getLogger("guardian.events")

SIGNATURE_HEADER = "X-Guardian-Signature"
NOTIFY_EVENT = "guardian.policy.notify"


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """For receivers: is `header` the signature of exactly `body` under `secret`?"""
    return header is not None and hmac.compare_digest(sign(secret, body), header)


@dataclass
class Delivery:
    channel: Channel
    event: Event
    attempts: int = 0
    status: int | None = None
    error: str = ""
    done: bool = False
    ok: bool = False
    history: list[str] = field(default_factory=list)


class WebhookSender:
    """One worker thread delivering to every channel; `flush()` waits until all are settled."""

    def __init__(self, channels: dict[str, Channel], *, client: httpx.Client | None = None) -> None:
        self.channels = channels
        self._client = client or httpx.Client(headers={"User-Agent": f"guardian/{__version__}"})
        self._queue: list[tuple[float, int, Delivery]] = []
        self._order = itertools.count()
        self._cond = threading.Condition()
        self._active = 0
        self._stopping = False
        self.settled: deque[Delivery] = deque(maxlen=10_000)
        self._thread = threading.Thread(target=self._run, name="guardian-webhooks", daemon=True)
        self._thread.start()

    def attach(self, bus: EventBus) -> Subscription:
        """Deliver every matching event published on `bus` from now on."""
        return bus.subscribe("*", self.route)

    def route(self, event: Event) -> None:
        named = event.payload.get("channels") if event.type == NOTIFY_EVENT else None
        for name in named or ():
            if name not in self.channels:
                log.warning("notify: no channel %r is configured (event %s)", name, event.id)
        for channel in self.channels.values():
            wanted = any(matches(p, event.type) for p in channel.events)
            if wanted or (isinstance(named, list) and channel.name in named):
                self.deliver(channel, event)

    def deliver(self, channel: Channel, event: Event) -> Delivery:
        delivery = Delivery(channel, event)
        self._schedule(delivery, 0.0)
        return delivery

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until every queued delivery is acknowledged or out of attempts."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._active:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(remaining)
        return True

    def close(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout=10)
        self._client.close()

    def _schedule(self, delivery: Delivery, delay: float) -> None:
        with self._cond:
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), delivery))
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (
                    not self._queue or self._queue[0][0] > time.monotonic()
                ):
                    self._cond.wait(self._queue[0][0] - time.monotonic() if self._queue else None)
                if self._stopping:
                    return
                _, _, delivery = heapq.heappop(self._queue)
                self._active += 1
            try:
                self._attempt(delivery)
            finally:
                with self._cond:
                    self._active -= 1
                    self._cond.notify_all()

    def _attempt(self, delivery: Delivery) -> None:
        channel, event = delivery.channel, delivery.event
        body = event.to_json()
        delivery.attempts += 1
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(channel.secret, body),
                   "X-Guardian-Event": event.type, "X-Guardian-Event-Id": event.id,
                   "X-Guardian-Delivery-Attempt": str(delivery.attempts)}  # fmt: skip
        try:
            response = self._client.post(channel.url, content=body, headers=headers,
                                         timeout=channel.timeout_seconds)  # fmt: skip
            delivery.status, delivery.error = response.status_code, ""
            delivery.ok = 200 <= response.status_code < 300
        except httpx.HTTPError as exc:
            delivery.status, delivery.error = None, f"{type(exc).__name__}: {exc}"
        delivery.history.append(str(delivery.status) if delivery.status else delivery.error)
        if delivery.ok or delivery.attempts >= channel.max_attempts:
            delivery.done = True
            self.settled.append(delivery)
            if not delivery.ok:
                log.warning("webhook %s: gave up on %s after %d attempts (%s)", channel.name,
                            event.id, delivery.attempts, delivery.history[-1])  # fmt: skip
            return
        self._schedule(delivery, channel.backoff_seconds * 2 ** (delivery.attempts - 1))
