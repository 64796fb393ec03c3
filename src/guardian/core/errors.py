"""The errors Guardian raises; each names what went wrong and where."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from guardian.core.decision import Reason


class GuardianError(Exception):
    """Base of every error Guardian raises on purpose."""

    code = "guardian_error"


class IntentError(GuardianError, ValueError):
    """An intent that cannot be decided: wrong types, non-JSON values, too large."""

    code = "invalid_intent"


@dataclass(frozen=True, slots=True)
class PolicyProblem:
    """One problem found while loading a policy: where it is and what was expected."""

    message: str
    file: str | None = None
    line: int | None = None
    rule_id: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.file or "<policy>"
        if self.line is not None:
            where += f":{self.line}"
        parts = [where]
        if self.rule_id is not None:
            parts.append(f"rule {self.rule_id!r}")
        if self.field is not None:
            parts.append(f"field {self.field!r}")
        return ": ".join(parts) + f": {self.message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "rule_id": self.rule_id,
            "field": self.field,
            "message": self.message,
        }


class PolicyError(GuardianError):
    """A policy that does not load. Carries every problem found, not just the first."""

    code = "policy_invalid"

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"policy invalid ({count} problem{'s' if count != 1 else ''}):\n{lines}")


class NotPermitted(GuardianError, PermissionError):
    """Base of the two ways an action is stopped before it runs."""

    def __init__(self, message: str, record: Any, reasons: tuple[Reason, ...]) -> None:
        super().__init__(message)
        self.record = record
        self.reasons = reasons


class Denied(NotPermitted):
    """The verdict was DENY: nothing ran."""

    code = "denied"


class ApprovalRequired(NotPermitted):
    """The verdict was ASK: a human must approve the proposal before the action may run."""

    code = "approval_required"

    def __init__(
        self, message: str, record: Any, reasons: tuple[Reason, ...], proposal_id: str | None
    ) -> None:
        super().__init__(message, record, reasons)
        self.proposal_id = proposal_id
