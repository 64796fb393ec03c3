"""The index must return exactly what a full scan in rule order would: a property test."""

from hypothesis import given, settings
from hypothesis import strategies as st

from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.policy.evaluate import CompiledPolicy
from guardian.policy.load import load_policy

NAMES = ["a", "ab", "abc", "b", "db.read", "db.write", "x.y.z", ""]
PATTERNS = ["*", "a*", "ab*", "a?c", "*c", "db.*", "db.*e", "x.*.z", "a", "b", "db.read", "?"]

pattern_field = (
    st.none()
    | st.sampled_from(PATTERNS)
    | st.lists(st.sampled_from(PATTERNS), min_size=1, max_size=3)
)


@st.composite
def rule(draw: st.DrawFn) -> dict:
    out: dict = {"effect": draw(st.sampled_from(["ALLOW", "DENY", "ASK"]))}
    for field in ("actor", "action", "target"):
        value = draw(pattern_field)
        if value is not None:
            out[field] = value
    return out


def naive(rules: list[dict], actor: str, action: str, target: str) -> int | None:
    from fnmatch import fnmatchcase

    def ok(spec: object, value: str) -> bool:
        if spec is None:
            return True
        specs = spec if isinstance(spec, list) else [spec]
        return any(fnmatchcase(value, s) for s in specs)

    for i, r in enumerate(rules):
        if (
            ok(r.get("actor"), actor)
            and ok(r.get("action"), action)
            and ok(r.get("target"), target)
        ):
            return i
    return None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(rule(), min_size=1, max_size=40),
    st.lists(
        st.tuples(st.sampled_from(NAMES[:-1]), st.sampled_from(NAMES[:-1]), st.sampled_from(NAMES)),
        min_size=1,
        max_size=10,
    ),
)
def test_index_agrees_with_a_full_scan(
    rules: list[dict], intents: list[tuple[str, str, str]]
) -> None:
    compiled = CompiledPolicy(load_policy(rules))
    for actor, action, target in intents:
        got = compiled.evaluate(
            Intent.create(actor, action, target), Principal.for_agent(actor), None, 0.0
        )
        expected = naive(rules, actor, action, target)
        assert got.rule_id == (None if expected is None else f"rule-{expected + 1}")


def test_large_buckets_split_and_still_keep_order() -> None:
    rules = [
        {"id": f"r{i}", "actor": f"agent{i}", "action": "tool", "effect": "ALLOW"}
        for i in range(50)
    ]
    rules.insert(25, {"id": "wild", "actor": "agent4*", "action": "tool", "effect": "DENY"})
    compiled = CompiledPolicy(load_policy(rules))

    def decide(actor: str):
        return compiled.evaluate(
            Intent.create(actor, "tool"), Principal.for_agent(actor), None, 0.0
        )

    assert decide("agent3").rule_id == "r3"
    assert decide("agent40").rule_id == "wild"  # r40 comes after the wildcard rule
    assert decide("agent4").rule_id == "r4"  # r4 comes before it
    assert len(compiled.index.candidates("agent7", "tool", "")) <= 3
