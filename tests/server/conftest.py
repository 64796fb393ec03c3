"""Fixtures for the server tests: a fresh SQLite database with one token per role, and the app."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from guardian.core.clock import SYSTEM_CLOCK
from guardian.governance.tokens import TokenStore
from guardian.server.app import create_app
from guardian.server.settings import ServerSettings
from guardian.server.testing import prepare_database
from guardian.storage.engine import open_engine

POLICY = """
version: 1
name: server-tests
rules:
  - id: reads
    action: read_file
    effect: ALLOW
  - id: mail
    action: send_email
    effect: ASK
    approval_timeout: 10m
  - id: wire
    action: wire
    effect: ASK
    never_auto_approve: true
  - id: publish
    action: publish
    effect: ASK
  - id: ops
    action: restart_service
    min_authority: 4
    effect: ALLOW
  - id: no-deletes
    action: "delete_*"
    effect: DENY
"""

#: name -> (role, agent id); "expired" and "revoked" are agent tokens made unusable.
TOKENS = {
    "bot": ("agent", None),
    "other-bot": ("agent", None),
    "alice": ("approver", None),
    "watch": ("guardian", None),
    "root": ("admin", None),
    "expired": ("agent", "bot"),
    "revoked": ("approver", None),
}


@dataclass
class Env:
    dir: Path
    url: str
    policy: Path
    tokens: dict[str, str]

    def auth(self, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def settings(self, **overrides: object) -> ServerSettings:
        values: dict[str, object] = {
            "database_url": self.url,
            "policy": str(self.policy),
            "poll_interval": 0.02,
            "signing_key": str(self.dir / "k.key"),
        }
        values.update(overrides)
        return ServerSettings(**values)  # type: ignore[arg-type]


def make_env(root: Path) -> Env:
    policy = root / "policy.yaml"
    policy.write_text(POLICY)
    url = f"sqlite:///{root / 'db' / 'guardian.db'}"
    prepare_database(url)
    engine = open_engine(url)
    store = TokenStore(engine, SYSTEM_CLOCK)
    tokens = {}
    for name, (role, agent) in TOKENS.items():
        expires = 0.05 if name == "expired" else None
        tokens[name] = store.create(name, role, agent_id=agent, expires_in=expires)[0]
    store.revoke("revoked")
    engine.dispose()
    time.sleep(0.06)  # let "expired" expire
    return Env(root, url, policy, tokens)


@pytest.fixture
def env(tmp_path: Path) -> Env:
    return make_env(tmp_path)


@pytest.fixture
def app(env: Env) -> FastAPI:
    return create_app(env.settings())


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c
