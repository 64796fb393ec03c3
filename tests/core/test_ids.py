"""Ids: 32 hex characters, unique, deterministic when seeded, fresh in a forked child."""

from __future__ import annotations

import os
import re

import pytest

from guardian.core import ids
from guardian.core.ids import new_id, seed


def test_ids_are_unique_hex() -> None:
    made = [new_id() for _ in range(1000)]
    assert len(set(made)) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in made)


def test_seeded_ids_count_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_state", ids._state)
    seed("ab" * 8)
    assert [new_id(), new_id()] == ["ab" * 8 + f"{n:016x}" for n in (1, 2)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
def test_a_forked_child_draws_its_own_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids, "_state", ids._state)
    seed("cd" * 8)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its next id and leave at once
        os.write(write, new_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == 32 and not child.startswith("cd" * 8)
    assert new_id().startswith("cd" * 8)
