"""One event: what happened (`type`, `payload`), when, and who produced it in which order.

`id` is unique per event and stable across re-deliveries, so subscribers drop duplicates by it;
`producer` + `seq` give each producer's order (seq increases with every event it produces).
Handlers may read an event as seed 003's dict: `event["event_type"]`, `event["payload"]`.
"""

from __future__ import annotations

import fnmatch
import functools
import re
from dataclasses import dataclass
from typing import Any

import orjson

#: Event types are dotted lower-case names: `guardian.intervention.completed`.
TYPE_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_*-]+)*")


class EventError(ValueError):
    """An event or pattern that is not well formed."""


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    payload: dict[str, Any]
    ts: str
    producer: str
    seq: int

    def to_dict(self) -> dict[str, Any]:
        return {"event_id": self.id, "event_type": self.type, "payload": self.payload,
                "ts": self.ts, "producer": self.producer, "seq": self.seq}  # fmt: skip

    def to_json(self) -> bytes:
        return orjson.dumps(self.to_dict(), option=orjson.OPT_NON_STR_KEYS)

    @classmethod
    def from_json(cls, data: bytes | str) -> Event:
        try:
            return cls.from_dict(orjson.loads(data))
        except orjson.JSONDecodeError as exc:
            raise EventError(f"not an event: {exc}") from None

    @classmethod
    def from_dict(cls, raw: Any) -> Event:
        try:
            return cls(str(raw["event_id"]), str(raw["event_type"]), dict(raw["payload"]),
                       str(raw["ts"]), str(raw["producer"]), int(raw["seq"]))  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise EventError(f"not an event: {type(exc).__name__}: {exc}") from None

    def __getitem__(self, key: str) -> Any:
        """Seed 003's handlers read events as dicts."""
        return self.to_dict()[key]


def check_type(event_type: object) -> str:
    if not isinstance(event_type, str) or not TYPE_RE.fullmatch(event_type) or "*" in event_type:
        raise EventError(f"event type must be a dotted lower-case name like "
                         f"'guardian.task.queued', got {event_type!r}")  # fmt: skip
    return event_type


def check_pattern(pattern: object) -> str:
    """A subscription pattern: an event type where `*` matches any run of characters (dots too)."""
    if (
        not isinstance(pattern, str)
        or not pattern
        or (pattern != "*" and not TYPE_RE.fullmatch(pattern))
    ):
        raise EventError(f"pattern must look like 'guardian.*' or 'guardian.intervention.*', "
                         f"got {pattern!r}")  # fmt: skip
    return pattern


@functools.lru_cache(maxsize=4096)
def matches(pattern: str, event_type: str) -> bool:
    return fnmatch.fnmatchcase(event_type, pattern)
