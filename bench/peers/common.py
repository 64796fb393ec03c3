"""Shared by bench/decide.py and the peer scripts: per-call timing, the job protocol, `when` parsing.

Standard library only, because it runs inside every peer's venv. A peer script is run as
`python PEER.py JOB.json`; it translates the Guardian rules in the job to its engine, times one call
per sample over the job's intent order, and prints one JSON object on stdout (see `peer_main`).
"""

from __future__ import annotations

import json
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

#: (call(i) -> "ALLOW" | "DENY" | "ASK", info) built from a job; info lands in the peer's report.
Builder = Callable[[dict[str, Any]], tuple[Callable[[int], str], dict[str, Any]]]

_CONJUNCT = re.compile(r"^params\.(\w+)\s*(<=|>=|==|!=|<|>|\bin\b)\s*(.+)$")


def run_timed(
    call: Callable[[int], str],
    order: Sequence[int],
    *,
    max_samples: int,
    budget_s: float,
    warmup: int,
    min_samples: int,
) -> tuple[list[int], dict[int, str]]:
    """Time `call(order[k % len(order)])` once per sample with perf_counter_ns.

    Stops after `max_samples` timed calls, or once `budget_s` is spent and `min_samples` are in.
    The first `warmup` calls are not timed samples. Returns the samples (ns) and the first decision
    seen for each intent index, for the agreement check.
    """
    clock = time.perf_counter_ns
    samples: list[int] = []
    decisions: dict[int, str] = {}
    deadline = clock() + int(budget_s * 1e9)
    size = len(order)
    total = max_samples + warmup
    k = 0
    while k < total:
        index = order[k % size]
        start = clock()
        decision = call(index)
        end = clock()
        if k >= warmup:
            samples.append(end - start)
        if index not in decisions:
            decisions[index] = decision
        k += 1
        if end > deadline and len(samples) >= min_samples:
            break
    return samples, decisions


def parse_when(text: str) -> list[tuple[str, str, Any]]:
    """Split the CEL subset the generator writes (`params.F OP LITERAL` joined by `&&`)."""
    out: list[tuple[str, str, Any]] = []
    for part in text.split("&&"):
        match = _CONJUNCT.match(part.strip())
        if match is None:
            raise ValueError(f"condition outside the translated subset: {text!r}")
        out.append((match.group(1), match.group(2), json.loads(match.group(3))))
    return out


def patterns(value: Any) -> list[str] | None:
    """A rule field as a list of globs, or None when it matches anything."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return None if "*" in items else list(items)


def is_exact(pattern: str) -> bool:
    return "*" not in pattern and "?" not in pattern


def peer_main(engine: str, build: Builder) -> None:
    """Read the job named on the command line, time the engine, print the report as JSON."""
    job = json.loads(Path(sys.argv[1]).read_text())
    started = time.perf_counter()
    call, info = build(job)
    load_s = time.perf_counter() - started
    samples, decisions = run_timed(
        call,
        job["order"],
        max_samples=job["max_samples"],
        budget_s=job["budget_s"],
        warmup=job["warmup"],
        min_samples=job["min_samples"],
    )
    report = {
        "engine": engine,
        "load_s": load_s,
        "samples_ns": samples,
        "decisions": {str(k): v for k, v in decisions.items()},
        **info,
    }
    json.dump(report, sys.stdout)
