"""The refusals of the intervention layer; each maps to one HTTP status (see `STATUS`)."""

from __future__ import annotations

from guardian.core.errors import GuardianError
from guardian.governance.registry import RegistryConflict, RegistryError, RegistryNotFound


class InterventionError(GuardianError):
    code = "intervention_error"


class InterventionForbidden(InterventionError, PermissionError):
    """Too little authority, or a claim (initiated_by, authority) the credential does not back."""

    code = "forbidden"

    def __init__(self, message: str, flag: str) -> None:
        super().__init__(message)
        self.flag = flag


class InterventionInvalid(InterventionError, ValueError):
    code = "invalid_request"


class InterventionNotFound(InterventionError, LookupError):
    code = "not_found"


class InterventionConflict(InterventionError):
    """The state does not allow it now (a finished task, an action already reverted)."""

    code = "conflict"


#: HTTP status of each error (subclasses first); the registry's errors included.
STATUS: tuple[tuple[type[GuardianError], int], ...] = (
    (InterventionForbidden, 403),
    (InterventionNotFound, 404),
    (RegistryNotFound, 404),
    (InterventionConflict, 409),
    (RegistryConflict, 409),
    (InterventionInvalid, 422),
    (RegistryError, 422),
)


def status_of(exc: GuardianError) -> int:
    return next((status for kind, status in STATUS if isinstance(exc, kind)), 422)
