"""Running one allowed action: time it, redact what it returns, record the receipt, failures too."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from guardian.core.record import DecisionRecord

if TYPE_CHECKING:
    from guardian.facade import Guardian


def redacted(value: Any) -> tuple[Any, list[dict[str, str]]]:
    """The value with secrets and PII replaced, and which fields were touched (never the values)."""
    from guardian.analyzers import redact

    result = redact(value)
    return result.value, [{"path": r.path, "code": r.code} for r in result.redactions]


class Execution:
    """Brackets one execution of an allowed decision; `finish` or `fail` records its receipt."""

    def __init__(self, guardian: Guardian, record: DecisionRecord) -> None:
        self._guardian = guardian
        self.record = record
        self.started_at = guardian.clock.now_iso()

    def finish(self, result: Any) -> Any:
        clean, redactions = redacted(result)
        self._guardian.record_receipt(
            self.record.decision_id, "success", output=clean, started_at=self.started_at,
            finished_at=self._guardian.clock.now_iso(), redactions=redactions,
        )  # fmt: skip
        return clean

    def fail(self, error: BaseException) -> None:
        self._guardian.record_receipt(
            self.record.decision_id, "error", output=None, started_at=self.started_at,
            finished_at=self._guardian.clock.now_iso(), error_type=type(error).__name__,
        )  # fmt: skip
