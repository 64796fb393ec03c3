"""The guard's decision path: its shortcuts against what they stand for.

The byte-for-byte record of every branch is in test_guard_golden.py; these tests pin the shortcuts
one by one: entry bytes equal the reference encoder's, a pause or a cap made after a shortcut was
taken still counts, checks still run (and fail closed) whenever they could matter.
"""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from guardian import Guardian, Principal
from guardian.core.canonical import canonical_json
from guardian.core.decision import Decision, Reason
from guardian.core.intent import Intent
from guardian.core.record import decision_payload
from guardian.governance.guard import CheckContext, Guard, NamedCheck
from guardian.ledger.entry import Entry
from guardian.ledger.memory import MemoryLedger
from guardian.policy.evaluate import Evaluation
from guardian.policy.load import load_policy
from guardian.policy.ratelimit import MemoryRateCounter
from guardian.testing import json_values

ADMIN = Principal("root", "admin", 5)
RULES = [
    {"id": "pay", "action": "pay", "effect": "ASK"},
    {"id": "drop", "action": "drop", "effect": "DENY"},
    {"id": "all", "effect": "ALLOW"},
]
json_value = json_values(text_size=6)
names = st.text(min_size=1, max_size=8)


@settings(max_examples=200, deadline=None)
@given(
    actor=names,
    action=st.sampled_from(["pay", "drop", "read"]) | names,
    target=st.text(max_size=8),
    params=st.none() | st.dictionaries(st.text(max_size=5), json_value, max_size=4),
    metadata=st.none() | st.dictionaries(st.text(max_size=5), json_value, max_size=2),
    session=st.none() | names,
)
def test_entries_are_what_the_reference_encoder_seals(
    actor: str, action: str, target: str, params: Any, metadata: Any, session: str | None
) -> None:
    g = Guardian(RULES)
    record = g.decide(actor, action, target, params, metadata, session)
    entry = g.ledger.get(record.seq)
    assert entry is not None
    reference = Entry.seal(entry.seq, entry.kind, entry.ts, entry.payload, entry.prev_hash)
    assert entry == reference  # hash over RFC 8785 bytes, from rfc8785 itself when floats occur
    intent = record.intent
    digest = hashlib.sha256(canonical_json(intent.to_dict())).hexdigest()
    assert record.intent_hash == "sha256:" + digest
    links = {k: entry.payload[k] for k in ("proposal_id",) if k in entry.payload}
    assert entry.payload == decision_payload(
        record.decision_id, intent.to_dict(), record.intent_hash, record.decision,
        record.rule_id, record.reasons, g.policy.policy_hash, Principal.for_agent(actor), links,
    )  # fmt: skip


def test_a_pause_after_the_fast_path_denies_at_once() -> None:
    g = Guardian(RULES)
    assert g.decide("a", "read").decision == "ALLOW"  # nothing paused: the gate passed
    g.pauses.pause("agent", "a", ADMIN, "stop")
    assert g.decide("a", "read").reason_codes == ("paused",)
    assert g.decide("b", "read").decision == "ALLOW"
    g.pauses.pause("all", "*", ADMIN, "everyone")
    assert g.decide("b", "read").reason_codes == ("paused",)


def test_a_cap_set_after_the_fast_path_counts_at_once() -> None:
    g = Guardian(RULES)
    assert g.decide("a", "read").decision == "ALLOW"  # no budget anywhere: nothing reserved
    g.budgets.set_cap("agent", "a", "calls", 1, ADMIN)
    assert g.decide("a", "read").decision == "ALLOW"
    assert g.decide("a", "read").reason_codes[-1] == "paused"  # the cap was reached: paused


def guard(*checks: NamedCheck) -> tuple[Guard, MemoryLedger]:
    ledger = MemoryLedger()
    return Guard(load_policy(RULES), ledger, MemoryRateCounter(), checks=checks), ledger


def test_checks_see_the_context_and_run_unless_the_verdict_is_deny() -> None:
    seen: list[CheckContext] = []

    def tighten(context: CheckContext) -> Evaluation:
        seen.append(context)
        reasons = (*context.evaluation.reasons, Reason("tight", "tightened"))
        return Evaluation(Decision.ASK, context.evaluation.rule, reasons)

    g, _ = guard(NamedCheck("tighten", tighten))
    record = g.decide(Intent.create("a", "read"))
    assert record.decision == "ASK" and record.reason_codes == ("rule_allow", "tight")
    (context,) = seen
    assert context.intent == record.intent and context.principal == record.principal
    assert context.evaluation.decision == "ALLOW" and context.policy is g.policy
    assert g.decide(Intent.create("a", "drop")).decision == "DENY"
    assert len(seen) == 1  # a DENY is final: no check could change it


def test_a_check_that_raises_denies_saying_why() -> None:
    def broken(context: CheckContext) -> Evaluation | None:
        raise RuntimeError("boom")

    g, _ = guard(NamedCheck("broken", broken, error_code="broken_error"))
    record = g.decide(Intent.create("a", "read"))
    assert record.decision == "DENY"
    assert record.reasons[-1] == Reason("broken_error", "broken failed: RuntimeError: boom")
