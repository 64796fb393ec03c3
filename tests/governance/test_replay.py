"""Replay re-decides every recorded intent under the policy that decided it."""

from pathlib import Path

from guardian import Guardian, Principal
from guardian.governance.replay import replay
from guardian.ledger.entry import Entry, parse_line
from guardian.testing import FakeClock

POLICY = {
    "rules": [
        {"id": "sql", "action": "run_sql", "effect": "ALLOW", "analyze": {"sql": {"sensitive": {"users": ["email"]}}}},
        {"id": "pay", "action": "pay", "effect": "ASK"},
        {"id": "search", "action": "search", "effect": "ALLOW", "rate_limit": {"max": 2, "window": "60s"}},
        {"id": "cond", "action": "move", "when": "params.n < 3", "effect": "ALLOW"},
    ]
}  # fmt: skip


def busy_guardian() -> Guardian:
    clock = FakeClock()
    g = Guardian(POLICY, clock=clock)
    g.decide("a", "run_sql", "db", {"query": "SELECT id FROM t WHERE id = 1"})
    g.decide("a", "run_sql", "db", {"query": "SELECT email FROM users LIMIT 1"})
    g.decide("a", "run_sql", "db", {"query": "DROP TABLE users"})
    asked = g.decide("a", "pay", "acme")
    g.approve(asked.proposal_id, Principal("h", "approver"))
    g.decide("a", "pay", "acme")
    for _ in range(3):
        g.decide("a", "search")
    clock.advance(61)
    g.decide("a", "search")
    g.decide("a", "move", params={"n": 1})
    g.decide("a", "move", params={})
    with g.session("a", tools=["search"]) as s:
        s.decide("pay", "acme")
    g.reload([{"id": "everything", "effect": "DENY"}])
    g.decide("a", "search")
    return g


def test_a_real_ledger_replays_to_pass() -> None:
    g = busy_guardian()
    report = g.replay()
    assert g.verify_replay() == "PASS", [m.to_dict() for m in report.mismatches]
    assert report.decisions == 13


def test_a_changed_recorded_outcome_fails_with_the_seq() -> None:
    g = busy_guardian()
    entries = list(g.ledger.entries())
    victim = next(e for e in entries if e.kind == "decision" and e.payload["decision"] == "DENY")
    forged_payload = {**victim.payload, "decision": "ALLOW"}
    forged = Entry(
        victim.seq, victim.kind, victim.ts, forged_payload, victim.prev_hash, victim.hash
    )
    report = replay([forged if e.seq == victim.seq else e for e in entries])
    assert report.verdict == "FAIL"
    [mismatch] = report.mismatches
    assert mismatch.seq == victim.seq and mismatch.recorded["decision"] == "ALLOW"
    assert mismatch.replayed["decision"] == "DENY"


def test_what_if_a_new_policy() -> None:
    g = busy_guardian()
    report = g.replay([{"id": "all", "effect": "ALLOW"}])
    changed = {m.seq for m in report.mismatches}
    assert report.decisions == 13 and changed
    denied_before = [m for m in report.mismatches if m.recorded["decision"] == "DENY"]
    assert all(
        m.replayed["decision"] == "ALLOW" or "sql_write" in m.replayed["reasons"]
        for m in denied_before
    )


def test_replay_from_the_jsonl_alone(tmp_path: Path) -> None:
    g = busy_guardian()
    path = tmp_path / "ledger.jsonl"
    path.write_bytes(b"".join(e.line() for e in g.ledger.entries()))
    with path.open("rb") as lines:
        report = replay(parse_line(line) for line in lines)
    assert report.verdict == "PASS" and report.decisions == 13


def test_missing_policy_entry_is_a_mismatch_not_a_crash() -> None:
    g = busy_guardian()
    entries = [e for e in g.ledger.entries() if e.kind != "policy"]
    report = replay(entries)
    assert (
        report.verdict == "FAIL" and "not in the ledger" in report.mismatches[0].replayed["error"]
    )
