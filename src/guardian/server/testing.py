"""Test kit for code that talks to a Guardian server: a real `guardian serve` in a subprocess.

    with LiveServer(database_url, policy="policy.yaml") as server:
        client = GuardianClient(server.url, token)

It binds a free loopback port, waits for /healthz, and stops the process on exit (`kill()` ends it
abruptly, to test restarts). Tokens are minted straight into the database with `mint_tokens`.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from guardian.core.clock import SYSTEM_CLOCK
from guardian.governance.tokens import TokenStore


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare_database(url: str) -> None:
    """Create (or upgrade) every table of the database at `url`."""
    from guardian.ledger.open import open_ledger

    open_ledger(url, signing_key=False, mirror=False).close()


def mint_tokens(url: str, specs: dict[str, tuple[str, str | None]]) -> dict[str, str]:
    """Create tokens {name: (role, agent_id)} in the database; return {name: secret}."""
    from guardian.storage.engine import open_engine

    prepare_database(url)
    engine = open_engine(url)
    try:
        store = TokenStore(engine, SYSTEM_CLOCK)
        return {name: store.create(name, role, agent_id=agent)[0]
                for name, (role, agent) in specs.items()}  # fmt: skip
    finally:
        engine.dispose()


class LiveServer:
    def __init__(self, database_url: str, *, policy: str | Path | None = None,
                 port: int | None = None, hooks: tuple[str, ...] = (),
                 env: dict[str, str] | None = None, log: Path | None = None) -> None:  # fmt: skip
        self.database_url = database_url
        self.policy = policy
        self.port = port or free_port()
        self.hooks = hooks
        self.env = env or {}
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> LiveServer:
        args = [sys.executable, "-m", "guardian", "serve", "--port", str(self.port),
                "--database", self.database_url, "--log-level", "warning"]  # fmt: skip
        if self.policy is not None:
            args += ["--policy", str(self.policy)]
        for module in self.hooks:
            args += ["--hooks", module]
        out = self.log.open("ab") if self.log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603
                                        env={**os.environ, **self.env})  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"guardian serve exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"guardian serve did not answer /healthz within {timeout}s")

    def kill(self) -> None:
        """End the server abruptly (SIGKILL): no graceful shutdown, as in a crash."""
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
            self.process = None

    def __enter__(self) -> LiveServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
