"""Data-driven policy tests, like `opa test`: each case is an intent in, a decision and rule out.

    policy: policy.yaml            # relative to this file; or given on the command line
    cases:
      - name: reads are allowed
        intent: {actor: a, action: read_file, target: docs/x.md, params: {}}
        principal: {authority: 4}  # optional
        repeat: 3                  # optional: decide it 3 times at once, check the last
        expect: {decision: ALLOW, rule: reads, reasons: [rule_allow]}

Cases are independent: each starts with empty rate-limit counters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardian.core.decision import Decision
from guardian.core.errors import GuardianError, IntentError, PolicyProblem
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.policy.evaluate import CompiledPolicy, Evaluation
from guardian.policy.model import Policy
from guardian.policy.ratelimit import MemoryRateCounter
from guardian.policy.source import SourceError, line_of, read_file

CASE_FIELDS = frozenset({"name", "intent", "principal", "repeat", "expect"})
EXPECT_FIELDS = frozenset({"decision", "rule", "reasons"})
INTENT_FIELDS = frozenset(
    {"actor", "action", "target", "params", "metadata", "session_id", "task_id"}
)


class CasesError(GuardianError):
    code = "cases_invalid"


@dataclass(frozen=True, slots=True)
class PolicyCase:
    name: str
    intent: Intent
    principal: Principal
    repeat: int
    expect_decision: Decision
    expect_rule: str | None
    expect_reasons: tuple[str, ...] | None
    has_rule_expectation: bool
    line: int | None


@dataclass(slots=True)
class CaseResult:
    case: PolicyCase
    got: Evaluation
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures


@dataclass(frozen=True, slots=True)
class CaseFile:
    path: Path
    policy_path: Path | None
    cases: tuple[PolicyCase, ...]


def load_cases(path: Path) -> CaseFile:
    try:
        data, _ = read_file(path)
    except SourceError as exc:
        raise CasesError(str(exc.problem)) from None
    if isinstance(data, list):
        data = {"cases": data}
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise CasesError(f"{path}: expected a mapping with a 'cases' list")
    policy_path = None
    if data.get("policy") is not None:
        policy_path = (path.parent / str(data["policy"])).resolve()
    problems: list[str] = []
    cases = []
    for index, raw in enumerate(data["cases"], 1):
        try:
            cases.append(_case(raw, index))
        except (ValueError, TypeError) as exc:
            problems.append(str(PolicyProblem(str(exc), str(path), line_of(raw))))
    if problems:
        raise CasesError("invalid test cases:\n  " + "\n  ".join(problems))
    return CaseFile(path, policy_path, tuple(cases))


def _case(raw: Any, index: int) -> PolicyCase:
    if not isinstance(raw, dict):
        raise ValueError(f"case #{index}: expected a mapping")
    name = str(raw.get("name") or f"case #{index}")
    unknown = sorted(set(raw) - CASE_FIELDS)
    if unknown:
        raise ValueError(f"{name}: unknown field(s) {', '.join(unknown)}")
    intent_raw, expect = raw.get("intent"), raw.get("expect")
    if not isinstance(intent_raw, dict) or not isinstance(expect, dict):
        raise ValueError(f"{name}: needs an 'intent' mapping and an 'expect' mapping")
    bad = sorted(set(intent_raw) - INTENT_FIELDS) + sorted(set(expect) - EXPECT_FIELDS)
    if bad:
        raise ValueError(f"{name}: unknown field(s) {', '.join(bad)}")
    try:
        intent = Intent.create(**{k: v for k, v in intent_raw.items()})
    except IntentError as exc:
        raise ValueError(f"{name}: intent {exc}") from None
    principal_raw = raw.get("principal") or {}
    principal = Principal(
        id=str(principal_raw.get("id", intent.actor)),
        role=str(principal_raw.get("role", "agent")),
        authority=int(principal_raw.get("authority", 1)),
    )
    repeat = raw.get("repeat", 1)
    if type(repeat) is not int or repeat < 1:
        raise ValueError(f"{name}: repeat must be a positive integer")
    reasons = expect.get("reasons")
    return PolicyCase(
        name, intent, principal, repeat, Decision.parse(expect.get("decision", "")),
        expect.get("rule"), tuple(reasons) if reasons is not None else None,
        "rule" in expect, line_of(raw),
    )  # fmt: skip


def run_cases(policy: Policy, cases: tuple[PolicyCase, ...]) -> list[CaseResult]:
    compiled = CompiledPolicy(policy)
    results = []
    for case in cases:
        counter = MemoryRateCounter()
        got = compiled.evaluate(case.intent, case.principal, counter, 0.0)
        for _ in range(1, case.repeat):  # repeats happen at the same instant
            got = compiled.evaluate(case.intent, case.principal, counter, 0.0)
        result = CaseResult(case, got)
        if got.decision is not case.expect_decision:
            result.failures.append(f"decision: expected {case.expect_decision}, got {got.decision}")
        if case.has_rule_expectation and got.rule_id != case.expect_rule:
            result.failures.append(f"rule: expected {case.expect_rule!r}, got {got.rule_id!r}")
        codes = tuple(r.code for r in got.reasons)
        if case.expect_reasons is not None and codes != case.expect_reasons:
            result.failures.append(
                f"reasons: expected {list(case.expect_reasons)}, got {list(codes)}"
            )
        results.append(result)
    return results
