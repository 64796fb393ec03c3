"""The dashboard without a browser: sign-in, cookie flags, CSRF, escaping, pages (browser: tests/e2e)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from guardian.core.clock import SYSTEM_CLOCK
from guardian.governance.tokens import TokenStore
from guardian.storage.engine import open_engine

from .conftest import Env

XSS_TARGET = '<script>alert("t")</script>'
XSS_PARAM = '" onclick="alert(1)" x="'


def sign_in(client: TestClient, env: Env, name: str = "alice") -> str:
    """Sign in; return the session's CSRF token."""
    form = client.get("/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    response = client.post("/login", data={"token": env.tokens[name], "csrf": csrf.group(1)},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303, response.text
    page = client.get("/")
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
    assert token is not None
    return token.group(1)


def ask(client: TestClient, env: Env, target: str = "x@example.org", **params: str) -> str:
    body = {"action": "send_email", "target": target, "params": params}
    return str(client.post("/v1/decide", json=body, headers=env.auth("bot")).json()["proposal_id"])


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/", "/decisions", "/agents", "/ledger"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/login"
    assert client.get("/events").status_code == 401


def test_sign_in_sets_a_strict_httponly_cookie(client: TestClient, env: Env) -> None:
    form = client.get("/login")
    login_cookie = form.headers["set-cookie"].lower()
    assert "httponly" in login_cookie and "samesite=strict" in login_cookie
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    agent = client.post("/login", data={"token": env.tokens["bot"], "csrf": csrf.group(1)})
    assert agent.status_code == 403 and "cannot sign in" in agent.text
    forged = client.post("/login", data={"token": env.tokens["alice"], "csrf": "guess"})
    assert forged.status_code == 403  # (and a fresh form, with a fresh CSRF cookie)
    csrf = re.search(r'name="csrf" value="([^"]+)"', forged.text)
    assert csrf is not None
    ok = client.post("/login", data={"token": env.tokens["alice"], "csrf": csrf.group(1)},
                     follow_redirects=False)  # fmt: skip
    cookie = ok.headers["set-cookie"]
    assert ok.status_code == 303 and cookie.startswith("guardian_session=")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert env.tokens["alice"] not in cookie


def test_pending_page_shows_the_intent_as_text(client: TestClient, env: Env) -> None:
    sign_in(client, env)
    ask(client, env, XSS_TARGET, note=XSS_PARAM, link="javascript:alert(2)")
    page = client.get("/")
    assert page.status_code == 200
    assert "&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;" in page.text
    assert XSS_TARGET not in page.text and 'onclick="alert' not in page.text
    assert 'href="javascript' not in page.text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, re.S)
    assert scripts == [(' src="/static/dashboard.js" defer', "")]  # no inline script at all
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "rule_ask" in page.text  # the reasons are shown


def test_decide_needs_the_csrf_token(client: TestClient, env: Env) -> None:
    csrf = sign_in(client, env)
    pid = ask(client, env)
    missing = client.post(f"/proposals/{pid}/approve", data={"reason": "x"})
    assert missing.status_code == 403 and missing.json()["error"]["code"] == "csrf_failed"
    wrong = client.post(f"/proposals/{pid}/approve", data={"csrf": "nope", "reason": "x"})
    assert wrong.status_code == 403
    ok = client.post(f"/proposals/{pid}/approve", data={"reason": "ok"},
                     headers={"X-CSRF-Token": csrf, "Accept": "application/json"})  # fmt: skip
    assert ok.status_code == 200 and ok.json()["proposal"]["status"] == "approved"
    again = client.post(f"/proposals/{pid}/reject", data={"csrf": csrf, "reason": "late"},
                        headers={"Accept": "application/json"})  # fmt: skip
    assert again.status_code == 409


def test_form_post_without_javascript_redirects_back(client: TestClient, env: Env) -> None:
    csrf = sign_in(client, env)
    pid = ask(client, env)
    response = client.post(f"/proposals/{pid}/reject", data={"csrf": csrf, "reason": "no"},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303 and response.headers["location"] == "/"
    grant = ask(client, env, "y@partner.org")
    granted = client.post(f"/proposals/{grant}/approve", headers={"Accept": "application/json"},
                          data={"csrf": csrf, "grant_hours": "1", "grant_target": "*@partner.org"})  # fmt: skip
    assert granted.json()["grant"]["target"] == "*@partner.org"


def test_revoking_the_token_ends_its_sessions(client: TestClient, env: Env) -> None:
    sign_in(client, env)
    assert client.get("/", follow_redirects=False).status_code == 200
    engine = open_engine(env.url)
    TokenStore(engine, SYSTEM_CLOCK).revoke("alice")
    engine.dispose()
    assert client.get("/", follow_redirects=False).status_code == 303


def test_sign_out(client: TestClient, env: Env) -> None:
    csrf = sign_in(client, env)
    out = client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_other_pages_and_verify(client: TestClient, env: Env) -> None:
    csrf = sign_in(client, env, "root")
    ask(client, env)
    client.post("/v1/decide", json={"action": "read_file", "target": "docs/a"},
                headers=env.auth("other-bot"))  # fmt: skip
    decisions = client.get("/decisions", params={"actor": "other-bot"})
    assert "docs/a" in decisions.text and "x@example.org" not in decisions.text
    asks = client.get("/decisions", params={"decision": "ASK"})
    assert "x@example.org" in asks.text and "docs/a" not in asks.text
    agents = client.get("/agents").text
    assert re.search(r'data-actor="bot".*?data-verdict="ASK">1<', agents, re.S)
    ledger = client.get("/ledger")
    assert "Verify the whole chain" in ledger.text
    report = client.post("/ledger/verify", data={"csrf": csrf},
                         headers={"Accept": "application/json"}).json()  # fmt: skip
    assert report["ok"] is True
    page = client.post("/ledger/verify", data={"csrf": csrf})
    assert 'data-role="verdict">OK<' in page.text


def test_api_docs_open_with_a_session_or_a_token(client: TestClient, env: Env) -> None:
    assert client.get("/docs").status_code == 401
    assert client.get("/openapi.json", headers=env.auth("bot")).status_code == 200
    sign_in(client, env)
    docs = client.get("/docs")
    assert docs.status_code == 200 and "/static/docs.js" in docs.text
    assert "https://cdn.jsdelivr.net" in docs.headers["content-security-policy"]
    spec = client.get("/openapi.json").json()
    assert "/v1/decide" in spec["paths"] and "/" not in spec["paths"]


def test_admin_pauses_and_resumes_an_agent_from_the_agents_page(
    client: TestClient, env: Env
) -> None:
    client.post(
        "/v1/decide", json={"action": "read_file", "target": "docs/a.md"}, headers=env.auth("bot")
    )
    csrf = sign_in(client, env, "root")
    page = client.get("/agents")
    assert 'action="/agents/bot/pause"' in page.text and "running" in page.text
    paused = client.post(
        "/agents/bot/pause", data={"csrf": csrf, "reason": "runaway"}, follow_redirects=False
    )
    assert paused.status_code == 303
    record = client.post(
        "/v1/decide", json={"action": "read_file", "target": "docs/a.md"}, headers=env.auth("bot")
    )
    assert record.json()["decision"] == "DENY" and record.json()["reasons"][0]["code"] == "paused"
    page = client.get("/agents")
    assert "runaway" in page.text and 'action="/agents/bot/resume"' in page.text
    assert client.post("/agents/bot/resume", data={"csrf": "forged"}).status_code == 403
    assert (
        client.post("/agents/bot/resume", data={"csrf": csrf}, follow_redirects=False).status_code
        == 303
    )
    record = client.post(
        "/v1/decide", json={"action": "read_file", "target": "docs/a.md"}, headers=env.auth("bot")
    )
    assert record.json()["decision"] == "ALLOW"


def test_an_approver_sees_no_pause_buttons_and_is_refused(client: TestClient, env: Env) -> None:
    csrf = sign_in(client, env, "alice")
    assert "/pause" not in client.get("/agents").text
    assert client.post("/agents/bot/pause", data={"csrf": csrf}).status_code == 403
