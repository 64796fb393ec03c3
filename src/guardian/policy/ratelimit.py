"""The in-process rate counter: a sliding log of timestamps per key.

One Guardian's counters live in its memory; replay builds a fresh one and feeds it the ledger's
decisions in order, which reproduces the live answers.
"""

from __future__ import annotations

import threading
from collections import deque


class MemoryRateCounter:
    def __init__(self) -> None:
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, limit: int, window: float | None, now: float) -> bool:
        with self._lock:
            log = self._hits.get(key)
            if log is None:
                log = self._hits[key] = deque()
            if window is not None:
                horizon = now - window
                while log and log[0] <= horizon:
                    log.popleft()
            if len(log) >= limit:
                return False
            log.append(now)
            return True
