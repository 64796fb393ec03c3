"""The authorization matrix: every route x every kind of caller, against a real `guardian serve`.

MATRIX is the documented table (docs/server.md); a route the app serves without a row here fails
`test_every_route_has_a_row`, so no endpoint ships without a decision about who may call it.
Columns: no credential, a token of each role, an expired token, a revoked token. A dashboard route
is called with the session of that token when it can sign in (approver, admin), else without one.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from guardian.server.access import ACCESS
from guardian.server.app import create_app, route_keys
from guardian.server.testing import LiveServer

from .conftest import Env, make_env

CALLERS = ("none", "bot", "alice", "watch", "root", "expired", "revoked")
ROLE_OF = {"bot": "agent", "alice": "approver", "watch": "guardian", "root": "admin"}

#: (method, path): expected status for none, agent, approver, guardian, admin, expired, revoked.
MATRIX: dict[tuple[str, str], tuple[int, ...]] = {
    ("GET", "/healthz"): (200, 200, 200, 200, 200, 200, 200),
    ("GET", "/metrics"): (401, 403, 403, 200, 200, 401, 401),
    ("GET", "/openapi.json"): (401, 200, 200, 200, 200, 401, 401),
    ("GET", "/docs"): (401, 200, 200, 200, 200, 401, 401),
    ("POST", "/v1/decide"): (401, 200, 403, 200, 200, 401, 401),
    ("GET", "/v1/decisions/{decision_id}"): (401, 200, 200, 200, 200, 401, 401),
    ("POST", "/v1/receipts"): (401, 201, 403, 201, 201, 401, 401),
    ("GET", "/v1/proposals"): (401, 200, 200, 200, 200, 401, 401),
    ("GET", "/v1/proposals/{proposal_id}"): (401, 200, 200, 200, 200, 401, 401),
    ("GET", "/v1/proposals/{proposal_id}/wait"): (401, 200, 200, 200, 200, 401, 401),
    ("POST", "/v1/proposals/{proposal_id}/approve"): (401, 403, 200, 403, 200, 401, 401),
    ("POST", "/v1/proposals/{proposal_id}/reject"): (401, 403, 200, 403, 200, 401, 401),
    ("GET", "/v1/ledger/verify"): (401, 403, 200, 200, 200, 401, 401),
    ("GET", "/v1/ledger/entries"): (401, 403, 200, 200, 200, 401, 401),
    ("GET", "/v1/sessions/{session_id}/bundle"): (401, 200, 200, 200, 200, 401, 401),
    ("GET", "/v1/events"): (401, 403, 200, 200, 200, 401, 401),
    ("GET", "/v1/grants"): (401, 403, 200, 200, 200, 401, 401),
    ("DELETE", "/v1/grants/{grant_id}"): (401, 403, 200, 200, 200, 401, 401),
    ("GET", "/login"): (200, 200, 200, 200, 200, 200, 200),
    ("POST", "/login"): (401, 403, 303, 403, 303, 401, 401),
    ("POST", "/logout"): (401, 401, 303, 401, 303, 401, 401),
    ("GET", "/"): (303, 303, 200, 303, 200, 303, 303),
    ("GET", "/decisions"): (303, 303, 200, 303, 200, 303, 303),
    ("GET", "/agents"): (303, 303, 200, 303, 200, 303, 303),
    ("GET", "/ledger"): (303, 303, 200, 303, 200, 303, 303),
    ("POST", "/ledger/verify"): (401, 401, 200, 401, 200, 401, 401),
    ("GET", "/proposals/{proposal_id}"): (401, 401, 200, 401, 200, 401, 401),
    ("POST", "/proposals/{proposal_id}/approve"): (401, 401, 200, 401, 200, 401, 401),
    ("POST", "/proposals/{proposal_id}/reject"): (401, 401, 200, 401, 200, 401, 401),
    ("GET", "/events"): (401, 401, 200, 401, 200, 401, 401),
    ("GET", "/static"): (200, 200, 200, 200, 200, 200, 200),
    # seed 003's interventions: every role reaches them; below GUARDIAN authority it is 403, recorded
    ("POST", "/api/v1/guardian/intervention/cancel-task"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/api/v1/guardian/intervention/reallocate"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/api/v1/guardian/intervention/override-priority"): (
        401,
        403,
        403,
        200,
        200,
        401,
        401,
    ),
    ("GET", "/api/v1/guardian/actions"): (401, 403, 200, 200, 200, 401, 401),
    ("GET", "/api/v1/guardian/actions/{action_id}"): (401, 403, 200, 200, 200, 401, 401),
    ("POST", "/api/v1/guardian/actions/{action_id}/revert"): (401, 403, 403, 200, 200, 401, 401),
    ("GET", "/api/v1/guardian/agents"): (401, 403, 200, 200, 200, 401, 401),
    ("POST", "/api/v1/guardian/agents"): (401, 403, 403, 201, 201, 401, 401),
    ("GET", "/api/v1/guardian/agents/{agent_id}"): (401, 403, 200, 200, 200, 401, 401),
    ("PATCH", "/api/v1/guardian/agents/{agent_id}"): (401, 403, 403, 200, 200, 401, 401),
    ("GET", "/api/v1/guardian/tasks"): (401, 403, 200, 200, 200, 401, 401),
    ("POST", "/api/v1/guardian/tasks"): (401, 403, 403, 201, 201, 401, 401),
    ("GET", "/api/v1/guardian/tasks/{task_id}"): (401, 403, 200, 200, 200, 401, 401),
    ("PATCH", "/api/v1/guardian/tasks/{task_id}"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/api/v1/guardian/tasks/claim"): (401, 200, 403, 200, 200, 401, 401),
    # the kill switch and spend (docs/control.md); /v1/pause stays right before /v1/resume
    ("POST", "/v1/agents/{agent_id}/pause"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/v1/agents/{agent_id}/resume"): (401, 403, 403, 403, 200, 401, 401),
    ("POST", "/v1/sessions/{session_id}/pause"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/v1/sessions/{session_id}/resume"): (401, 403, 403, 403, 200, 401, 401),
    ("POST", "/v1/pause"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/v1/resume"): (401, 403, 403, 403, 200, 401, 401),
    ("GET", "/v1/pauses"): (401, 403, 200, 200, 200, 401, 401),
    ("GET", "/v1/budgets"): (401, 403, 200, 200, 200, 401, 401),
    ("POST", "/v1/charges"): (401, 403, 403, 200, 200, 401, 401),
    ("POST", "/agents/{agent_id}/pause"): (401, 401, 403, 401, 303, 401, 401),
    ("POST", "/agents/{agent_id}/resume"): (401, 401, 403, 401, 303, 401, 401),
    ("GET", "/interventions"): (303, 303, 200, 303, 200, 303, 303),
    ("POST", "/interventions/{action_id}/revert"): (401, 401, 403, 401, 303, 401, 401),
}

_counter = itertools.count()


def test_every_route_has_a_row(env: Env) -> None:
    app = create_app(env.settings())
    served = set(route_keys(app))
    assert served == set(MATRIX), (
        f"routes without a row: {sorted(served - set(MATRIX))}; "
        f"rows without a route: {sorted(set(MATRIX) - served)}"
    )
    assert set(ACCESS) == set(MATRIX)


def test_the_table_in_the_docs_is_this_matrix() -> None:
    from pathlib import Path

    doc = (Path(__file__).parents[2] / "docs" / "server.md").read_text()
    for (method, path), statuses in MATRIX.items():
        cells = " | ".join(str(s) for s in statuses)
        row = re.compile(rf"\|\s*`{method} {re.escape(path)}`\s*\|\s*{re.escape(cells)}\s*\|")
        assert row.search(doc), f"docs/server.md has no row `{method} {path}` | {cells} |"


class World:
    """Fresh resources for each call, made through the API with the right tokens."""

    def __init__(self, server: LiveServer, env: Env) -> None:
        self.http = httpx.Client(base_url=server.url, timeout=30)
        self.env = env

    def call(self, name: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = kw.pop("headers", {})
        return self.http.request(method, path, headers={**self.env.auth(name), **headers}, **kw)

    def decision(self, as_: str = "bot", session: str | None = None) -> str:
        body = {"action": "read_file", "target": f"docs/{next(_counter)}.md", "session_id": session}
        response = self.call(as_, "POST", "/v1/decide", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["decision_id"])

    def proposal(self) -> str:
        body = {"action": "send_email", "target": f"x{next(_counter)}@example.org"}
        response = self.call("bot", "POST", "/v1/decide", json=body)
        assert response.json()["decision"] == "ASK", response.text
        return str(response.json()["proposal_id"])

    def agent(self, capacity: int = 4) -> str:
        name = f"matrix-agent-{next(_counter)}"
        response = self.call(
            "root", "POST", "/api/v1/guardian/agents", json={"id": name, "capacity": capacity}
        )
        assert response.status_code == 201, response.text
        return name

    def task(self) -> str:
        name = f"matrix-task-{next(_counter)}"
        body = {"id": name, "priority": "LOW", "agent_id": self.agent()}
        response = self.call("root", "POST", "/api/v1/guardian/tasks", json=body)
        assert response.status_code == 201, response.text
        return name

    def action(self) -> str:
        body = {"task_id": self.task(), "new_priority": "HIGH", "reason": "matrix"}
        response = self.call(
            "root", "POST", "/api/v1/guardian/intervention/override-priority", json=body
        )
        assert response.status_code == 200, response.text
        return str(response.json()["id"])

    def budgeted_agent(self) -> str:
        """An agent with a tokens budget, set on the server's database directly (no API sets caps)."""
        from guardian.core.clock import SYSTEM_CLOCK
        from guardian.core.principal import Principal
        from guardian.governance.budget import Budgets
        from guardian.governance.pause import PauseBoard
        from guardian.ledger.memory import MemoryLedger
        from guardian.storage.engine import open_engine

        name = f"matrix-spender-{next(_counter)}"
        engine, scratch = (
            open_engine(self.env.url),
            MemoryLedger(),
        )  # the cap row only; no ledger writer
        budgets = Budgets(engine, scratch, SYSTEM_CLOCK, PauseBoard(engine, scratch, SYSTEM_CLOCK))
        budgets.set_cap("agent", name, "tokens", 1000, Principal("root", "admin", 5))
        engine.dispose()
        return name

    def grant(self) -> str:
        body = {"reason": "ok", "grant": {"hours": 1, "target": f"y{next(_counter)}@*"}}
        response = self.call("alice", "POST", f"/v1/proposals/{self.proposal()}/approve", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["grant"]["id"])


def _session(world: World, caller: str) -> tuple[dict[str, str], str]:
    """Cookies and CSRF token of a dashboard sign-in with this caller's token (empty if refused)."""
    http = httpx.Client(base_url=world.http.base_url, timeout=30)
    form = http.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    token = world.env.tokens.get(caller, "")
    signed = http.post("/login", data={"token": token, "csrf": csrf.group(1)})
    if signed.status_code != 303:
        return {}, ""
    page = http.get("/")
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert csrf is not None
    return dict(http.cookies), csrf.group(1)


def _request(world: World, key: tuple[str, str], caller: str) -> Callable[[], httpx.Response]:
    method, path = key
    headers = world.env.auth(caller) if caller in world.env.tokens else {}
    kwargs: dict[str, Any] = {}
    rule = ACCESS[key]
    if path == "/login" and method == "POST":
        http = httpx.Client(base_url=world.http.base_url, timeout=30)
        csrf = re.search(r'name="csrf" value="([^"]+)"', http.get("/login").text)
        assert csrf is not None
        token = world.env.tokens.get(caller, "")
        return lambda: http.post("/login", data={"token": token, "csrf": csrf.group(1)})
    if rule.session:
        cookies, csrf = _session(world, caller)
        headers = {"X-CSRF-Token": csrf, "Accept": "application/json"} if csrf else {}
        http = httpx.Client(base_url=world.http.base_url, timeout=30, cookies=cookies)
        kwargs["data"] = {"csrf": csrf, "reason": "fine"} if method == "POST" else None
    else:
        http = world.http
    fill = {
        "{decision_id}": lambda: world.decision(),
        "{proposal_id}": lambda: world.proposal(),
        "{grant_id}": lambda: world.grant(),
        "{session_id}": lambda: (world.decision(session="matrix-session"), "matrix-session")[1],
        "{agent_id}": lambda: world.agent(),
        "{task_id}": lambda: world.task(),
        "{action_id}": lambda: world.action(),
    }
    for marker, make in fill.items():
        if marker in path:
            path = path.replace(marker, make())
    if path == "/static":
        path = "/static/dashboard.css"
    if key == ("POST", "/v1/decide"):
        kwargs["json"] = {"action": "read_file", "target": "docs/a.md"}
    elif key == ("POST", "/v1/receipts"):
        owner = caller if ROLE_OF.get(caller) in ("agent", "guardian", "admin") else "bot"
        kwargs["json"] = {"decision_id": world.decision(as_=owner), "status": "success"}
    elif method == "POST" and path.startswith("/v1/proposals"):
        kwargs["json"] = {"reason": "matrix"}
    elif key == ("GET", "/v1/proposals/{proposal_id}/wait"):
        kwargs["params"] = {"timeout": 0}
    elif key == ("POST", "/v1/charges"):
        kwargs["json"] = {"agent_id": world.budgeted_agent(), "unit": "tokens", "amount": "5"}
    elif method == "POST" and (path.endswith("/pause") or path.endswith("/resume")):
        kwargs["json"] = {"reason": "matrix"}
    elif path.startswith("/api/v1/guardian/"):
        kwargs["json"] = _guardian_body(world, key, caller)
    stream = path.endswith("/events")
    return lambda: _send(http, method, path, headers, kwargs, stream)


def _guardian_body(world: World, key: tuple[str, str], caller: str) -> dict[str, Any] | None:
    """A valid body for each intervention and registry route, on fresh resources."""
    method, path = key
    if method == "GET":
        return None
    if path.endswith("/cancel-task"):
        return {"task_id": world.task(), "reason": "matrix"}
    if path.endswith("/reallocate"):
        return {
            "from_agent_id": world.agent(),
            "to_agent_id": world.agent(),
            "capacity": 1,
            "reason": "matrix",
        }
    if path.endswith("/override-priority"):
        return {"task_id": world.task(), "new_priority": "CRITICAL", "reason": "matrix"}
    if path.endswith("/revert"):
        return {"reason": "matrix"}
    if key == ("POST", "/api/v1/guardian/agents"):
        return {"id": f"matrix-agent-{next(_counter)}", "capacity": 1}
    if key == ("POST", "/api/v1/guardian/tasks"):
        return {"id": f"matrix-task-{next(_counter)}", "priority": "LOW"}
    if method == "PATCH":
        return {"capacity": 3} if "/agents/" in path else {"priority": "HIGH"}
    # claim: an agent claims as itself (registered here), a guardian or admin names the agent
    if ROLE_OF.get(caller) == "agent":
        world.call("root", "POST", "/api/v1/guardian/agents", json={"id": "bot", "capacity": 10})
        return {}
    return {"agent_id": world.agent()}


def _send(http: httpx.Client, method: str, path: str, headers: dict[str, str],
          kwargs: dict[str, Any], stream: bool) -> httpx.Response:  # fmt: skip
    kwargs = {k: v for k, v in kwargs.items() if v is not None}
    if stream:
        with http.stream(method, path, headers=headers, **kwargs) as response:
            if response.status_code >= 400:
                response.read()
            return response  # a live stream never ends: only its status and headers
    return http.request(method, path, headers=headers, **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    env = make_env(tmp_path_factory.mktemp("matrix"))
    with LiveServer(env.url, policy=env.policy, log=env.dir / "server.log") as server:
        yield World(server, env)


@pytest.mark.parametrize("key", list(MATRIX), ids=[f"{m} {p}" for m, p in MATRIX])
def test_matrix(world: World, key: tuple[str, str]) -> None:
    wrong = []
    for caller, expected in zip(CALLERS, MATRIX[key], strict=True):
        response = _request(world, key, caller)()
        if response.status_code != expected:
            wrong.append(f"{caller}: expected {expected}, got {response.status_code}")
        elif response.status_code >= 400 and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            assert set(response.json()) == {"error"}
    assert not wrong, "; ".join(wrong)
