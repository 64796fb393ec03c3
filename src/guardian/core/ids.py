"""Unique ids for decisions, proposals and the like, cheap enough for the hot path.

A random 64-bit prefix drawn once per process and a counter: unique across processes and restarts
(with overwhelming probability) without calling the OS for randomness on every decision.
"""

from __future__ import annotations

import itertools
import os
import threading

_lock = threading.Lock()
_state: dict[int, tuple[str, itertools.count[int]]] = {}


def new_id() -> str:
    """32 hex characters, unique per call; a fork gets a fresh prefix."""
    pid = os.getpid()
    state = _state.get(pid)
    if state is None:
        with _lock:
            state = _state.setdefault(pid, (os.urandom(8).hex(), itertools.count(1)))
    prefix, counter = state
    return f"{prefix}{next(counter):016x}"


def seed(prefix: str) -> None:
    """Make this process's ids deterministic (`prefix` + counter from 1): for demos and tests."""
    with _lock:
        _state[os.getpid()] = (prefix, itertools.count(1))
