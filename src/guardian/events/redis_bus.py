"""The Redis transport: every process subscribed to one Redis sees every event, in order.

Events go to one Redis stream (`XADD`, in order, up to PER_MESSAGE events per entry, trimmed to
about `maxlen` entries) and each subscribing process reads it with a blocking `XREAD` from where it
left off. A stream rather than PUBLISH, because a
subscriber that is reconnecting misses PUBLISHed messages for good, while a stream keeps them until
it is back. Fan-out is the same as pub/sub: every reader sees every event.

Redis restarted without its data (the test servers keep none) loses what it held. Both sides notice
through an epoch key the relay sets: the relay then re-sends what it published in the last
`replay_seconds`, and readers start the new stream from its beginning; readers drop the duplicates
by event id. While Redis is down the relay keeps events in the outbox and retries.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Sequence
from typing import Any

import orjson
import redis

from guardian.events.bus import Dispatcher, TransportError
from guardian.events.model import Event, EventError

log = logging.getLogger("guardian.events")

DEFAULT_STREAM = "guardian:events"
#: Stream entries kept (about); each entry carries up to PER_MESSAGE events, in order.
DEFAULT_MAXLEN = 20_000
#: Events per stream entry: one XADD per batch instead of one per event (the relay sends batches).
PER_MESSAGE = 100
_ERRORS = (redis.ConnectionError, redis.TimeoutError, OSError)


def _client(url: str, timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                health_check_interval=0, retry_on_timeout=False)  # fmt: skip


class RedisTransport:
    local = False

    def __init__(self, url: str, *, stream: str = DEFAULT_STREAM, maxlen: int = DEFAULT_MAXLEN,
                 block_ms: int = 500, timeout: float = 5.0) -> None:  # fmt: skip
        self.url = url
        self.stream = stream
        self.epoch_key = f"{stream}:epoch"
        self.maxlen = maxlen
        self._block_ms = block_ms
        self._timeout = timeout
        self._send = _client(url, timeout)
        self._epoch: bytes | str | None = None
        self._suspect = True
        self._checked_at = 0.0
        self._reader: _Reader | None = None

    def send(self, events: Sequence[Event]) -> None:
        if not events:
            return
        pipe = self._send.pipeline(transaction=False)
        for start in range(0, len(events), PER_MESSAGE):
            body = b"[" + b",".join(e.to_json() for e in events[start : start + PER_MESSAGE]) + b"]"
            pipe.xadd(self.stream, {"b": body}, maxlen=self.maxlen, approximate=True)
        try:
            pipe.execute()
        except _ERRORS as exc:
            self._suspect = True
            raise TransportError(f"redis {self.url}: {type(exc).__name__}: {exc}") from None

    def lost_since_last_check(self) -> bool:
        """True once after Redis came back without the epoch this relay set (its data is gone).

        Asked after any failure (a restart breaks the connection, so the first command after it
        fails) and otherwise at most once a second, to keep a round trip off every send."""
        now = time.monotonic()
        if not self._suspect and now - self._checked_at < 1.0:
            return False
        try:
            current = self._send.get(self.epoch_key)
            if current is None:
                fresh = secrets.token_hex(8).encode()
                self._send.set(self.epoch_key, fresh, nx=True)
                current = self._send.get(self.epoch_key)
        except _ERRORS as exc:
            self._suspect = True
            raise TransportError(f"redis {self.url}: {type(exc).__name__}: {exc}") from None
        lost = self._epoch is not None and current != self._epoch
        self._epoch, self._suspect, self._checked_at = current, False, now
        return lost

    def listen(self, dispatcher: Dispatcher) -> None:
        if self._reader is None:
            self._reader = _Reader(self, dispatcher)
            self._reader.start()

    def wait_listening(self, timeout: float = 10.0) -> bool:
        """Block until the reader has connected once (so it sees what is published next)."""
        return self._reader is not None and self._reader.ready.wait(timeout)

    def close(self) -> None:
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        self._send.close()


class _Reader(threading.Thread):
    """Reads the stream from where it left off; re-reads a restarted Redis from its beginning."""

    def __init__(self, transport: RedisTransport, dispatcher: Dispatcher) -> None:
        super().__init__(name="guardian-events-redis", daemon=True)
        self._t = transport
        self._dispatcher = dispatcher
        self._stopping = threading.Event()
        self.ready = threading.Event()
        self._client = _client(transport.url, transport._timeout + transport._block_ms / 1000)
        self._last_id: bytes | str | None = None
        self._epoch: bytes | str | None = None
        self._checked = 0.0

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=5)
        self._client.close()

    def run(self) -> None:
        backoff = 0.05
        while not self._stopping.is_set():
            try:
                self._check_epoch()
                self._read_once()
                self.ready.set()
                backoff = 0.05
            except _ERRORS as exc:
                log.debug("redis reader: %s; retrying in %.2fs", exc, backoff)
                self._checked = 0.0
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, 1.0)

    def _check_epoch(self) -> None:
        now = time.monotonic()
        if now - self._checked < 1.0:
            return
        self._checked = now
        epoch = self._client.get(self._t.epoch_key)
        if self._last_id is None:  # first connection: only what is published from now on
            latest = self._client.xrevrange(self._t.stream, count=1)
            self._last_id = latest[0][0] if latest else "0-0"
        elif self._epoch is not None and epoch != self._epoch:
            self._last_id = "0-0"  # Redis restarted: its stream is new, read all of it
        self._epoch = epoch

    def _read_once(self) -> None:
        assert self._last_id is not None
        reply: Any = self._client.xread({self._t.stream: self._last_id}, count=1000,
                                        block=self._t._block_ms)  # fmt: skip
        for _stream, messages in reply or ():
            for message_id, fields in messages:
                self._last_id = message_id
                try:
                    batch = [Event.from_dict(raw) for raw in orjson.loads(fields[b"b"])]
                except (EventError, KeyError, TypeError, orjson.JSONDecodeError) as exc:
                    log.warning("skipping a malformed stream entry %s: %s", message_id, exc)
                    continue
                for event in batch:
                    self._dispatcher.deliver(event)
