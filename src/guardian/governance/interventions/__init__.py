"""Emergency interventions (seed 003): cancel a task, reallocate capacity, override a priority,
revert; intervention policies that trigger them; the audit trail of guardian actions."""

from guardian.governance.interventions.actions import ACTION_TYPES, GuardianAction
from guardian.governance.interventions.authority import Acting
from guardian.governance.interventions.errors import (
    InterventionConflict,
    InterventionError,
    InterventionForbidden,
    InterventionInvalid,
    InterventionNotFound,
)
from guardian.governance.interventions.service import GuardianService

__all__ = [
    "ACTION_TYPES",
    "Acting",
    "GuardianAction",
    "GuardianService",
    "InterventionConflict",
    "InterventionError",
    "InterventionForbidden",
    "InterventionInvalid",
    "InterventionNotFound",
]
