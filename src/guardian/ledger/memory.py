"""An in-memory hash chain: the ledger of tests and of a Guardian given no store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.ledger.entry import (
    GENESIS_HASH,
    KINDS_SEEN,
    Entry,
    EntryError,
    check_kind,
    seal_hash,
)
from guardian.ledger.errors import DuplicateEntry


class MemoryLedger:
    def __init__(self, clock: Clock = SYSTEM_CLOCK) -> None:
        self._entries: list[Entry] = []
        self._by_decision: dict[str, dict[str, Entry]] = {}  # kind -> decision_id -> entry
        self._lock = threading.Lock()
        self._clock = clock

    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        has_float: bool | None = None,
        once_per_decision: bool = False,
        payload_json: bytes | None = None,
    ) -> Entry:
        if type(kind) is not str or kind not in KINDS_SEEN:
            check_kind(kind)  # the same refusals as the durable stores (one conformance suite)
        if not isinstance(payload, dict):
            raise EntryError(f"payload must be an object, got {type(payload).__name__}")
        decision_id = payload.get("decision_id")
        if not isinstance(decision_id, str):
            decision_id = None
        with self._lock:
            index = self._by_decision.get(kind)
            if once_per_decision and index is not None and decision_id in index:
                raise DuplicateEntry(f"a {kind} entry for decision {decision_id} already exists")
            prev = self._entries[-1].hash if self._entries else GENESIS_HASH
            seq, ts = len(self._entries) + 1, self._clock.now_iso()
            if payload_json is None:
                entry = Entry.seal(seq, kind, ts, payload, prev, has_float=has_float)
            else:
                entry = Entry(
                    seq, kind, ts, payload, prev, seal_hash(seq, kind, ts, payload_json, prev)
                )
            self._entries.append(entry)
            if decision_id is not None:
                if index is None:
                    index = self._by_decision[kind] = {}
                index.setdefault(decision_id, entry)
            return entry

    def find(self, kind: str, decision_id: str) -> Entry | None:
        with self._lock:
            index = self._by_decision.get(kind)
            return None if index is None else index.get(decision_id)

    def entries(self, after: int = 0) -> Iterator[Entry]:
        with self._lock:
            snapshot = self._entries[max(after, 0) :]
        return iter(snapshot)

    def head(self) -> Entry | None:
        with self._lock:
            return self._entries[-1] if self._entries else None

    def get(self, seq: int) -> Entry | None:
        with self._lock:
            return self._entries[seq - 1] if 0 < seq <= len(self._entries) else None

    def count(self) -> int:
        return len(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def close(self) -> None:
        """Nothing to release."""
