"""Every error has one shape, and no stack trace ever leaves the server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from .conftest import Env


def shape(response: object) -> dict[str, object]:
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert "Traceback" not in response.text and 'File "' not in response.text  # type: ignore[attr-defined]
    error: dict[str, object] = body["error"]
    return error


def test_unknown_path_and_wrong_method(client: TestClient, env: Env) -> None:
    missing = client.get("/v1/nothing", headers=env.auth("root"))
    assert missing.status_code == 404 and shape(missing)["code"] == "not_found"
    wrong = client.put("/v1/decide", headers=env.auth("root"))
    assert wrong.status_code == 405 and shape(wrong)["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["allow"]


def test_auth_errors(client: TestClient, env: Env) -> None:
    none = client.get("/v1/proposals")
    assert none.status_code == 401 and shape(none)["code"] == "unauthorized"
    assert none.headers["www-authenticate"].startswith("Bearer")
    basic = client.get("/v1/proposals", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401
    for name, reason in (("expired", "expired"), ("revoked", "revoked")):
        refused = client.get("/v1/proposals", headers=env.auth(name))
        assert refused.status_code == 401 and shape(refused)["details"] == {"reason": reason}
    forged = client.get("/v1/proposals", headers={"Authorization": "Bearer gdn_forged"})
    assert shape(forged)["details"] == {"reason": "unknown"}
    role = client.get("/v1/ledger/verify", headers=env.auth("bot"))
    assert role.status_code == 403 and shape(role)["code"] == "forbidden"


def test_validation_errors_name_the_field(client: TestClient, env: Env) -> None:
    response = client.post("/v1/decide", json={"target": 3}, headers=env.auth("bot"))
    error = shape(response)
    assert response.status_code == 422 and error["code"] == "invalid_request"
    assert "body.action" in str(error["message"])
    extra = client.post("/v1/decide", json={"action": "x", "principal": {"role": "admin"}},
                        headers=env.auth("bot"))  # fmt: skip
    assert extra.status_code == 422 and "principal" in str(shape(extra)["message"])
    not_json = client.post("/v1/decide", content=b"{nope", headers={
        **env.auth("bot"), "content-type": "application/json"})  # fmt: skip
    assert not_json.status_code == 422
    shape(not_json)
    deep = client.post("/v1/decide", json={"action": "x", "params": {"n": 2**60}},
                       headers=env.auth("bot"))  # fmt: skip
    assert deep.status_code == 422 and shape(deep)["code"] == "invalid_intent"


def test_bodies_over_the_limit_get_413(client: TestClient, env: Env) -> None:
    big = b'{"action": "x", "target": "' + b"a" * (1024 * 1024) + b'"}'
    response = client.post("/v1/decide", content=big, headers={
        **env.auth("bot"), "content-type": "application/json"})  # fmt: skip
    assert response.status_code == 413 and shape(response)["code"] == "body_too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"action": "x", "target": "'
        for _ in range(20):
            yield b"a" * 65536
        yield b'"}'

    streamed = client.post("/v1/decide", content=chunks(), headers={
        **env.auth("bot"), "content-type": "application/json"})  # fmt: skip
    assert streamed.status_code == 413 and shape(streamed)["code"] == "body_too_large"


def test_a_bug_is_a_bare_500(app: FastAPI, env: Env, caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> int:
        raise RuntimeError("secret internals at /srv/guardian/x.py")

    app.state.guardian.reads.head_seq = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/ledger/entries", headers=env.auth("root"))
    assert response.status_code == 500
    error = shape(response)
    assert error["code"] == "internal_error" and "secret" not in response.text
    assert any("unhandled error" in r.message for r in caplog.records)


def test_security_headers(client: TestClient) -> None:
    response = client.get("/healthz")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
