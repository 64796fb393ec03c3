"""Building the intervention engine in a process that has only the database: `guardian watchdog`.

    engine = open_intervention_engine(state.engine, state.ledger, state.clock, "guardian_policies/")
    Watchdog(..., interventions=engine)

Loads and checks the policies (PolicyError with file and line before anything runs), opens the
event bus (Redis when GUARDIAN_REDIS_URL is set) and, when channels are configured (a file or
GUARDIAN_CHANNEL_* variables), delivers notifications to them from this process.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from guardian.core.clock import Clock
from guardian.events.channels import load_channels
from guardian.events.hub import open_hub
from guardian.events.webhooks import WebhookSender
from guardian.governance.approvals import Approvals
from guardian.governance.interventions.engine import InterventionEngine
from guardian.governance.interventions.policies import load_policies
from guardian.governance.interventions.service import GuardianService
from guardian.governance.proposals import ProposalStore
from guardian.ledger.store import Ledger


def open_intervention_engine(engine: Engine, ledger: Ledger, clock: Clock, policies: Path | str,
                             channels: Path | str | None = None) -> InterventionEngine:  # fmt: skip
    loaded = load_policies(policies)
    hub = open_hub(engine, ledger, clock)
    configured = load_channels(channels)
    if configured:
        WebhookSender(configured).attach(hub)
    service = GuardianService(engine, ledger, clock, events=hub)
    return InterventionEngine(service, Approvals(ProposalStore(engine), ledger, clock), loaded)
