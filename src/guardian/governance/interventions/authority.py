"""Who may intervene: GUARDIAN authority (4) or more, taken from the credential, never a body.

A caller may repeat its own id as `initiated_by` and may use less authority than its credential
has; claiming another id or more authority is refused and written to the ledger (a `security`
entry flagged `impersonation_attempt`, as for decisions). Too little authority is refused and written
too (an `intervention` entry, `refused`). Refusals raise InterventionForbidden (HTTP 403).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from guardian.core.principal import Authority, Principal
from guardian.governance.interventions.errors import InterventionForbidden, InterventionInvalid
from guardian.ledger.store import Ledger

GUARDIAN = int(Authority.GUARDIAN)
IMPERSONATION = "impersonation_attempt"
INSUFFICIENT = "insufficient_authority"
#: How seed 003 names each operation in its refusals.
TITLES = {
    "cancel_task": "Emergency cancellation",
    "reallocate_capacity": "Capacity reallocation",
    "override_priority": "Priority override",
    "revert": "Reverting an intervention",
}


@dataclass(frozen=True, slots=True)
class Acting:
    """The caller of one intervention: its credential, the authority it uses, who initiated it."""

    principal: Principal
    authority: int
    initiated_by: str
    approved_by: str | None = None


def _level(value: int) -> str:
    try:
        return f"{Authority(value).name} (level {value})"
    except ValueError:
        return f"level {value}"


def resolve(ledger: Ledger, operation: str, target: str, principal: Principal | None,
            initiated_by: str | None, authority: int | None) -> Acting:  # fmt: skip
    """Check the caller may perform `operation` on `target`; the Acting to record, or raise."""
    if authority is not None and (not isinstance(authority, int) or isinstance(authority, bool)):
        raise InterventionInvalid(f"authority must be an integer 1..5, got {authority!r}")
    if principal is None:  # an in-process caller: trusted like any code holding the database
        if not initiated_by:
            raise InterventionInvalid("initiated_by is required (or pass principal=)")
        principal = Principal(
            initiated_by, "guardian", GUARDIAN if authority is None else authority
        )
    claimed: dict[str, Any] = {}
    if initiated_by is not None and initiated_by != principal.id:
        claimed["initiated_by"] = initiated_by
    if authority is not None and authority > principal.authority:
        claimed["authority"] = authority
    if claimed:
        ledger.append("security", {"flag": IMPERSONATION, "route": f"intervention {operation}",
                                   "claimed": claimed, "principal": principal.to_dict(),
                                   "target": target})  # fmt: skip
        what = " and ".join(f"{k} {v!r}" for k, v in claimed.items())
        raise InterventionForbidden(f"this credential is {principal.id!r} with authority "
                                    f"{principal.authority}; it may not claim {what} (recorded)",
                                    IMPERSONATION)  # fmt: skip
    used = principal.authority if authority is None else authority
    if used < GUARDIAN:
        ledger.append("intervention", {"event": "refused", "flag": INSUFFICIENT, "operation": operation,
                                       "target": target, "authority": used,
                                       "principal": principal.to_dict()})  # fmt: skip
        title = TITLES.get(operation, operation)
        raise InterventionForbidden(f"{title} requires GUARDIAN authority (level 4), but got "
                                    f"{_level(used)} (recorded)", INSUFFICIENT)  # fmt: skip
    return Acting(principal, used, principal.id)
