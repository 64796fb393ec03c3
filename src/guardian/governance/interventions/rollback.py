"""Auto-rollback: revert what a policy did once its `auto_rollback_after_minutes` have passed.

Each due firing is moved `executed -> rolling_back` by compare-and-set first, so with several
watchdogs one reverts it. An action someone reverted by hand meanwhile is left as it is (noted).
"""

from __future__ import annotations

from collections.abc import Mapping

from guardian.core.errors import GuardianError
from guardian.core.principal import Principal
from guardian.governance.interventions.authority import GUARDIAN, Acting
from guardian.governance.interventions.errors import InterventionConflict
from guardian.governance.interventions.firings import EXECUTED, FAILED, ROLLED_BACK, Firings
from guardian.governance.interventions.policies import InterventionPolicy
from guardian.governance.interventions.service import GuardianService

ROLLING_BACK = "rolling_back"


def roll_back_due(service: GuardianService, firings: Firings,
                  policies: Mapping[str, InterventionPolicy]) -> int:  # fmt: skip
    """Revert every firing whose rollback time has come; return how many were handled."""
    clock = service.clock
    handled = 0
    for firing in firings.due_rollbacks(clock.now_iso()):
        if firing.action_id is None or not firings.move(
            firing.id, EXECUTED, ROLLING_BACK, clock.now_iso()
        ):
            continue
        policy = policies.get(firing.policy)
        authority = max(policy.min_authority if policy else GUARDIAN, GUARDIAN)
        acting = Acting(Principal(f"policy:{firing.policy}", "guardian", authority), authority,
                        f"policy:{firing.policy}", "auto_rollback")  # fmt: skip
        minutes = policy.rollback_after_minutes if policy else None
        after = f" {minutes:g} minutes after the intervention" if minutes else ""
        try:
            service.revert(
                firing.action_id, f"auto-rollback{after} (policy {firing.policy})", acting
            )
            detail = "reverted"
        except InterventionConflict as exc:
            detail = f"not reverted: {exc}"
        except GuardianError as exc:
            firings.move(firing.id, ROLLING_BACK, FAILED, clock.now_iso(), detail=str(exc)[:2000])
            continue
        firings.move(firing.id, ROLLING_BACK, ROLLED_BACK, clock.now_iso(), detail=detail)
        handled += 1
    return handled
