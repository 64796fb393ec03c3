"""Server-Sent Events by tailing the ledger in the database.

Each event is one ledger entry: `id` is its seq (so `Last-Event-ID` resumes exactly where a client
left off, on any instance), `event` its kind, `data` the entry as JSON. Without `Last-Event-ID` a
stream starts at the current head: only new events.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection

import orjson
from starlette.concurrency import run_in_threadpool

from guardian.ledger.entry import Entry
from guardian.server.state import ServerState

#: What a stream carries unless asked otherwise (policy entries are large and rarely wanted).
DEFAULT_KINDS = ("decision", "approval", "receipt", "grant", "security", "session")
_BATCH = 500


def format_event(entry: Entry) -> bytes:
    data = orjson.dumps(entry.to_dict())
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (entry.seq, entry.kind.encode(), data)


def parse_last_event_id(value: str | None) -> int | None:
    if value is None or not value.strip().isdigit():
        return None
    return int(value.strip())


async def tail(
    state: ServerState,
    after: int | None,
    kinds: Collection[str],
    still_allowed: Callable[[], Awaitable[bool]],
) -> AsyncIterator[bytes]:
    """Entries of `kinds` with seq > `after` (None: from the current head), then each new one.

    `still_allowed` is asked again every keepalive interval, so a stream opened with a token (or
    a session) that is then revoked or expires ends within that interval."""
    yield b"retry: 2000\n\n"
    if after is None:
        after = await run_in_threadpool(state.reads.head_seq)
    keepalive = state.settings.keepalive_interval
    checked = time.monotonic()
    while True:
        if time.monotonic() - checked >= keepalive:
            if not await still_allowed():
                return
            checked = time.monotonic()
        batch = await run_in_threadpool(state.reads.entries, after, _BATCH)
        for entry in batch:
            after = entry.seq
            if entry.kind in kinds:
                yield format_event(entry)
        if len(batch) == _BATCH:
            continue
        if not await state.watcher.wait_past(after, keepalive):
            yield b": keepalive\n\n"
