"""`Guardian`: the one object a user creates. It wires policy, ledger and the guard together."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.core.record import DecisionRecord
from guardian.governance.guard import Guard
from guardian.ledger.memory import MemoryLedger
from guardian.ledger.store import Ledger
from guardian.policy.load import load_policy
from guardian.policy.model import Policy
from guardian.policy.ratelimit import MemoryRateCounter

PolicySource = str | Path | dict[str, Any] | list[Any] | Policy


def default_policy_path() -> Path:
    """The packaged example policy (seed 001's rule list format) used when none is given."""
    return Path(str(resources.files("guardian.policy") / "data" / "default_policy.json"))


class Guardian:
    """Decide intents under a policy and record every decision in a hash-chained ledger.

    `policy` is a path (YAML/JSON/TOML), a dict, a list of rules or a loaded Policy; `None` takes
    `GUARDIAN_POLICY` or the packaged default. `ledger` is a Ledger; `None` keeps an in-memory chain.
    """

    def __init__(
        self,
        policy: PolicySource | None = None,
        *,
        ledger: Ledger | None = None,
        clock: Clock = SYSTEM_CLOCK,
    ) -> None:
        self.clock = clock
        self.ledger: Ledger = ledger if ledger is not None else MemoryLedger(clock)
        self._guard = Guard(_as_policy(policy), self.ledger, MemoryRateCounter(), clock=clock)

    @property
    def policy(self) -> Policy:
        return self._guard.policy

    def decide(
        self,
        actor: str,
        action: str,
        target: str | None = "",
        params: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        session_id: str | None = None,
        task_id: str | None = None,
        *,
        principal: Principal | None = None,
    ) -> DecisionRecord:
        """Decide one intent and append the DecisionRecord to the ledger before returning it."""
        intent = Intent.create(actor, action, target, params, metadata, session_id, task_id)
        return self._guard.decide(intent, principal)

    def decide_intent(self, intent: Intent, principal: Principal | None = None) -> DecisionRecord:
        return self._guard.decide(intent, principal)

    def reload(self, policy: PolicySource) -> Policy:
        """Load and swap in a new policy atomically; on error the old policy stays in force."""
        loaded = _as_policy(policy)
        self._guard.reload(loaded)
        return loaded

    def close(self) -> None:
        self.ledger.close()

    def __enter__(self) -> Guardian:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_policy(policy: PolicySource | None) -> Policy:
    if isinstance(policy, Policy):
        return policy
    if policy is None:
        policy = os.environ.get("GUARDIAN_POLICY") or default_policy_path()
    return load_policy(policy)
