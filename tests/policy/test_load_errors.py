"""Every kind of bad policy input fails loading with a precise, located problem; nothing becomes allow."""

from pathlib import Path

import pytest

from guardian import Guardian, PolicyError, load_policy


def problems_of(source: object) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(source)  # type: ignore[arg-type]
    return [str(p) for p in info.value.problems]


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file(tmp_path: Path) -> None:
    [problem] = problems_of(tmp_path / "nope.yaml")
    assert "nope.yaml" in problem and "not found" in problem


def test_missing_file_does_not_become_deny_all(tmp_path: Path) -> None:
    with pytest.raises(PolicyError):
        Guardian(tmp_path / "nope.yaml")


@pytest.mark.parametrize("text", ["", "   \n\n", "# only a comment\n"])
def test_empty_file(tmp_path: Path, text: str) -> None:
    [problem] = problems_of(write(tmp_path, "p.yaml", text))
    assert "empty" in problem


def test_yaml_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "rules:\n  - id: a\n    effect: ALLOW\n  - id: [b\n")
    [problem] = problems_of(path)
    assert problem.startswith(f"{path}:") and "YAML syntax error" in problem
    assert ":4" in problem or ":5" in problem


def test_unknown_effect_names_file_line_rule(tmp_path: Path) -> None:
    path = write(
        tmp_path, "p.yaml", "rules:\n  - id: ok\n    effect: ALLOW\n  - id: r2\n    effect: maybe\n"
    )
    [problem] = problems_of(path)
    assert f"{path}:5" in problem and "'r2'" in problem and "maybe" in problem


def test_lower_case_effect_is_accepted() -> None:
    policy = load_policy([{"action": "x", "effect": "allow"}])
    assert policy.rules[0].effect == "ALLOW"


def test_typo_field_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "rules:\n  - id: r1\n    acton: read\n    effect: ALLOW\n")
    [problem] = problems_of(path)
    assert f"{path}:3" in problem and "'acton'" in problem and "did you mean 'action'" in problem


def test_cel_that_does_not_compile(tmp_path: Path) -> None:
    path = write(
        tmp_path, "p.yaml", "rules:\n  - id: r1\n    when: 'params.amount >'\n    effect: ALLOW\n"
    )
    [problem] = problems_of(path)
    assert "'r1'" in problem and "when" in problem and "does not compile" in problem


def test_cel_with_unknown_variable() -> None:
    [problem] = problems_of([{"id": "r", "when": "amount > 3", "effect": "ALLOW"}])
    assert "unknown variable(s) amount" in problem


def test_duplicate_ids_and_all_problems_reported_together(tmp_path: Path) -> None:
    text = (
        "rules:\n"
        "  - {id: a, effect: ALLOW}\n"
        "  - {id: a, effect: DENY}\n"
        "  - {id: b, effect: nope}\n"
        "  - {id: c, action: '[x]', effect: ALLOW}\n"
        "  - {id: d, min_authority: 9, effect: ALLOW}\n"
        "  - {id: e, rate_limit: {max: 0, window: soon}, effect: ALLOW}\n"
    )
    problems = problems_of(write(tmp_path, "p.yaml", text))
    joined = "\n".join(problems)
    assert len(problems) == 6, joined
    assert ":3: rule 'a'" in joined and "duplicate rule id (first defined on line 2)" in joined
    assert "'b'" in joined and "'c'" in joined and "only * and ? are wildcards" in joined
    assert "integer 1..5" in joined and "max must be a positive integer" in joined
    assert "window" in joined


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"effect": 3}, "expected one of"),
        ({"effect": "ALLOW", "actor": 5}, "expected a string pattern"),
        ({"effect": "ALLOW", "action": ""}, "empty pattern"),
        ({"effect": "ALLOW", "action": []}, "empty list of patterns"),
        ({"effect": "ALLOW", "never_auto_approve": "yes"}, "true or false"),
        ({"effect": "ALLOW", "reason": ["x"]}, "expected a string"),
        ({"effect": "ALLOW", "analyze": {"dns": {}}}, "unknown analyzer 'dns'"),
        ({"effect": "ALLOW", "when": 7}, "expected a CEL expression string"),
        ({"action": "x"}, "missing field 'effect'"),
        ({"effect": "ALLOW", "decision": "DENY"}, "not both"),
        ({"id": "", "effect": "ALLOW"}, "non-empty string"),
    ],
)
def test_wrong_types(rule: dict, expected: str) -> None:
    assert any(expected in p for p in problems_of([rule]))


def test_not_a_mapping_or_list() -> None:
    assert (
        "got str" in problems_of({"rules": "all"})[0]
        or "expected a list" in problems_of({"rules": "all"})[0]
    )


def test_unknown_top_level_field() -> None:
    assert "unknown top-level field 'rulez'" in problems_of({"rulez": []})[0]


def test_json_errors_name_the_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.json",
        '[\n  {"id": "a", "effect": "ALLOW"},\n  {"id": "b", "effect": "sometimes"}\n]\n',
    )
    [problem] = problems_of(path)
    assert f"{path}:3" in problem and "'b'" in problem
    broken = write(tmp_path, "q.json", '[\n  {"id": "a",, "effect": "ALLOW"}\n]')
    assert f"{broken}:2" in problems_of(broken)[0]


def test_json_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "p.json", '[{"id": "a", "effect": "ALLOW", "effect": "DENY"}]')
    assert "duplicate key 'effect'" in problems_of(path)[0]


def test_yaml_duplicate_keys_are_errors(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "rules:\n  - id: a\n    effect: ALLOW\n    effect: DENY\n")
    assert "duplicate key 'effect'" in problems_of(path)[0]


def test_toml_errors_name_the_rule_header_line(tmp_path: Path) -> None:
    text = '[[rules]]\nid = "a"\neffect = "ALLOW"\n\n[[rules]]\nid = "b"\neffect = "perhaps"\n'
    path = write(tmp_path, "p.toml", text)
    [problem] = problems_of(path)
    assert f"{path}:5" in problem and "'b'" in problem
    bad = write(tmp_path, "q.toml", "[[rules]\n")
    assert "TOML syntax error" in problems_of(bad)[0]


def test_yaml_dates_are_not_silently_strings(tmp_path: Path) -> None:
    path = write(
        tmp_path, "p.yaml", "rules:\n  - id: a\n    target: 2024-01-01\n    effect: ALLOW\n"
    )
    assert "not JSON" in problems_of(path)[0]


def test_unknown_suffix_and_directory(tmp_path: Path) -> None:
    assert "unknown policy file type" in problems_of(write(tmp_path, "p.txt", "x"))[0]
    assert "directory" in problems_of(tmp_path)[0]


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_bytes(b"rules:\n  - id: \xff\n")
    assert "not UTF-8" in problems_of(path)[0]


def test_unicode_names_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        "rules:\n  - id: règle-1\n    actor: агент\n    action: 送信\n    effect: ALLOW\n",
    )
    g = Guardian(path)
    assert g.decide(actor="агент", action="送信").decision == "ALLOW"
    assert g.decide(actor="агент2", action="送信").decision == "DENY"


def test_error_message_lists_every_problem() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy([{"id": "a", "effect": "x"}, {"id": "b", "effect": "y"}])
    assert "2 problems" in str(info.value)
