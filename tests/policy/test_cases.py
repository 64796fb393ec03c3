"""The YAML case files under tests/cases/ run here too, so `guardian policy test` and pytest agree."""

from pathlib import Path

import pytest

from guardian.policy.cases import CasesError, load_cases, run_cases
from guardian.policy.load import load_policy

CASES = sorted((Path(__file__).parents[1] / "cases").glob("*.yaml"))


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_case_file(path: Path) -> None:
    cases = load_cases(path)
    assert cases.policy_path is not None
    results = run_cases(load_policy(cases.policy_path), cases.cases)
    failures = [f"{r.case.name}: {'; '.join(r.failures)}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)
    assert len(results) >= 10


def test_a_wrong_expectation_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "cases:\n  - name: wrong\n    intent: {actor: a, action: x}\n    expect: {decision: ALLOW, rule: r}\n"
    )
    [result] = run_cases(
        load_policy([{"id": "other", "action": "y", "effect": "ALLOW"}]), load_cases(path).cases
    )
    assert not result.passed
    assert result.failures == ["decision: expected ALLOW, got DENY", "rule: expected 'r', got None"]


def test_malformed_cases_are_errors(tmp_path: Path) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "cases:\n  - name: bad\n    intent: {actor: a, action: x, colour: red}\n    expect: {decision: ALLOW}\n"
    )
    with pytest.raises(CasesError, match="colour"):
        load_cases(path)
