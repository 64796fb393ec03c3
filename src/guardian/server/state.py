"""What one server process holds: handles on the shared database, never state of its own.

Tokens, sessions, proposals, grants and the ledger all live in the database, so any number of
instances can serve one database and a restart loses nothing. The only in-process objects are
connection pools, the compiled policy, Prometheus counters and the ledger-head watcher.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fastapi import Request
from sqlalchemy import Engine

from guardian.core.errors import GuardianError
from guardian.facade import Guardian
from guardian.governance.approvals import Approvals
from guardian.governance.tokens import TokenStore
from guardian.ledger.open import sqlite_path
from guardian.server.events.watch import HeadWatcher
from guardian.server.ledger_reads import LedgerReads
from guardian.server.metrics import Metrics
from guardian.server.sessions import WebSessions
from guardian.server.settings import ServerSettings


class ServerConfigError(GuardianError):
    code = "server_config"


class ServerState:
    def __init__(self, settings: ServerSettings) -> None:
        url = settings.resolved_database_url
        if url.startswith("memory"):
            raise ServerConfigError(
                f"{url}: the server keeps tokens and proposals in a database; "
                "use sqlite:///path.db or postgresql://..."
            )
        self.settings = settings
        self.database_url = url
        db_file = sqlite_path(url)
        key = settings.signing_key or (db_file.parent / "signing.key" if db_file else None)
        self.guardian = Guardian(
            settings.policy, ledger=url, signing_key=Path(key) if key else None
        )
        self.engine: Engine = self.guardian.approvals.store.engine
        self.tokens = TokenStore(self.engine, self.guardian.clock)
        self.sessions = WebSessions(self.engine, self.guardian.clock, settings.session_ttl)
        self.reads = LedgerReads(self.engine)
        self.metrics = Metrics(self.guardian.approvals.store)
        self.watcher = HeadWatcher(self.reads.head_seq, settings.poll_interval)
        #: Threads that decide: each waits on the ledger's group commit, so there are many. A plain
        #: executor hands work over faster than AnyIO's thread limiter (~60 µs a call here).
        self.deciders = ThreadPoolExecutor(settings.threads, thread_name_prefix="guardian-decide")

    @property
    def approvals(self) -> Approvals:
        return self.guardian.approvals

    def close(self) -> None:
        self.deciders.shutdown(wait=True)
        self.guardian.close()
        self.engine.dispose()


def state_of(request: Request) -> ServerState:
    state: ServerState = request.app.state.guardian
    return state
