"""GuardianClient against a real `guardian serve`: one call per endpoint, errors as ApiError."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from guardian.client import ApiError, GuardianClient
from guardian.server.testing import LiveServer, free_port, mint_tokens

POLICY = """
rules:
  - {id: reads, action: read_file, effect: ALLOW}
  - {id: mail, action: send_email, effect: ASK}
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    root = tmp_path_factory.mktemp("client")
    (root / "policy.yaml").write_text(POLICY)
    url = f"sqlite:///{root / 'guardian.db'}"
    tokens = mint_tokens(url, {"bot": ("agent", None), "alice": ("approver", None),
                               "root": ("admin", None)})  # fmt: skip
    with LiveServer(url, policy=root / "policy.yaml") as server:
        yield server.url, tokens


def test_the_agent_loop(served: tuple[str, dict[str, str]]) -> None:
    url, tokens = served
    with GuardianClient(url, tokens["bot"]) as bot, GuardianClient(url, tokens["alice"]) as alice:
        assert bot.healthz()["status"] == "ok"
        allowed = bot.decide("read_file", "docs/a.md", session_id="sess-1")
        assert allowed["decision"] == "ALLOW"
        receipt = bot.record_receipt(allowed["decision_id"], "success", {"bytes": 10})
        assert bot.decision(allowed["decision_id"])["receipt"]["seq"] == receipt["seq"]
        asked = bot.decide("send_email", "x@example.org", {"subject": "hi"})
        pid = asked["proposal_id"]
        assert [p["id"] for p in alice.proposals("pending")] == [pid]
        assert bot.wait_for_approval(pid, timeout=0.2)["status"] == "pending"
        answer: dict[str, object] = {}
        waiter = threading.Thread(target=lambda: answer.update(bot.wait_for_approval(pid, 30)))
        waiter.start()
        decided = alice.approve(pid, "fine", grant_hours=1, grant_target="*@example.org")
        waiter.join(30)
        assert answer["status"] == "approved" and decided["grant"]["actor"] == "bot"
        assert bot.decide("send_email", "x@example.org", {"subject": "hi"})["approval_id"] == pid
        assert bot.decide("send_email", "y@example.org")["grant_id"] == decided["grant"]["id"]
        assert alice.revoke_grant(decided["grant"]["id"])["status"] == "revoked"
        assert alice.grants() == [] and len(alice.grants(include_inactive=True)) == 1
        bundle = bot.session_bundle("sess-1")
        assert bundle["session_id"] == "sess-1" and len(bundle["outcomes"]) == 1
        assert alice.verify_ledger()["ok"]
        page = alice.ledger_entries(after=0, limit=2)
        assert [e["seq"] for e in page["entries"]] == [1, 2]


def test_errors_are_api_errors(served: tuple[str, dict[str, str]]) -> None:
    url, tokens = served
    with GuardianClient(url, tokens["bot"]) as bot:
        pid = bot.decide("send_email", "z@example.org")["proposal_id"]
        with pytest.raises(ApiError) as info:
            bot.approve(pid)
        assert info.value.status == 403 and info.value.flag == "self_approval_attempt"
        with pytest.raises(ApiError) as info:
            bot.proposal("nope")
        assert info.value.status == 404 and info.value.code == "not_found"
    with GuardianClient(url, tokens["alice"]) as alice:
        alice.reject(pid, "no")
        with pytest.raises(ApiError) as info:
            alice.reject(pid, "again")
        assert info.value.status == 409
    with GuardianClient(url, "gdn_wrong") as nobody, pytest.raises(ApiError) as info:
        nobody.proposals()
    assert info.value.status == 401 and info.value.details == {"reason": "unknown"}
    with GuardianClient(f"http://127.0.0.1:{free_port()}", "gdn_x") as gone:
        with pytest.raises(ApiError) as info:
            gone.healthz()
        assert info.value.status == 0 and info.value.code == "unreachable"


def test_events_stream(served: tuple[str, dict[str, str]]) -> None:
    url, tokens = served
    with GuardianClient(url, tokens["root"]) as admin, GuardianClient(url, tokens["bot"]) as bot:
        head = admin.ledger_entries(after=0, limit=1)["head_seq"]
        record = bot.decide("read_file", "docs/events.md")
        first = next(admin.events(after=head, kinds=["decision"]))
        assert first["kind"] == "decision"
        assert first["payload"]["decision_id"] == record["decision_id"]


def test_client_module_needs_no_server_imports() -> None:
    source = Path(__file__).parents[1] / "src" / "guardian" / "client.py"
    assert "guardian.server" not in source.read_text()
