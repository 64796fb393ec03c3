"""Seed 003's endpoints through the real app (`create_app`), with the routers mounted as the lead
will mount them: every authority 1..5 against every intervention, claims in bodies, validation,
404s and 409s in the server's one error shape, and the registry routes."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from guardian.core.clock import SYSTEM_CLOCK
from guardian.governance.tokens import TokenStore
from guardian.server import access
from guardian.server.app import check_access, create_app
from guardian.server.dashboard import interventions as page
from guardian.server.routes import interventions, registry
from guardian.server.settings import ServerSettings
from guardian.server.testing import prepare_database
from guardian.storage.engine import open_engine

API = "/api/v1/guardian"
#: name -> (role, authority): one token per authority level 1..5.
TOKENS = {"worker": ("agent", 1), "watch": ("approver", 2), "monitor": ("approver", 3),
          "guard": ("guardian", 4), "root": ("admin", 5)}  # fmt: skip


@pytest.fixture
def api(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[TestClient, dict[str, str], str]]:
    url = f"sqlite:///{tmp_path / 'guardian.db'}"
    prepare_database(url)
    engine = open_engine(url)
    store = TokenStore(engine, SYSTEM_CLOCK)
    secrets = {
        name: store.create(name, role, authority=level)[0] for name, (role, level) in TOKENS.items()
    }
    engine.dispose()
    (tmp_path / "policy.yaml").write_text("version: 1\nrules:\n  - {id: all, effect: ALLOW}\n")
    settings = ServerSettings(database_url=url, policy=str(tmp_path / "policy.yaml"),
                              signing_key=str(tmp_path / "k.key"), poll_interval=0.02)  # fmt: skip
    app = create_app(settings)
    # What the lead adds to the app and to the access table:
    for module in (interventions, registry, page):
        app.include_router(module.router)
        for key, rule in module.ACCESS_RULES.items():
            monkeypatch.setitem(access.ACCESS, key, rule)
    check_access(app)  # what create_app checks: every route has a rule, no rule lacks a route
    with TestClient(app) as client:
        yield client, secrets, str(tmp_path / "guardian.db")


def auth(secrets: dict[str, str], name: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secrets[name]}"}


def ledger(path: str, kind: str) -> list[dict]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT payload FROM ledger_entries WHERE kind = ? ORDER BY seq", (kind,)
        )
        return [json.loads(r[0]) for r in rows]


def seed_registry(client: TestClient, secrets: dict[str, str]) -> None:
    root = auth(secrets, "root")
    for agent in ({"id": "low", "capacity": 4}, {"id": "crit", "capacity": 1}):
        assert client.post(f"{API}/agents", json=agent, headers=root).status_code == 201
    for n in range(6):
        task = {"id": f"t{n}", "priority": "LOW", "agent_id": "low", "timeout_seconds": 30}
        assert client.post(f"{API}/tasks", json=task, headers=root).status_code == 201


def bodies(n: int) -> dict[str, dict]:
    return {
        "cancel-task": {"task_id": f"t{n}", "reason": "agent failure"},
        "reallocate": {
            "from_agent_id": "low",
            "to_agent_id": "crit",
            "capacity": 1,
            "reason": "critical",
        },
        "override-priority": {
            "task_id": f"t{n + 3}",
            "new_priority": "CRITICAL",
            "reason": "incident",
        },
    }


def test_authority_1_to_3_is_refused_and_recorded_4_and_5_succeed(api) -> None:
    client, secrets, db = api
    seed_registry(client, secrets)
    for name in ("worker", "watch", "monitor"):
        for path, body in bodies(0).items():
            response = client.post(
                f"{API}/intervention/{path}", json=body, headers=auth(secrets, name)
            )
            assert response.status_code == 403, response.text
            error = response.json()["error"]
            assert (
                error["code"] == "forbidden"
                and error["details"]["flag"] == "insufficient_authority"
            )
            assert "requires GUARDIAN authority (level 4)" in error["message"]
    refused = [e for e in ledger(db, "intervention") if e["event"] == "refused"]
    assert len(refused) == 9 and {e["authority"] for e in refused} == {1, 2, 3}
    done = []
    for n, name in ((1, "guard"), (2, "root")):
        for path, body in bodies(n).items():
            response = client.post(
                f"{API}/intervention/{path}", json=body, headers=auth(secrets, name)
            )
            assert response.status_code == 200, response.text
            action = response.json()
            assert action["initiated_by"] == name and action["authority_level"] == TOKENS[name][1]
            assert action["audit_log"]["before"] and action["audit_log"]["after"]
            done.append(action)
    cancel = done[0]["audit_log"]
    assert (
        cancel["before"]["task"]["status"] == "queued"
        and cancel["after"]["task"]["status"] == "cancelled"
    )
    assert [e["action"]["id"] for e in ledger(db, "intervention") if e["event"] == "executed"] == [
        a["id"] for a in done
    ]
    listed = client.get(
        f"{API}/actions", params={"action_type": "cancel_task"}, headers=auth(secrets, "monitor")
    )
    assert [a["id"] for a in listed.json()] == [done[3]["id"], done[0]["id"]]
    by_target = client.get(
        f"{API}/actions", params={"target_entity": "t2", "limit": 1}, headers=auth(secrets, "guard")
    )
    assert [a["id"] for a in by_target.json()] == [done[3]["id"]]
    assert (
        client.get(f"{API}/actions/{done[1]['id']}", headers=auth(secrets, "root")).json()
        == done[1]
    )


def test_claims_beyond_the_token_are_refused_and_recorded(api) -> None:
    client, secrets, db = api
    seed_registry(client, secrets)
    body = {**bodies(0)["cancel-task"], "initiated_by": "guardian-agent-1", "authority": 4}
    response = client.post(
        f"{API}/intervention/cancel-task", json=body, headers=auth(secrets, "guard")
    )
    assert (
        response.status_code == 403
        and response.json()["error"]["details"]["flag"] == "impersonation_attempt"
    )
    body = {**bodies(0)["cancel-task"], "authority": 5}
    assert (
        client.post(
            f"{API}/intervention/cancel-task", json=body, headers=auth(secrets, "guard")
        ).status_code
        == 403
    )
    body = {
        **bodies(0)["cancel-task"],
        "authority": 4,
    }  # a monitor token claiming guardian authority
    assert (
        client.post(
            f"{API}/intervention/cancel-task", json=body, headers=auth(secrets, "monitor")
        ).status_code
        == 403
    )
    flagged = ledger(db, "security")
    assert [f["claimed"] for f in flagged] == [
        {"initiated_by": "guardian-agent-1"},
        {"authority": 5},
        {"authority": 4},
    ]
    body = {
        **bodies(0)["cancel-task"],
        "initiated_by": "guard",
        "authority": 4,
    }  # repeating itself is fine
    assert (
        client.post(
            f"{API}/intervention/cancel-task", json=body, headers=auth(secrets, "root")
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{API}/intervention/cancel-task", json=body, headers=auth(secrets, "guard")
        ).status_code
        == 200
    )


def test_validation_not_found_conflict_and_revert(api) -> None:
    client, secrets, _ = api
    seed_registry(client, secrets)
    guard = auth(secrets, "guard")

    def post(path: str, body: dict) -> tuple[int, dict]:
        response = client.post(f"{API}/{path}", json=body, headers=guard)
        return response.status_code, response.json()

    cases = [
        ("intervention/reallocate", {**bodies(0)["reallocate"], "capacity": 0}, 422, "positive integer"),
        ("intervention/reallocate", {**bodies(0)["reallocate"], "capacity": 5}, 422, "insufficient capacity"),
        ("intervention/reallocate", {**bodies(0)["reallocate"], "to_agent_id": "ghost"}, 404, "no agent 'ghost'"),
        ("intervention/override-priority", {**bodies(0)["override-priority"], "new_priority": "URGENT"}, 422, "Invalid priority"),
        ("intervention/cancel-task", {"task_id": "nope", "reason": "x"}, 404, "no task 'nope'"),
        ("intervention/cancel-task", {"task_id": "t0", "reason": "  "}, 422, "a reason is required"),
        ("intervention/cancel-task", {"task_id": "t0"}, 422, "reason"),
        ("intervention/cancel-task", {"task_id": "t0", "reason": "x", "extra": 1}, 422, "extra"),
        ("actions/nope/revert", {"reason": "x"}, 404, "no guardian action"),
    ]  # fmt: skip
    for path, body, status, text in cases:
        code, data = post(path, body)
        assert code == status and set(data) == {"error"} and text in data["error"]["message"], (
            path,
            data,
        )
    code, action = post("intervention/cancel-task", bodies(0)["cancel-task"])
    assert code == 200
    code, data = post("intervention/cancel-task", bodies(0)["cancel-task"])
    assert code == 409 and "cancelled" in data["error"]["message"]
    code, reverted = post(f"actions/{action['id']}/revert", {"reason": "crisis resolved"})
    assert (
        code == 200
        and reverted["reverted_at"]
        and reverted["revert_log"]["restored"]["task"]["status"] == "queued"
    )
    code, data = post(f"actions/{action['id']}/revert", {"reason": "again"})
    assert code == 409 and "already reverted" in data["error"]["message"]
    low = client.post(
        f"{API}/actions/{action['id']}/revert",
        json={"reason": "x"},
        headers=auth(secrets, "monitor"),
    )
    assert low.status_code == 403


def test_registry_routes_and_the_queue(api) -> None:
    client, secrets, _ = api
    seed_registry(client, secrets)
    root = auth(secrets, "root")
    assert client.post(f"{API}/agents", json={"id": "low"}, headers=root).status_code == 409
    assert (
        client.post(f"{API}/agents", json={"id": "x"}, headers=auth(secrets, "monitor")).status_code
        == 403
    )
    patched = client.patch(
        f"{API}/agents/crit", json={"health_status": "degraded", "capacity": 3}, headers=root
    )
    assert patched.json()["health_status"] == "degraded" and patched.json()["available"] == 3
    client.patch(f"{API}/tasks/t3", json={"priority": "HIGH"}, headers=root)
    client.post(f"{API}/tasks", json={"id": "urgent", "priority": "CRITICAL"}, headers=root)
    order = [
        t["id"]
        for t in client.get(f"{API}/tasks", params={"status": "queued"}, headers=root).json()
    ]
    assert order[:2] == ["urgent", "t3"]
    worker_token = TokenStore(open_engine(f"sqlite:///{api[2]}"), SYSTEM_CLOCK).create(
        "w", "agent", agent_id="low"
    )[0]
    claimed = client.post(
        f"{API}/tasks/claim", json={}, headers={"Authorization": f"Bearer {worker_token}"}
    )
    assert claimed.json()["id"] == "urgent" and claimed.json()["status"] == "running"
    other = client.post(
        f"{API}/tasks/claim",
        json={"agent_id": "crit"},
        headers={"Authorization": f"Bearer {worker_token}"},
    )
    assert other.status_code == 403
    assert client.get(f"{API}/tasks/ghost", headers=root).json()["error"]["code"] == "not_found"


def sign_in(client: TestClient, secret: str) -> str:
    """Sign in to the dashboard; return the session's CSRF token."""
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    response = client.post(
        "/login", data={"token": secret, "csrf": csrf.group(1)}, follow_redirects=False
    )
    assert response.status_code == 303, response.text
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/").text)
    assert token is not None
    return token.group(1)


def test_the_dashboard_page_shows_actions_and_reverts_for_guardian_level_users(api) -> None:
    client, secrets, _ = api
    assert client.get("/interventions", follow_redirects=False).headers["location"] == "/login"
    seed_registry(client, secrets)
    body = {"task_id": "t0", "reason": "<script>alert(1)</script>"}
    action = client.post(
        f"{API}/intervention/cancel-task", json=body, headers=auth(secrets, "root")
    ).json()

    csrf = sign_in(client, secrets["monitor"])  # an approver with authority 3: sees, cannot revert
    html = client.get("/interventions").text
    assert (
        action["id"] in html
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        and "<script>alert" not in html
    )
    assert "&#34;status&#34;: &#34;cancelled&#34;" in html and "revert-form" not in html
    refused = client.post(
        f"/interventions/{action['id']}/revert", data={"csrf": csrf, "reason": "try"}
    )
    assert refused.status_code == 403 and "requires GUARDIAN authority" in refused.text

    client.cookies.clear()
    csrf = sign_in(client, secrets["root"])
    assert "revert-form" in client.get("/interventions").text
    assert (
        client.post(f"/interventions/{action['id']}/revert", data={"reason": "no csrf"}).status_code
        == 403
    )
    done = client.post(f"/interventions/{action['id']}/revert", data={"csrf": csrf, "reason": "resolved"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == "/interventions"
    html = client.get("/interventions").text
    assert "reverted 20" in html and "revert-form" not in html
    again = client.post(
        f"/interventions/{action['id']}/revert", data={"csrf": csrf, "reason": "again"}
    )
    assert again.status_code == 409 and "already reverted" in again.text
