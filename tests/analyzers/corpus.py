"""Load the labelled corpora and compare an analyzer's verdicts with their labels."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from guardian.analyzers import Verdict

CORPORA = Path(__file__).parent / "corpora"


def load(name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """(defaults, cases) of corpora/<name>.yaml; case ids must be unique."""
    data = yaml.safe_load((CORPORA / f"{name}.yaml").read_text(encoding="utf-8"))
    cases: list[dict[str, Any]] = data["cases"]
    ids = [c["id"] for c in cases]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate case ids in {name}.yaml: {duplicates}"
    return data.get("defaults", {}), cases


def mismatch(case: dict[str, Any], verdict: Verdict) -> str | None:
    """None when the verdict matches the label, else a one-line explanation."""
    want = (case["decision"], sorted(set(case["codes"])))
    got = (verdict.decision.value, sorted(set(verdict.codes)))
    if want == got:
        return None
    messages = "; ".join(f.message for f in verdict.findings)
    return f"{case['id']}: expected {want[0]} {want[1]}, got {got[0]} {got[1]} ({messages})"


def accuracy_report(
    cases: list[dict[str, Any]], judge: Callable[[dict[str, Any]], Verdict]
) -> tuple[float, list[str]]:
    failures = [m for c in cases if (m := mismatch(c, judge(c))) is not None]
    return 1 - len(failures) / len(cases), failures
