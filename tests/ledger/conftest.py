"""Ledger test fixtures: one `backend` parametrised over every store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from guardian.testing import FakeClock

from .ledgerkit import Backend


@pytest.fixture(params=["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "memory":
        b = Backend("memory", "memory://", durable=False)
    elif request.param == "sqlite":
        b = Backend("sqlite", f"sqlite:///{tmp_path / 'ledger.db'}", durable=True)
    else:
        b = Backend("postgres", request.getfixturevalue("postgres_db"), durable=True)
    yield b
    b.close_all()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
