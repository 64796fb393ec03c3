"""Guardian: a governance runtime that stands between a tool-using AI agent and the real world."""

from guardian.core.decision import Decision, Reason
from guardian.core.errors import (
    ApprovalRequired,
    Denied,
    GuardianError,
    IntentError,
    PolicyError,
    PolicyProblem,
)
from guardian.core.intent import Intent
from guardian.core.principal import Authority, Principal
from guardian.core.record import DecisionRecord
from guardian.facade import Guardian
from guardian.policy.load import load_policy
from guardian.policy.model import Policy

__version__ = "0.1.0"

__all__ = [
    "ApprovalRequired",
    "Authority",
    "Decision",
    "DecisionRecord",
    "Denied",
    "Guardian",
    "GuardianError",
    "Intent",
    "IntentError",
    "Policy",
    "PolicyError",
    "PolicyProblem",
    "Principal",
    "Reason",
    "__version__",
    "load_policy",
]
