"""Every branch of `decide`, pinned byte for byte to what the code wrote before its fast paths.

The digest covers every ledger entry's hash (so every field and canonical byte of every entry), the
records' verdicts and reasons, and every row of the state tables as SQLite stores it (`quote()`
tells 1 from '1'). It was computed by this scenario on the code before the decision path's fast
paths (commit a46c6af), and must not change. It is checked with statements going to SQLite directly
(the in-memory fast path) and, with an engine listener, through SQLAlchemy.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import event, text

from guardian import Guardian, Principal
from guardian.core import ids
from guardian.testing import FakeClock

GOLDEN = "9d3734c2c53c8d6a17057f0189cd5ef85600fd54bffb3425ad1dd02995ca9164"
ADMIN = Principal("root", "admin", 5)
ALICE = Principal("alice", "approver", 3)
RULES = [
    {"id": "read", "action": "read", "effect": "ALLOW"},
    {"id": "drop", "action": "drop", "effect": "DENY", "reason": "never drop"},
    {"id": "mail", "action": "send_email", "effect": "ASK"},
    {"id": "wire", "action": "wire", "effect": "ASK", "never_auto_approve": True,
     "approval_timeout": "10m"},
    {"id": "search", "action": "search", "effect": "ALLOW", "rate_limit": {"max": 2, "window": "60s"}},
    {"id": "pay-small", "action": "pay", "effect": "ALLOW", "when": "params.amount < 100"},
    {"id": "pay", "action": "pay", "effect": "ASK"},
    {"id": "boss", "action": "admin.*", "effect": "ALLOW", "min_authority": 4},
]  # fmt: skip


def scenario(through_sqlalchemy: bool) -> str:
    ids.seed("5eed" * 4)
    clock = FakeClock()
    key = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))  # session bundles are signed
    g = Guardian(RULES, clock=clock, signing_key=key)
    if through_sqlalchemy:  # a listener sends every statement through SQLAlchemy
        event.listen(g._engine, "before_cursor_execute", lambda *args: None)
    out: list[Any] = []

    def d(actor: str, action: str, target: str = "", params: Any = None, metadata: Any = None,
          **fields: Any) -> Any:  # fmt: skip
        r = g.decide(actor, action, target, params, metadata, **fields)
        out.append((r.decision.value, r.reason_codes, r.proposal_id, r.approval_id, r.hash))
        return r

    d("bot", "read", "/a", {"n": 1, "s": "x", "b": True, "z": None})
    d(
        "bot",
        "read",
        "/a",
        {"f": 1.5, "nested": {"l": [1, 2.25, "\U0001f600"]}},
        {"cost": {"tokens": 3}},
    )
    d("bot", "read", "\uff5e", {"\U0001f600": "k", "é": "v"})
    d("bot", "drop", "t")
    d("bot", "nothing", "t")
    d("bot", "admin.x", "t")
    d("bot", "admin.x", "t", principal=Principal("bot", "guardian", 4))
    d("bot", "pay", "acme", {"amount": 5})
    asked = d("bot", "pay", "acme", {"amount": 500})
    d("bot", "pay", "acme", {"amount": 500})
    g.approve(asked.proposal_id, ALICE, "ok")
    d("bot", "pay", "acme", {"amount": 500})  # uses the approval
    d("bot", "pay", "acme", {"amount": 500})  # asks again
    for _ in range(3):
        d("bot", "search", "q")
    clock.advance(61)
    d("bot", "search", "q")
    mail = d("bot", "send_email", "a@partner.org")
    g.approvals.approve_and_grant(
        mail.proposal_id, ALICE, "partner", hours=1, target="*@partner.org"
    )
    d("bot", "send_email", "a@partner.org")  # the approval
    d("bot", "send_email", "b@partner.org")  # the grant
    d("bot", "send_email", "b@else.org")
    wire = d("bot", "wire", "acme")
    clock.advance(601)
    try:
        g.approve(wire.proposal_id, ALICE)
    except Exception as exc:  # expired
        out.append(type(exc).__name__)
    clock.advance(3600)
    d("bot", "send_email", "c@partner.org")  # the grant expired
    g.pauses.pause("agent", "bot", ADMIN, "stop")
    d("bot", "read", "/a")
    g.pauses.resume("agent", "bot", ADMIN)
    d("bot", "read", "/a")
    g.budgets.set_cap("agent", "spender", "calls", 2, ADMIN)
    for _ in range(3):
        d("spender", "read", "/b")
    with g.session("bot", session_id="s-1", tools=["read"]) as s:
        s.decide("read", "/x")
        out.append(s.decide("drop", "/x").decision.value)
        out.append(s.decide("send_email", "x@y").decision.value)
    d("bot", "read", "/a", task_id="t-1", session_id="s-2")
    # Decisions from several threads at the end: one unbroken chain (their order is not pinned).
    threads = [threading.Thread(target=lambda: [g.decide("t", "read", "/t") for _ in range(20)])
               for _ in range(4)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    h = hashlib.sha256()
    for e in g.ledger.entries():
        if not (e.kind == "decision" and e.payload["intent"]["actor"] == "t"):
            h.update(e.hash.encode())
    h.update(repr(out).encode())
    with g._engine.connect() as conn:
        for table in ("proposals", "grants", "budgets", "reservations", "pauses"):
            columns = [r[1] for r in conn.execute(text(f"PRAGMA table_info({table})"))]
            quoted = ", ".join(f"quote({c})" for c in columns)
            rows = conn.execute(text(f"SELECT {quoted} FROM {table} ORDER BY 1")).all()
            h.update(repr([tuple(r) for r in rows]).encode())
    threaded = [e for e in g.ledger.entries() if e.payload.get("intent", {}).get("actor") == "t"]
    assert len(threaded) == 80
    assert g.verify_ledger().ok
    return h.hexdigest()


@pytest.mark.parametrize("through_sqlalchemy", [False, True])
def test_every_branch_writes_what_it_wrote_before(
    through_sqlalchemy: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ids, "_state", ids._state)  # restored after the seeded ids
    assert scenario(through_sqlalchemy) == GOLDEN
