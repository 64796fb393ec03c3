"""Replay: decide every recorded intent again, under the policy that decided it, and compare.

The policy text in force is itself a ledger entry (content-addressed), so the ledger alone (a
database or its JSONL file) is enough. Rate-limit counters and session scopes are rebuilt from
earlier entries in order. What is compared is the whole outcome: decision, rule id, reason codes.

With `policy=` a new policy replaces the recorded ones: the mismatches are then the answer to
"what would this policy have changed".

Pauses are rebuilt from pause/resume entries; budget state is not in the ledger, so a recorded
budget DENY is taken as given. Known limits: the path analyzer resolves symlinks on the machine that replays, so a changed file
system can change its findings; rate limits enforced by several processes each with their own
counters are replayed as if one process had decided everything.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from guardian.core.decision import Decision, Reason
from guardian.core.principal import Principal
from guardian.governance.guard import CheckContext, apply_checks
from guardian.governance.pause import pause_gate
from guardian.governance.replay_inputs import AnalyzerMemo, EpochCache, intent_of
from guardian.governance.sessions import ScopeRegistry
from guardian.ledger.entry import Entry, EntryError, plain_fields
from guardian.policy.evaluate import CompiledPolicy, Evaluation
from guardian.policy.load import build_policy
from guardian.policy.model import Policy
from guardian.policy.ratelimit import MemoryRateCounter

#: Links that turn a recorded ASK into ALLOW (an approval or a standing grant), and their codes.
_OVERRIDES = {"approval_id": "approved", "grant_id": "granted"}


class ReplayError(ValueError):
    """A ledger that cannot be read for replay (a line that is not an entry)."""


@dataclass
class Mismatch:
    seq: int
    decision_id: str
    recorded: dict[str, Any]
    replayed: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "decision_id": self.decision_id, "recorded": self.recorded,
                "replayed": self.replayed}  # fmt: skip


@dataclass
class ReplayReport:
    decisions: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def verdict(self) -> str:
        return "PASS" if self.ok else "FAIL"

    def to_dict(self) -> dict[str, Any]:
        return {"result": self.verdict, "decisions": self.decisions,
                "mismatches": [m.to_dict() for m in self.mismatches]}  # fmt: skip


def outcome(decision: str, rule_id: str | None, codes: Iterable[str]) -> dict[str, Any]:
    return {"decision": decision, "rule_id": rule_id, "reasons": list(codes)}


#: An outcome as compared: decision, rule id, reason codes (dicts are built only for a mismatch).
Outcome = tuple[str, "str | None", tuple[str, ...]]


class Replayer:
    def __init__(self, policy: Policy | None = None) -> None:
        self._override = CompiledPolicy(policy) if policy is not None else None
        self._policies: dict[str, CompiledPolicy] = {}
        self._counter = MemoryRateCounter()
        self._scopes = ScopeRegistry()
        self._scoped: set[str] = set()  # sessions with a declared scope (the scope check's domain)
        self._checks = (AnalyzerMemo().check(), self._scopes.as_check())
        self._paused: dict[tuple[str, str], str] = {}
        self._principals: dict[tuple[str, str, int], Principal] = {}
        self._clock = EpochCache()
        self.report = ReplayReport()

    def feed(self, entry: Entry) -> None:
        self.feed_fields(entry.seq, entry.kind, entry.ts, entry.payload)

    def feed_fields(self, seq: int, kind: str, ts: str, payload: dict[str, Any]) -> None:
        """`feed` for an entry already parsed (and checked) into its fields."""
        if kind == "decision":
            self._decision(seq, ts, payload)
        elif kind == "policy":
            self._remember_policy(payload)
        elif kind == "scope":
            self._scopes.declare(payload["session_id"], payload.get("goal"), list(payload["tools"]))
            self._scoped.add(payload["session_id"])
        elif kind == "session":
            self._scopes.end(payload["session_id"])
            self._scoped.discard(payload["session_id"])
        elif kind == "pause":
            self._paused[(payload["scope"], payload["key"])] = payload["reason"]
        elif kind == "resume":
            self._paused.pop((payload["scope"], payload["key"]), None)

    def _remember_policy(self, payload: dict[str, Any]) -> None:
        digest = payload["policy_hash"]
        if digest not in self._policies:
            self._policies[digest] = CompiledPolicy(
                build_policy(payload["document"], str(payload.get("source")))
            )

    def _decision(self, seq: int, ts: str, payload: dict[str, Any]) -> None:
        self.report.decisions += 1
        replayed: Outcome | dict[str, Any]
        try:
            recorded: Outcome | None = (
                payload["decision"],
                payload.get("rule_id"),
                tuple([r["code"] for r in payload["reasons"]]),
            )
        except (KeyError, TypeError):
            recorded = None
        try:
            replayed = self._replay(seq, ts, payload)
        except Exception as exc:  # a record that cannot be replayed is a mismatch, not a crash
            replayed = {"error": f"{type(exc).__name__}: {exc}"}
        if replayed != recorded:
            self.report.mismatches.append(
                Mismatch(
                    seq,
                    str(payload.get("decision_id")),
                    _as_dict(recorded) if recorded is not None else _unreadable(payload),
                    _as_dict(replayed) if isinstance(replayed, tuple) else replayed,
                )
            )

    def _replay(self, seq: int, ts: str, payload: dict[str, Any]) -> Outcome:
        intent = intent_of(payload["intent"])
        raw_principal = payload["principal"]
        key = (raw_principal["id"], raw_principal["role"], raw_principal["authority"])
        principal = self._principals.get(key)
        if principal is None:  # a handful of principals make a million decisions: build each once
            principal = self._principals[key] = Principal(*key)
        compiled = self._override or self._policies.get(payload["policy_hash"])
        if compiled is None:
            raise LookupError(
                f"policy {payload['policy_hash']} is not in the ledger before seq {seq}"
            )
        if self._paused:
            gated = pause_gate(self._paused, intent)
            if gated is not None:
                return (gated.decision, gated.rule_id, tuple([r.code for r in gated.reasons]))
        evaluation = compiled.evaluate(intent, principal, self._counter, self._clock.seconds(ts))
        rule = evaluation.rule
        if evaluation.decision is not Decision.DENY and (
            (rule is not None and rule.analyze) or intent.session_id in self._scoped
        ):  # otherwise both checks would leave it as it is
            evaluation = apply_checks(
                self._checks, CheckContext(intent, principal, compiled.policy, evaluation)
            )
        if evaluation.decision is Decision.ASK:
            evaluation = self._approval(evaluation, payload)
        if evaluation.decision is Decision.ALLOW:
            evaluation = self._budget(evaluation, payload)
        # A Decision is a str: it compares equal to the recorded "ALLOW" without `.value`.
        rule = evaluation.rule
        rule_id = None if rule is None else rule.id
        return (evaluation.decision, rule_id, tuple([r.code for r in evaluation.reasons]))

    @staticmethod
    def _budget(evaluation: Evaluation, payload: dict[str, Any]) -> Evaluation:
        """Budget state is not in the ledger; a recorded budget DENY of an ALLOW is taken as given
        (a budget can only tighten, so this never hides a looser verdict)."""
        last = payload["reasons"][-1]["code"] if payload["reasons"] else None
        if evaluation.decision is Decision.ALLOW and last in ("budget_exhausted", "budget_error"):
            note = Reason(last, payload["reasons"][-1]["message"])
            return Evaluation(Decision.DENY, evaluation.rule, (*evaluation.reasons, note))
        return evaluation

    @staticmethod
    def _approval(evaluation: Evaluation, payload: dict[str, Any]) -> Evaluation:
        if evaluation.decision is not Decision.ASK:
            return evaluation
        for link, code in _OVERRIDES.items():
            if link in payload:
                recorded = next((r for r in payload["reasons"] if r["code"] == code), None)
                note = Reason(code, recorded["message"] if recorded else code)
                return Evaluation(Decision.ALLOW, evaluation.rule, (*evaluation.reasons, note))
        return evaluation


def _as_dict(found: Outcome) -> dict[str, Any]:
    return outcome(str(found[0]), found[1], found[2])


def _unreadable(payload: dict[str, Any]) -> dict[str, Any]:
    return {"error": f"the recorded outcome is unreadable: {str(payload.get('reasons'))[:200]}"}


def replay(entries: Iterable[Entry], policy: Policy | None = None) -> ReplayReport:
    replayer = Replayer(policy)
    for entry in entries:
        replayer.feed(entry)
    return replayer.report


def replay_jsonl(path: str | Path, policy: Policy | None = None) -> ReplayReport:
    """Replay a JSONL ledger file (blank lines skipped). Each line is parsed as strictly as
    `parse_line` does, without building an `Entry`; a line that does not parse raises
    `ReplayError` naming it. Integrity is `guardian ledger verify`'s to check."""
    replayer = Replayer(policy)
    feed, loads = replayer.feed_fields, orjson.loads
    with Path(path).open("rb") as lines:
        for lineno, line in enumerate(lines, 1):
            try:
                data = loads(line)
            except orjson.JSONDecodeError as exc:
                if not line.strip():
                    continue
                raise ReplayError(f"{path} line {lineno}: not JSON ({exc})") from None
            fields = plain_fields(data)
            if fields is None:  # the strict parse names what is wrong (or accepts it after all)
                try:
                    entry = Entry.from_dict(data)
                except EntryError as exc:
                    raise ReplayError(f"{path} line {lineno}: {exc}") from None
                fields = entry.seq, entry.kind, entry.ts, entry.payload
            feed(*fields)
    return replayer.report
