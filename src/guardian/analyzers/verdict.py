"""What an analyzer returns: a decision and the findings that justify it.

Analyzers are pure functions from input to `Verdict`. A verdict's decision is never
looser than its strictest finding, so a caller may trust `verdict.decision` alone and
show `verdict.findings` to a human. `guarded` turns an unexpected exception inside an
analyzer into a DENY, because a governance check that crashes must not let the action
through.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, ParamSpec

from guardian.core.decision import Decision, Reason, strictest

__all__ = ["ALLOW", "ANALYZER_ERROR", "Finding", "Verdict", "analyzer_failed", "guarded"]

#: Code of the finding produced when an analyzer itself fails.
ANALYZER_ERROR = "analyzer_error"

_P = ParamSpec("_P")


@dataclass(frozen=True, slots=True)
class Finding:
    """One reason for a verdict: a stable snake_case code, a message safe to log, a decision.

    Messages never quote the offending secret; they say what kind it is and where.
    """

    code: str
    message: str
    decision: Decision

    @classmethod
    def deny(cls, code: str, message: str) -> Finding:
        return cls(code, message, Decision.DENY)

    @classmethod
    def ask(cls, code: str, message: str) -> Finding:
        return cls(code, message, Decision.ASK)

    def to_reason(self) -> Reason:
        """The finding as a core `Reason`, for callers that speak only codes and messages."""
        return Reason(self.code, self.message)

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "decision": self.decision.value}


@dataclass(frozen=True, slots=True)
class Verdict:
    """An analyzer's outcome; build it with `Verdict.of` so the decision follows the findings."""

    decision: Decision
    findings: tuple[Finding, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.findings, tuple):
            object.__setattr__(self, "findings", tuple(self.findings))
        if self.findings:
            floor = strictest(*(f.decision for f in self.findings))
            if self.decision.strictness < floor.strictness:
                raise ValueError(f"decision {self.decision} is looser than its findings ({floor})")

    @classmethod
    def of(cls, findings: Iterable[Finding] = ()) -> Verdict:
        """The verdict whose decision is the strictest finding's; no findings means ALLOW.

        Duplicate findings (same code and message) are kept once, first occurrence first.
        """
        unique = tuple(dict.fromkeys(findings))
        if not unique:
            return cls(Decision.ALLOW, ())
        return cls(strictest(*(f.decision for f in unique)), unique)

    @classmethod
    def deny(cls, code: str, message: str) -> Verdict:
        return cls(Decision.DENY, (Finding.deny(code, message),))

    @property
    def codes(self) -> tuple[str, ...]:
        """Finding codes in order, for terse assertions and logs."""
        return tuple(f.code for f in self.findings)

    @property
    def allowed(self) -> bool:
        return self.decision is Decision.ALLOW

    def reasons(self) -> tuple[Reason, ...]:
        return tuple(f.to_reason() for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {"decision": self.decision.value, "findings": [f.to_dict() for f in self.findings]}


def guarded(analyzer: str) -> Callable[[Callable[_P, Verdict]], Callable[_P, Verdict]]:
    """Wrap an analyzer so any exception becomes DENY `analyzer_error` (fail closed).

    Only `Exception` is caught: KeyboardInterrupt and SystemExit still stop the process.
    The message names the exception type but not its text, which may quote the input.
    """

    def decorate(func: Callable[_P, Verdict]) -> Callable[_P, Verdict]:
        @functools.wraps(func)
        def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> Verdict:
            try:
                return func(*args, **kwargs)
            except Exception as exc:  # failing closed is the point
                return analyzer_failed(analyzer, exc)

        return wrapper

    return decorate


def analyzer_failed(analyzer: str, exc: Exception) -> Verdict:
    """DENY `analyzer_error`, naming the exception type but not its text."""
    return Verdict.deny(ANALYZER_ERROR, f"{analyzer} analyzer failed with {type(exc).__name__}")


#: The verdict of a check with nothing to report.
ALLOW = Verdict(Decision.ALLOW, ())
