"""The floor under `Guardian.decide()` in this interpreter: one decision's work fused into one function.

`FusedDecider.decide` does what an ALLOW or DENY decide() must do and nothing else: validate a flat
intent, encode it canonically and hash it, draw an id, evaluate the compiled policy, build the
decision payload, encode it, and chain one entry (lock, previous hash, seq, timestamp, SHA-256).
There is no pause gate, no analyzer or scope check, no budget, no approval lookup, no Entry or
DecisionRecord object, no layering at all, and an ASK opens no proposal: whatever Guardian's
layered path costs above this is the price of those. bench/decide.py times it on the same intents
as a bound on what any rewrite of the path in Python could reach on this machine, and
`check_equivalent` confirms it produces the payloads and entry hashes Guardian's ledger does.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import orjson

from guardian import Decision, Guardian, Intent
from guardian.core.ids import new_id
from guardian.core.intent import _is_flat_json
from guardian.core.principal import Principal
from guardian.ledger.entry import GENESIS_HASH, Entry
from guardian.policy.evaluate import CompiledPolicy
from guardian.policy.ratelimit import MemoryRateCounter

_BODY = b'\x00{"kind":"decision","payload":%s,"prev_hash":"%s","seq":%d,"ts":"%s"}'


class FusedDecider:
    """A fused decide() over a Guardian's policy, chaining into its own list of (seq, ts, hash)."""

    def __init__(self, guardian: Guardian) -> None:
        self.chain: list[tuple[int, str, str]] = []
        self.decide = self._build(guardian)

    def _build(
        self, guardian: Guardian
    ) -> Callable[[str, str, str, dict[str, Any]], tuple[str, bytes, str]]:
        compiled = CompiledPolicy(guardian.policy)
        policy_hash = guardian.policy.policy_hash
        counter = MemoryRateCounter()
        now_iso = guardian.clock.now_iso
        chain, lock = self.chain, threading.Lock()
        sha, dumps, sort = hashlib.sha256, orjson.dumps, orjson.OPT_SORT_KEYS
        fragment = orjson.Fragment
        new = tuple.__new__
        values = {d: d.value for d in Decision}  # (Enum.value is a property: a call per read)

        def decide(
            actor: str, action: str, target: str, params: dict[str, Any]
        ) -> tuple[str, bytes, str]:
            """(decision, payload JSON, entry hash) of one flat intent."""
            if not (type(actor) is str and type(action) is str and type(target) is str
                    and type(params) is dict and _is_flat_json(params)):  # fmt: skip
                raise ValueError("the floor handles flat intents only")
            intent = new(Intent, (actor, action, target, dict(params), {}, None, None, False))
            principal = Principal.for_agent(actor)
            as_dict = {"actor": actor, "action": action, "target": target, "params": intent.params,
                       "metadata": {}, "session_id": None, "task_id": None}  # fmt: skip
            intent_json = dumps(as_dict, option=sort)
            intent_hash = "sha256:" + sha(intent_json).hexdigest()
            evaluation = compiled.evaluate(intent, principal, counter, time.time)
            verdict = values[evaluation.decision]
            payload = {
                "decision_id": new_id(), "intent": fragment(intent_json), "intent_hash": intent_hash,
                "decision": verdict, "rule_id": evaluation.rule_id,
                "reasons": [{"code": r.code, "message": r.message} for r in evaluation.reasons],
                "policy_hash": policy_hash, "principal": principal.to_dict(),
            }  # fmt: skip
            payload_json = dumps(payload, option=sort)
            with lock:
                seq, prev = (chain[-1][0] + 1, chain[-1][2]) if chain else (1, GENESIS_HASH)
                ts = now_iso()
                digest = sha(_BODY % (payload_json, prev.encode(), seq, ts.encode())).hexdigest()
                chain.append((seq, ts, digest))
            return verdict, payload_json, digest

        return decide


def check_equivalent(
    guardian: Guardian, intents: Sequence[tuple[str, str, str, dict[str, Any]]]
) -> int:
    """Decide each intent both ways: the payloads must match but for the id, and each fused hash
    must be the ledger's hash of its entry. Returns how many were compared (raises on a difference)."""
    fused, reference = FusedDecider(guardian), Guardian(guardian.policy)
    prev = GENESIS_HASH
    for actor, action, target, params in intents:
        record = reference.decide(actor=actor, action=action, target=target, params=params)
        if record.decision == "ASK":
            continue  # the floor opens no proposal, so an ASK's payload has no proposal_id
        _, payload_json, digest = fused.decide(actor, action, target, params)
        payload = orjson.loads(payload_json)
        if _without_id(payload) != _without_id(record.payload()):
            raise AssertionError(f"fused payload differs from Guardian's for {actor} {action}")
        seq, ts, _ = fused.chain[-1]
        if Entry.compute_hash(seq, "decision", ts, payload, prev) != digest:
            raise AssertionError(f"fused entry {seq} does not hash as a ledger entry")
        prev = digest
    return len(fused.chain)


def _without_id(payload: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k != "decision_id"}


if __name__ == "__main__":
    raise SystemExit(
        "decide_floor is part of bench/decide.py: run that (the floor is timed at 1,000 rules)"
    )
