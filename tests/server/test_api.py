"""The /v1 API in process (TestClient runs the real app and its lifespan on a SQLite file)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient

from guardian import hooks
from guardian.server.app import create_app

from .conftest import Env


def decide(client: TestClient, env: Env, who: str = "bot", **body: Any) -> dict[str, Any]:
    response = client.post("/v1/decide", json=body, headers=env.auth(who))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def entries(client: TestClient, env: Env, kind: str) -> list[dict[str, Any]]:
    page = client.get("/v1/ledger/entries", params={"kind": kind, "limit": 1000},
                      headers=env.auth("root"))  # fmt: skip
    return [e["payload"] for e in page.json()["entries"]]


def test_decide_takes_the_actor_from_the_token(client: TestClient, env: Env) -> None:
    allowed = decide(client, env, action="read_file", target="docs/a.md")
    assert allowed["decision"] == "ALLOW" and allowed["intent"]["actor"] == "bot"
    assert allowed["principal"] == {"id": "bot", "role": "agent", "authority": 1}
    denied = decide(client, env, action="delete_db", target="prod")
    assert denied["decision"] == "DENY" and denied["rule_id"] == "no-deletes"
    same = decide(client, env, action="read_file", target="docs/a.md", actor="bot")
    assert same["decision"] == "ALLOW"


@pytest.mark.parametrize(("who", "claim"), [("bot", {"actor": "alice"}),
                                            ("bot", {"authority": 5}),
                                            ("watch", {"authority": 5, "actor": "root"})])  # fmt: skip
def test_claiming_another_actor_or_more_authority_is_refused_and_recorded(
    client: TestClient, env: Env, who: str, claim: dict[str, Any]
) -> None:
    response = client.post("/v1/decide", json={"action": "read_file", **claim},
                           headers=env.auth(who))  # fmt: skip
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "impersonation_attempt" and error["details"]["claimed"] == claim
    [entry] = entries(client, env, "security")
    assert entry["flag"] == "impersonation_attempt" and entry["claimed"] == claim
    assert entry["principal"]["id"] == ("bot" if who == "bot" else "watch")
    assert not entries(client, env, "decision")


def test_a_lower_authority_may_be_claimed(client: TestClient, env: Env) -> None:
    assert decide(client, env, "watch", action="restart_service")["decision"] == "ALLOW"
    lowered = decide(client, env, "watch", action="restart_service", authority=2)
    assert lowered["decision"] == "DENY" and lowered["principal"]["authority"] == 2


def test_ask_approve_decide_again_receipt(client: TestClient, env: Env) -> None:
    asked = decide(client, env, action="send_email", target="x@example.org", params={"n": 1})
    assert asked["decision"] == "ASK" and asked["proposal_id"]
    pid = asked["proposal_id"]
    shown = client.get(f"/v1/proposals/{pid}", headers=env.auth("alice")).json()
    assert shown["status"] == "pending" and shown["intent"]["params"] == {"n": 1}
    assert shown["reasons"][0]["code"] == "rule_ask"
    approved = client.post(f"/v1/proposals/{pid}/approve", json={"reason": "fine"},
                           headers=env.auth("alice"))  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["proposal"]["status"] == "approved"
    assert approved.json()["proposal"]["decided_by"] == "alice"
    allowed = decide(client, env, action="send_email", target="x@example.org", params={"n": 1})
    assert allowed["decision"] == "ALLOW" and allowed["approval_id"] == pid
    receipt = client.post("/v1/receipts", headers=env.auth("bot"), json={
        "decision_id": allowed["decision_id"], "status": "success", "output": {"sent": True}})  # fmt: skip
    assert receipt.status_code == 201, receipt.text
    assert receipt.json()["output_digest"].startswith("sha256:")
    again = client.post("/v1/receipts", headers=env.auth("bot"),
                        json={"decision_id": allowed["decision_id"]})  # fmt: skip
    assert again.status_code == 409 and again.json()["error"]["code"] == "receipt_refused"
    detail = client.get(f"/v1/decisions/{allowed['decision_id']}", headers=env.auth("bot")).json()
    assert detail["receipt"]["status"] == "success" and detail["approval_id"] == pid
    assert decide(client, env, action="send_email", target="x@example.org",
                  params={"n": 1})["decision"] == "ASK"  # fmt: skip


def test_receipt_for_a_denied_decision_is_refused(client: TestClient, env: Env) -> None:
    denied = decide(client, env, action="delete_db")
    response = client.post("/v1/receipts", json={"decision_id": denied["decision_id"]},
                           headers=env.auth("bot"))  # fmt: skip
    assert response.status_code == 409 and "DENY" in response.json()["error"]["message"]


@pytest.mark.parametrize(("who", "flag"), [("bot", "self_approval_attempt"),
                                           ("other-bot", "approval_forbidden"),
                                           ("watch", "approval_forbidden")])  # fmt: skip
def test_forbidden_approvals_are_403_with_a_ledger_flag(
    client: TestClient, env: Env, who: str, flag: str
) -> None:
    pid = decide(client, env, action="send_email", target="x@example.org")["proposal_id"]
    response = client.post(f"/v1/proposals/{pid}/approve", json={}, headers=env.auth(who))
    assert response.status_code == 403
    assert response.json()["error"]["details"]["flag"] == flag
    [entry] = entries(client, env, "approval")
    assert entry["outcome"] == "refused" and entry["flag"] == flag
    assert (
        client.get(f"/v1/proposals/{pid}", headers=env.auth("root")).json()["status"] == "pending"
    )


def test_never_auto_approve_needs_the_approver_role(client: TestClient, env: Env) -> None:
    pid = decide(client, env, action="wire", target="acme")["proposal_id"]
    by_admin = client.post(f"/v1/proposals/{pid}/approve", json={}, headers=env.auth("root"))
    assert by_admin.status_code == 403
    grant = client.post(f"/v1/proposals/{pid}/approve", headers=env.auth("alice"),
                        json={"grant": {"hours": 1}})  # fmt: skip
    assert grant.status_code == 422 and grant.json()["error"]["code"] == "grant_refused"
    ok = client.post(f"/v1/proposals/{pid}/approve", json={}, headers=env.auth("alice"))
    assert ok.status_code == 200


def test_reject_needs_a_reason_and_then_approve_conflicts(client: TestClient, env: Env) -> None:
    pid = decide(client, env, action="send_email", target="x@example.org")["proposal_id"]
    missing = client.post(f"/v1/proposals/{pid}/reject", json={}, headers=env.auth("alice"))
    assert missing.status_code == 422 and missing.json()["error"]["code"] == "invalid_request"
    rejected = client.post(f"/v1/proposals/{pid}/reject", json={"reason": "no"},
                           headers=env.auth("alice"))  # fmt: skip
    assert rejected.json()["proposal"]["status"] == "rejected"
    late = client.post(f"/v1/proposals/{pid}/approve", json={}, headers=env.auth("root"))
    assert late.status_code == 409 and late.json()["error"]["code"] == "approval_conflict"


def test_grant_allows_repeats_until_revoked(client: TestClient, env: Env) -> None:
    pid = decide(client, env, action="send_email", target="a@partner.org")["proposal_id"]
    approved = client.post(f"/v1/proposals/{pid}/approve", headers=env.auth("alice"),
                           json={"reason": "partner", "grant": {"hours": 2, "target": "*@partner.org"}})  # fmt: skip
    grant = approved.json()["grant"]
    assert grant["actor"] == "bot" and grant["target"] == "*@partner.org"
    assert grant["status"] == "active"
    granted = decide(client, env, action="send_email", target="b@partner.org")
    assert granted["decision"] == "ALLOW" and granted["grant_id"] == grant["id"]
    assert granted["reasons"][-1]["code"] == "granted"
    assert decide(client, env, "other-bot", action="send_email",
                  target="b@partner.org")["decision"] == "ASK"  # fmt: skip
    assert decide(client, env, action="send_email", target="b@other.org")["decision"] == "ASK"
    listed = client.get("/v1/grants", headers=env.auth("watch")).json()["grants"]
    assert [(g["id"], g["uses"]) for g in listed] == [(grant["id"], 1)]
    revoked = client.delete(f"/v1/grants/{grant['id']}", headers=env.auth("alice")).json()
    assert revoked["status"] == "revoked" and revoked["revoked_by"] == "alice"
    assert decide(client, env, action="send_email", target="c@partner.org")["decision"] == "ASK"
    events = [e["event"] for e in entries(client, env, "grant")]
    assert events == ["created", "revoked"]
    assert client.get("/v1/grants", headers=env.auth("root")).json()["grants"] == []


def test_wait_returns_when_decided(client: TestClient, env: Env) -> None:
    pid = decide(client, env, action="send_email", target="x@example.org")["proposal_id"]
    started = time.monotonic()
    still = client.get(
        f"/v1/proposals/{pid}/wait", params={"timeout": 0.3}, headers=env.auth("bot")
    )
    assert still.json()["status"] == "pending" and time.monotonic() - started >= 0.3
    timer = threading.Timer(0.3, lambda: client.post(
        f"/v1/proposals/{pid}/approve", json={}, headers=env.auth("alice")))  # fmt: skip
    timer.start()
    started = time.monotonic()
    done = client.get(f"/v1/proposals/{pid}/wait", params={"timeout": 20}, headers=env.auth("bot"))
    assert done.json()["status"] == "approved" and time.monotonic() - started < 5
    too_long = client.get(
        f"/v1/proposals/{pid}/wait", params={"timeout": 61}, headers=env.auth("bot")
    )
    assert too_long.status_code == 422


def test_overdue_proposals_expire_on_read(env: Env) -> None:
    env.policy.write_text(
        env.policy.read_text().replace("approval_timeout: 10m", "approval_timeout: 1s")
    )
    with TestClient(create_app(env.settings())) as client:
        pid = decide(client, env, action="send_email", target="x@example.org")["proposal_id"]
        time.sleep(1.1)
        listed = client.get(
            "/v1/proposals", params={"status": "pending"}, headers=env.auth("alice")
        )
        assert listed.json()["proposals"] == []
        assert (
            client.get(f"/v1/proposals/{pid}", headers=env.auth("alice")).json()["status"]
            == "expired"
        )
        late = client.post(f"/v1/proposals/{pid}/approve", json={}, headers=env.auth("alice"))
        assert late.status_code == 409
        [entry] = entries(client, env, "approval")
        assert entry["outcome"] == "expired" and entry["decision"] == "DENY"


def test_agents_see_only_their_own(client: TestClient, env: Env) -> None:
    mine = decide(client, env, action="send_email", target="x@example.org", session_id="s1")
    other = client.get(f"/v1/decisions/{mine['decision_id']}", headers=env.auth("other-bot"))
    assert other.status_code == 404
    assert (
        client.get(
            f"/v1/proposals/{mine['proposal_id']}", headers=env.auth("other-bot")
        ).status_code
        == 404
    )
    assert client.get("/v1/proposals", headers=env.auth("other-bot")).json()["proposals"] == []
    assert len(client.get("/v1/proposals", headers=env.auth("bot")).json()["proposals"]) == 1
    assert client.get("/v1/sessions/s1/bundle", headers=env.auth("other-bot")).status_code == 404
    bundle = client.get("/v1/sessions/s1/bundle", headers=env.auth("bot")).json()
    assert bundle["agent_id"] == "bot" and bundle["signature"]
    receipt = client.post("/v1/receipts", json={"decision_id": mine["decision_id"]},
                          headers=env.auth("other-bot"))  # fmt: skip
    assert receipt.status_code == 404


class Published(Exception):
    pass


def test_a_hook_runs_on_approval_and_its_result_is_the_receipt(
    client: TestClient, env: Env
) -> None:
    calls: list[str] = []

    def publish(call: hooks.HookCall) -> dict[str, str]:
        calls.append(call.intent.target)
        if call.intent.target == "broken":
            raise Published("boom")
        return {"url": f"https://example.org/{call.intent.target}"}

    hooks.register("publish", publish)
    try:
        for target, status in (("post-1", "success"), ("broken", "error")):
            pid = decide(client, env, action="publish", target=target)["proposal_id"]
            approved = client.post(f"/v1/proposals/{pid}/approve", json={"reason": "go"},
                                   headers=env.auth("alice")).json()  # fmt: skip
            run = approved["execution"]
            assert run["decision"] == "ALLOW" and run["status"] == status
            assert approved["proposal"]["status"] == "used"
            detail = client.get(
                f"/v1/decisions/{run['decision_id']}", headers=env.auth("bot")
            ).json()
            assert detail["approval_id"] == pid and detail["receipt"]["status"] == status
        assert calls == ["post-1", "broken"]
        assert entries(client, env, "receipt")[-1]["error_type"] == "Published"
    finally:
        hooks.unregister("publish")


def test_ledger_pages_verify_and_metrics(client: TestClient, env: Env) -> None:
    for n in range(5):
        decide(client, env, action="read_file", target=f"docs/{n}.md")
    decide(client, env, action="send_email", target="x@example.org")
    page = client.get(
        "/v1/ledger/entries", params={"after": 0, "limit": 3}, headers=env.auth("alice")
    ).json()
    assert [e["seq"] for e in page["entries"]] == [1, 2, 3] and page["next_after"] == 3
    rest = client.get("/v1/ledger/entries", params={"after": 3}, headers=env.auth("alice")).json()
    assert rest["entries"][-1]["seq"] == rest["head_seq"]
    report = client.get("/v1/ledger/verify", headers=env.auth("watch")).json()
    assert report["ok"] and report["entries"] == rest["head_seq"]
    metrics = client.get("/metrics", headers=env.auth("watch"))
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'guardian_decisions_total{decision="ALLOW"} 5.0' in text
    assert "guardian_pending_proposals 1.0" in text and "guardian_decide_seconds_bucket" in text
