"""Turn policy data (from a file, a dict or a list) into a `Policy`, or report every problem in it.

Three spellings load into the one native model: the native document (`rules:` plus `agents:`), seed
000's typed policies (`policies: [{name, type: ALLOW_LIST|DENY_LIST|REQUIRE_APPROVAL|RATE_LIMIT,
rules}]`), and seed 001's bare rule list (`[{actor, action, target, effect}]`).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from guardian.core.canonical import content_hash
from guardian.core.decision import Decision
from guardian.core.duration import parse_duration
from guardian.core.errors import PolicyError, PolicyProblem
from guardian.policy.conditions import ConditionError, compile_condition
from guardian.policy.model import (
    RATE_LIMIT_SCOPES,
    AgentAllowlist,
    Policy,
    RateLimit,
    Rule,
    ToolMapping,
)
from guardian.policy.patterns import ANY, Pattern, PatternError, compile_pattern
from guardian.policy.source import SourceError, line_of, read_file

TOP_FIELDS = frozenset({"version", "name", "description", "rules", "policies", "agents", "tools"})
TOOL_FIELDS = frozenset({"target", "description"})
RULE_FIELDS = frozenset({
    "id", "description", "actor", "action", "target", "when", "effect", "decision", "reason",
    "min_authority", "never_auto_approve", "rate_limit", "analyze", "approval_timeout",
})  # fmt: skip
SEED_POLICY_FIELDS = frozenset({"name", "type", "description", "rules", "rate_limit", "enabled"})
SEED_POLICY_TYPES = {
    "ALLOW_LIST": Decision.ALLOW,
    "DENY_LIST": Decision.DENY,
    "REQUIRE_APPROVAL": Decision.ASK,
    "RATE_LIMIT": Decision.ALLOW,
}
AGENT_FIELDS = frozenset({"tools", "description"})
RATE_LIMIT_FIELDS = frozenset({"max", "window", "per"})
#: Options each analyzer takes in a rule's `analyze:`; which params it reads and how it judges them.
ANALYZER_OPTIONS = {
    "sql": frozenset({"param", "sensitive", "max_rows", "dialect", "sensitive_patterns"}),
    "email": frozenset({"to", "subject", "body", "internal_domains"}),
    "path": frozenset({"param", "roots", "mode"}),
}
ANALYZERS = frozenset(ANALYZER_OPTIONS)


def load_policy(source: str | Path | dict[str, Any] | list[Any]) -> Policy:
    """Load from a file path or from data; raise PolicyError listing every problem."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            data, _ = read_file(path)
        except SourceError as exc:
            raise PolicyError([exc.problem]) from None
        return build_policy(data, str(path))
    return build_policy(source, "<dict>" if isinstance(source, dict) else "<list>")


def build_policy(data: Any, source: str) -> Policy:
    builder = _Builder(source)
    policy = builder.build(data)
    if builder.problems:
        raise PolicyError(builder.problems)
    assert policy is not None
    return policy


class _Builder:
    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[PolicyProblem] = []

    def problem(self, message: str, line: int | None = None, rule_id: str | None = None,
                field: str | None = None) -> None:  # fmt: skip
        self.problems.append(PolicyProblem(message, self.source, line, rule_id, field))

    def build(self, data: Any) -> Policy | None:
        try:
            document = to_plain_json(data)
        except ValueError as exc:
            self.problem(str(exc))
            return None
        if data is None:
            self.problem("policy is empty (no rules, only comments or nothing)")
            return None
        if isinstance(data, list):
            data = {"rules": data}
        if not isinstance(data, dict):
            self.problem(f"a policy is a mapping with 'rules' or a list of rules, got "
                         f"{type(data).__name__}", line_of(data))  # fmt: skip
            return None
        for key in sorted(set(data) - TOP_FIELDS):
            self.problem(f"unknown top-level field {key!r}; expected one of "
                         f"{', '.join(sorted(TOP_FIELDS))}", line_of(data, key), field=key)  # fmt: skip
        if data.get("version", 1) != 1:
            self.problem(f"unsupported policy version {data.get('version')!r}; expected 1",
                         line_of(data, "version"), field="version")  # fmt: skip
        name = data.get("name")
        if name is not None and not isinstance(name, str):
            self.problem("expected a string", line_of(data, "name"), field="name")
            name = None
        raw_rules = self._flatten(data)
        rules = self._rules(raw_rules)
        agents = self._agents(data.get("agents"), line_of(data, "agents"))
        tools = self._tools(data.get("tools"), line_of(data, "tools"))
        if not raw_rules and not agents and not self.problems:
            self.problem("policy has no rules (everything would be denied); add at least one rule",
                         line_of(data))  # fmt: skip
        return Policy(
            tuple(rules), agents, document, content_hash(document), self.source, name, tools
        )

    # -- rule lists ------------------------------------------------------------------------------

    def _flatten(self, data: dict[str, Any]) -> list[tuple[Any, Decision | None, str | None]]:
        """(raw rule, effect given by a seed policy type, id prefix) in evaluation order."""
        if "rules" in data and "policies" in data:
            self.problem("use either 'rules' (native) or 'policies' (seed typed policies), not both",
                         line_of(data, "policies"), field="policies")  # fmt: skip
        if "policies" in data:
            return self._seed_policies(data["policies"], line_of(data, "policies"))
        rules = data.get("rules", [])
        if not isinstance(rules, list):
            self.problem(f"expected a list of rules, got {type(rules).__name__}",
                         line_of(data, "rules"), field="rules")  # fmt: skip
            return []
        return [(rule, None, None) for rule in rules]

    def _seed_policies(
        self, policies: Any, line: int | None
    ) -> list[tuple[Any, Decision | None, str | None]]:
        if not isinstance(policies, list):
            self.problem("expected a list of policies", line, field="policies")
            return []
        out: list[tuple[Any, Decision | None, str | None]] = []
        for index, item in enumerate(policies, 1):
            where = line_of(item) or line
            if not isinstance(item, dict):
                self.problem(f"policy #{index}: expected a mapping", where)
                continue
            for key in sorted(set(item) - SEED_POLICY_FIELDS):
                self.problem(
                    f"policy #{index}: unknown field {key!r}", line_of(item, key), field=key
                )
            kind = str(item.get("type", "")).upper()
            effect = SEED_POLICY_TYPES.get(kind)
            if effect is None:
                self.problem(f"policy #{index}: unknown type {item.get('type')!r}; expected one of "
                             f"{', '.join(SEED_POLICY_TYPES)}", line_of(item, "type"), field="type")  # fmt: skip
                continue
            if item.get("enabled", True) is False:
                continue
            prefix = str(item.get("name") or f"policy-{index}")
            rules = item.get("rules", [])
            if not isinstance(rules, list):
                self.problem(f"policy {prefix!r}: expected a list of rules", line_of(item, "rules"))
                continue
            shared_limit = item.get("rate_limit")
            if kind == "RATE_LIMIT" and shared_limit is None and not rules:
                self.problem(f"policy {prefix!r}: a RATE_LIMIT policy needs rate_limit", where)
            for rule in rules:
                if kind == "RATE_LIMIT" and isinstance(rule, dict) and "rate_limit" not in rule:
                    rule = {**rule, "rate_limit": shared_limit}
                out.append((rule, effect, prefix))
        return out

    def _rules(self, raw_rules: list[tuple[Any, Decision | None, str | None]]) -> list[Rule]:
        rules: list[Rule] = []
        seen: dict[str, int | None] = {}
        for order, (raw, type_effect, prefix) in enumerate(raw_rules):
            rule = self._rule(raw, order, type_effect, prefix)
            if rule is None:
                continue
            if rule.id in seen:
                first = seen[rule.id]
                self.problem(f"duplicate rule id (first defined{f' on line {first}' if first else ''})",
                             rule.line, rule.id, "id")  # fmt: skip
                continue
            seen[rule.id] = rule.line
            rules.append(rule)
        return rules

    def _rule(
        self, raw: Any, order: int, type_effect: Decision | None, prefix: str | None
    ) -> Rule | None:
        line = line_of(raw)
        fallback_id = f"{prefix}.{order + 1}" if prefix else f"rule-{order + 1}"
        if not isinstance(raw, dict):
            self.problem(f"rule #{order + 1}: expected a mapping, got {type(raw).__name__}", line)
            return None
        rule_id = raw.get("id", fallback_id)
        if not isinstance(rule_id, str) or not rule_id:
            self.problem(
                "rule id must be a non-empty string", line_of(raw, "id"), fallback_id, "id"
            )
            rule_id = fallback_id
        count = len(self.problems)

        def bad(field: str, message: str) -> None:
            self.problem(message, line_of(raw, field), rule_id, field)

        for key in sorted(set(raw) - RULE_FIELDS):
            hint = _closest(key, RULE_FIELDS)
            bad(key, f"unknown field{f'; did you mean {hint!r}?' if hint else ''}")
        effect = self._effect(raw, type_effect, bad)
        patterns = {f: self._patterns(raw.get(f), f, bad) for f in ("actor", "action", "target")}
        condition = None
        if raw.get("when") is not None:
            try:
                condition = compile_condition(raw["when"])
            except ConditionError as exc:
                bad("when", f"CEL condition {exc}")
        min_authority = raw.get("min_authority")
        if min_authority is not None and (
            type(min_authority) is not int or not 1 <= min_authority <= 5
        ):
            bad("min_authority", f"expected an integer 1..5, got {min_authority!r}")
        reason = raw.get("reason")
        if reason is not None and not isinstance(reason, str):
            bad("reason", "expected a string")
        never = raw.get("never_auto_approve", False)
        if not isinstance(never, bool):
            bad("never_auto_approve", f"expected true or false, got {never!r}")
        limit = self._rate_limit(raw.get("rate_limit"), bad)
        analyze = self._analyze(raw.get("analyze"), bad)
        timeout = None
        if raw.get("approval_timeout") is not None:
            try:
                timeout = parse_duration(raw["approval_timeout"])
            except ValueError as exc:
                bad("approval_timeout", str(exc))
        if len(self.problems) > count or effect is None:
            return None
        return Rule(
            id=rule_id, order=order, effect=effect, actor=patterns["actor"],
            action=patterns["action"], target=patterns["target"], condition=condition,
            reason=reason, min_authority=min_authority, never_auto_approve=never,
            rate_limit=limit, analyze=analyze, approval_timeout_seconds=timeout, line=line,
        )  # fmt: skip

    def _effect(
        self, raw: dict[str, Any], type_effect: Decision | None, bad: Callable[[str, str], None]
    ) -> Decision | None:
        if "effect" in raw and "decision" in raw:
            bad("decision", "give either 'effect' or its alias 'decision', not both")
            return None
        field = "effect" if "effect" in raw else "decision"
        if field not in raw:
            if type_effect is None:
                bad("effect", "missing field 'effect' (ALLOW, DENY or ASK)")
            return type_effect
        try:
            return Decision.parse(raw[field])
        except ValueError as exc:
            bad(field, str(exc))
            return None

    def _patterns(
        self, value: Any, field: str, bad: Callable[[str, str], None]
    ) -> tuple[Pattern, ...]:
        if value is None:
            return (ANY,)
        items = value if isinstance(value, list) else [value]
        if not items:
            bad(field, "empty list of patterns matches nothing; leave the field out to match any")
            return (ANY,)
        out = []
        for item in items:
            try:
                out.append(compile_pattern(item))
            except PatternError as exc:
                bad(field, f"bad pattern: {exc}")
        return tuple(out)

    def _rate_limit(self, value: Any, bad: Callable[[str, str], None]) -> RateLimit | None:
        if value is None:
            return None
        if not isinstance(value, dict):
            bad("rate_limit", "expected a mapping with max, window and per")
            return None
        unknown = sorted(set(value) - RATE_LIMIT_FIELDS)
        if unknown:
            bad("rate_limit", f"unknown field(s) {', '.join(unknown)}; expected max, window, per")
        maximum = value.get("max")
        if type(maximum) is not int or maximum < 1:
            bad("rate_limit", f"max must be a positive integer, got {maximum!r}")
        window = None
        if value.get("window") is not None:
            try:
                window = parse_duration(value["window"])
            except ValueError as exc:
                bad("rate_limit", f"window: {exc}")
        per = value.get("per", "actor")
        if per not in RATE_LIMIT_SCOPES:
            bad("rate_limit", f"per must be one of {', '.join(RATE_LIMIT_SCOPES)}, got {per!r}")
        if type(maximum) is not int or maximum < 1 or per not in RATE_LIMIT_SCOPES:
            return None
        return RateLimit(maximum, window, per)

    def _analyze(self, value: Any, bad: Callable[[str, str], None]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            bad(
                "analyze",
                f"expected a mapping of analyzer name to options ({', '.join(sorted(ANALYZERS))})",
            )
            return {}
        for name in sorted(set(value) - ANALYZERS):
            bad(
                "analyze",
                f"unknown analyzer {name!r}; expected one of {', '.join(sorted(ANALYZERS))}",
            )
        for name, options in value.items():
            if options is not None and not isinstance(options, dict):
                bad("analyze", f"options of analyzer {name!r} must be a mapping")
            elif name in ANALYZER_OPTIONS:
                for key in sorted(set(options or {}) - ANALYZER_OPTIONS[name]):
                    expected = ", ".join(sorted(ANALYZER_OPTIONS[name]))
                    bad(
                        "analyze", f"analyzer {name!r}: unknown option {key!r}; expected {expected}"
                    )
        if "path" in value and not (value["path"] or {}).get("roots"):
            bad("analyze", "analyzer 'path' needs roots: the folders the path must stay inside")
        return {name: dict(options or {}) for name, options in value.items()}

    def _agents(self, value: Any, line: int | None) -> dict[str, AgentAllowlist]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.problem("expected a mapping of agent id to {tools: [...]}", line, field="agents")
            return {}
        agents: dict[str, AgentAllowlist] = {}
        for agent_id, spec in value.items():
            where = line_of(value, agent_id)
            if not isinstance(spec, dict):
                self.problem(f"agent {agent_id!r}: expected a mapping with 'tools'", where)
                continue
            for key in sorted(set(spec) - AGENT_FIELDS):
                self.problem(
                    f"agent {agent_id!r}: unknown field {key!r}", line_of(spec, key), field=key
                )
            tools = spec.get("tools")
            if not isinstance(tools, list) or not all(isinstance(t, str) for t in tools):
                self.problem(f"agent {agent_id!r}: tools must be a list of action names or patterns",
                             line_of(spec, "tools") or where, field="tools")  # fmt: skip
                continue
            try:
                agents[agent_id] = AgentAllowlist(
                    agent_id, tuple(compile_pattern(t) for t in tools)
                )
            except PatternError as exc:
                self.problem(f"agent {agent_id!r}: bad pattern: {exc}", line_of(spec, "tools"))
        return agents

    def _tools(self, value: Any, line: int | None) -> tuple[ToolMapping, ...]:
        if value is None:
            return ()
        if not isinstance(value, dict):
            self.problem(
                "expected a mapping of tool name (or glob) to {target: ARGUMENT}",
                line,
                field="tools",
            )
            return ()
        out = []
        for name, spec in value.items():
            where = line_of(value, name)
            if not isinstance(spec, dict):
                self.problem(
                    f"tool {name!r}: expected a mapping like {{target: path}}", where, field="tools"
                )
                continue
            for key in sorted(set(spec) - TOOL_FIELDS):
                self.problem(f"tool {name!r}: unknown field {key!r}", line_of(spec, key), field=key)
            target = spec.get("target")
            if target is not None and (not isinstance(target, str) or not target):
                self.problem(
                    f"tool {name!r}: target must name an argument", line_of(spec, "target")
                )
                continue
            try:
                out.append(ToolMapping(compile_pattern(name), target))
            except PatternError as exc:
                self.problem(f"tool {name!r}: bad pattern: {exc}", where, field="tools")
        return tuple(out)


def to_plain_json(value: Any, path: str = "$") -> Any:
    """Plain dicts/lists/scalars for hashing and the ledger; ValueError for anything not JSON."""
    if value is None or isinstance(value, (bool, int, float, str)):
        if isinstance(value, float) and value != value:
            raise ValueError(f"{path}: NaN is not a JSON value")
        return value
    if isinstance(value, dict):
        return {str(k): to_plain_json(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_plain_json(v, f"{path}[{i}]") for i, v in enumerate(value)]
    raise ValueError(f"{path}: a {type(value).__name__} value is not JSON; quote it as a string")


def _closest(word: str, choices: frozenset[str]) -> str | None:
    import difflib

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None
