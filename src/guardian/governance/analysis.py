"""The risk-analyzer step of the path: run the analyzers the matched rule names, on the intent's params.

Analyzers only tighten: their strictest finding can raise ALLOW to ASK or DENY, never lower a verdict.
Their findings become reasons in the DecisionRecord. A missing or mistyped param is itself a DENY
(`input_invalid` from the analyzer), never a skipped check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from guardian.core.decision import Decision
from guardian.governance.guard import CheckContext, NamedCheck
from guardian.policy.evaluate import Evaluation

if TYPE_CHECKING:
    from guardian.analyzers import Verdict

# The analyzers (sqlglot above all) are imported on first use, not at start-up: most processes
# (the CLI, a proxy for tools without analyzers) never run one, and sqlglot costs ~0.2 s to import.

_MISSING = object()


def _param(params: dict[str, Any], name: str) -> Any:
    value = params.get(name, _MISSING)
    return None if value is _MISSING else value


def run_analyzer(name: str, options: dict[str, Any], params: dict[str, Any]) -> Verdict:
    from guardian.analyzers import check_email, check_path, check_sql

    if name == "sql":
        return check_sql(
            _param(params, options.get("param", "query")),
            sensitive=options.get("sensitive"),
            max_rows=options.get("max_rows", 1000),
            dialect=options.get("dialect", "postgres"),
            sensitive_patterns=options.get("sensitive_patterns", ()),
        )
    if name == "email":
        return check_email(
            _param(params, options.get("to", "to")),
            _param(params, options.get("subject", "subject")),
            _param(params, options.get("body", "body")),
            internal_domains=options.get("internal_domains", ("example.com",)),
        )
    if name == "path":
        return check_path(
            _param(params, options.get("param", "path")),
            roots=options["roots"],
            mode=options.get("mode", "read"),
        )
    raise ValueError(f"unknown analyzer {name!r}")


#: How an analyzer is run: `run_analyzer`, or (replay) one that remembers repeated verdicts.
Runner = Callable[[str, dict[str, Any], dict[str, Any]], "Verdict"]


def analyze(context: CheckContext, run: Runner = run_analyzer) -> Evaluation | None:
    rule = context.evaluation.rule
    if rule is None or not rule.analyze:
        return None
    findings: list[Any] = []
    for name, options in rule.analyze.items():
        findings.extend(run(name, options, context.intent.params).findings)
    if not findings:
        return None
    from guardian.analyzers import Verdict

    verdict = Verdict.of(findings)
    decision = max(verdict.decision, context.evaluation.decision, key=lambda d: d.strictness)
    reasons = (*context.evaluation.reasons, *(f.to_reason() for f in verdict.findings))
    return Evaluation(Decision(decision), rule, reasons)


ANALYZER_CHECK = NamedCheck("analyzers", analyze, error_code="analyzer_error")
