"""Unique ids for decisions, proposals and the like, cheap enough for the hot path.

A random 64-bit prefix drawn once per process and a counter: unique across processes and restarts
(with overwhelming probability) without calling the OS for randomness on every decision. A forked
child draws its own prefix at the fork (os.register_at_fork), so no call needs to ask for its pid.
"""

from __future__ import annotations

import itertools
import os
import threading

_lock = threading.Lock()


def _fresh() -> tuple[str, itertools.count[int]]:
    return os.urandom(8).hex(), itertools.count(1)


#: (prefix, counter), swapped whole so that a thread never pairs one prefix with another's counter.
_state = _fresh()


def new_id() -> str:
    """32 hex characters, unique per call; a fork gets a fresh prefix."""
    prefix, counter = _state
    return f"{prefix}{next(counter):016x}"


def seed(prefix: str) -> None:
    """Make this process's ids deterministic (`prefix` + counter from 1): for demos and tests."""
    global _state
    with _lock:
        _state = (prefix, itertools.count(1))


def _after_fork() -> None:
    global _lock, _state
    _lock = threading.Lock()  # a lock held by another thread at the fork stays held in the child
    _state = _fresh()


os.register_at_fork(after_in_child=_after_fork)
