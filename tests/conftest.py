"""Fixtures shared by every test directory.

PostgreSQL: `postgres_url` (session) is a server URL: $GUARDIAN_TEST_POSTGRES_URL when set (`./run
test` starts the cluster through scripts/services.sh), else a private throwaway cluster this session
starts (own port and directory, fsync off) and stops, else the test is skipped, or fails when CI=true.
`postgres_db` (function) is a fresh database on that server, created for the test and dropped after.

Redis: `redis_url` (session), the same way: $GUARDIAN_TEST_REDIS_URL, else a private throwaway
server started through scripts/services.sh (own port and directory) and stopped after the session,
else skipped (failed when CI=true). `RedisServer` is that private server as an object, for tests
that stop and restart Redis on the same port.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "scripts" / "services.sh"


def _unavailable(why: str, service: str = "PostgreSQL") -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: {service} tests must run)")
    pytest.skip(why)


def _postgres_installed() -> bool:
    return (
        any(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl")) or shutil.which("pg_ctl") is not None
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    url = os.environ.get("GUARDIAN_TEST_POSTGRES_URL")
    if url:
        yield url
        return
    if not _postgres_installed() or not SERVICES.exists():
        _unavailable("PostgreSQL is not installed and GUARDIAN_TEST_POSTGRES_URL is not set")
    env = {
        **os.environ,
        "GUARDIAN_PG_FAST": "1",
        "GUARDIAN_SERVICES_DIR": str(ROOT / ".services" / f"pytest-{os.getpid()}"),
        "GUARDIAN_PG_PORT": str(_free_port()),
    }
    started = subprocess.run(
        [str(SERVICES), "start", "postgres"], env=env, capture_output=True, text=True, check=False
    )
    found = [
        line.split("=", 1)[1]
        for line in started.stdout.splitlines()
        if line.startswith("export GUARDIAN_TEST_POSTGRES_URL=")
    ]
    if started.returncode != 0 or not found:
        _unavailable(f"could not start PostgreSQL: {started.stderr.strip()}")
    try:
        yield found[0]
    finally:
        subprocess.run([str(SERVICES), "stop"], env=env, capture_output=True, check=False)
        shutil.rmtree(env["GUARDIAN_SERVICES_DIR"], ignore_errors=True)


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[str]:
    """A URL of a new, empty database on the test server; dropped after the test."""
    import psycopg

    name = f"guardian_test_{uuid.uuid4().hex[:12]}"
    admin = "postgresql://" + postgres_url.split("://", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = admin.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class RedisServer:
    """A private Redis started through scripts/services.sh: `stop()` and `start()` keep its port."""

    def __init__(self, name: str) -> None:
        self.dir = ROOT / ".services" / f"pytest-{os.getpid()}-{name}"
        self.port = _free_port()
        self.env = {**os.environ, "GUARDIAN_SERVICES_DIR": str(self.dir),
                    "GUARDIAN_REDIS_PORT": str(self.port)}  # fmt: skip
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> str:
        out = subprocess.run([str(SERVICES), "start", "redis"], env=self.env, capture_output=True,
                             text=True, check=False)  # fmt: skip
        if out.returncode != 0 or "GUARDIAN_TEST_REDIS_URL" not in out.stdout:
            raise RuntimeError(f"could not start Redis: {out.stderr.strip()}")
        return self.url

    def stop(self) -> None:
        """Stop Redis and wait until it has exited (`services.sh stop`; no PostgreSQL runs here)."""
        subprocess.run([str(SERVICES), "stop"], env=self.env, capture_output=True, check=False)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def start_private_redis(name: str) -> RedisServer:
    """A started private Redis, or skip (fail when CI=true) if it cannot be had."""
    if shutil.which("redis-server") is None or not SERVICES.exists():
        _unavailable("redis-server is not installed", "Redis")
    server = RedisServer(name)
    try:
        server.start()
    except RuntimeError as exc:
        server.close()
        _unavailable(str(exc), "Redis")
    return server


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    url = os.environ.get("GUARDIAN_TEST_REDIS_URL")
    if url:
        yield url
        return
    if shutil.which("redis-server") is None or not SERVICES.exists():
        _unavailable("Redis is not installed and GUARDIAN_TEST_REDIS_URL is not set", "Redis")
    server = start_private_redis("session")
    try:
        yield server.url
    finally:
        server.close()


@pytest.fixture
def redis_server(request: pytest.FixtureRequest) -> Iterator[RedisServer]:
    """A private Redis for this test only, which it may stop and start again on the same port."""
    server = start_private_redis(request.node.name[:40].replace("/", "_"))
    try:
        yield server
    finally:
        server.close()
