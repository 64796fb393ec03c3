"""`guardian serve` on PostgreSQL (GUARDIAN_DATABASE_URL), two instances sharing the database."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from guardian.client import GuardianClient
from guardian.server.testing import LiveServer, mint_tokens

from .conftest import POLICY

pytestmark = pytest.mark.postgres


def test_two_servers_on_one_postgres(postgres_db: str, tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    tokens = mint_tokens(postgres_db, {"bot": ("agent", None), "alice": ("approver", None)})
    env = {"GUARDIAN_SIGNING_KEY": str(tmp_path / "signing.key")}
    policy = tmp_path / "policy.yaml"
    with LiveServer(postgres_db, policy=policy, env=env, log=tmp_path / "a.log") as a, \
         LiveServer(postgres_db, policy=policy, env=env, log=tmp_path / "b.log") as b:  # fmt: skip
        bot = GuardianClient(a.url, tokens["bot"])
        alice = GuardianClient(b.url, tokens["alice"])
        assert bot.decide("read_file", "docs/a.md")["decision"] == "ALLOW"
        pid = bot.decide("send_email", "x@example.org")["proposal_id"]
        assert [p["id"] for p in alice.proposals("pending")] == [pid]
        alice.approve(pid, "ok")
        assert bot.wait_for_approval(pid, 10)["status"] == "approved"
        assert bot.decide("send_email", "x@example.org")["approval_id"] == pid
        assert alice.verify_ledger()["ok"]
        # The dashboard's ledger queries read JSON fields the PostgreSQL way.
        http = httpx.Client(base_url=b.url)
        form = http.get("/login").text
        csrf = re.search(r'name="csrf" value="([^"]+)"', form)
        assert csrf is not None
        http.post("/login", data={"token": tokens["alice"], "csrf": csrf.group(1)})
        assert "docs/a.md" in http.get("/decisions", params={"actor": "bot"}).text
        assert re.search(r'data-actor="bot".*?data-verdict="ALLOW">2<', http.get("/agents").text,
                         re.S)  # fmt: skip
        bot.close()
        alice.close()
