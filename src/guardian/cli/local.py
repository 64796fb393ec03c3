"""The local database, for commands that act on it directly (pause, budgets, runs, watchdog, status).

Opening it does not load a policy, so control commands leave no policy entry in the ledger.
Whoever may write the database file is trusted as its admin here, recorded as `local:<OS user>`.
"""

from __future__ import annotations

import functools
import getpass

from sqlalchemy import Engine

from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.core.principal import Principal
from guardian.governance.budget import Budgets
from guardian.governance.pause import PauseBoard
from guardian.governance.runs import Heartbeats, RunStore
from guardian.ledger.store import Ledger


def local_admin() -> Principal:
    return Principal(f"local:{getpass.getuser()}", "admin", 5)


class LocalState:
    def __init__(self, database: str | None, clock: Clock = SYSTEM_CLOCK) -> None:
        from guardian.ledger.open import open_ledger, resolve_url
        from guardian.storage.engine import open_engine

        self.url = resolve_url(database)
        self.clock = clock
        self.ledger: Ledger = open_ledger(self.url, clock=clock)
        self.engine: Engine = open_engine(self.url)

    @functools.cached_property
    def pauses(self) -> PauseBoard:
        return PauseBoard(self.engine, self.ledger, self.clock)

    @functools.cached_property
    def budgets(self) -> Budgets:
        return Budgets(self.engine, self.ledger, self.clock, self.pauses)

    @functools.cached_property
    def runs(self) -> RunStore:
        return RunStore(self.engine, self.ledger, self.clock)

    @functools.cached_property
    def heartbeats(self) -> Heartbeats:
        return Heartbeats(self.engine, self.clock)

    def close(self) -> None:
        self.ledger.close()
        self.engine.dispose()

    def __enter__(self) -> LocalState:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
