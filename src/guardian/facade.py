"""`Guardian`: the one object a user creates. It wires policy, ledger, approvals and the guard."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from guardian.core.clock import SYSTEM_CLOCK, Clock
from guardian.core.decision import Decision
from guardian.core.errors import ApprovalRequired, Denied
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.core.record import DecisionRecord
from guardian.governance.analysis import ANALYZER_CHECK
from guardian.governance.approvals import Approvals
from guardian.governance.budget import Budgets
from guardian.governance.credentials import Credentials, load_or_create_fernet_key
from guardian.governance.guard import Guard
from guardian.governance.pause import PauseBoard
from guardian.governance.proposals import Proposal, ProposalStore
from guardian.governance.receipts import ReceiptReport, record_receipt, verify_receipts
from guardian.governance.replay import ReplayReport, replay
from guardian.governance.sessions import ScopeRegistry, Session
from guardian.ledger.entry import Entry
from guardian.ledger.keys import KEY_ENV, load_or_create_signing_key
from guardian.ledger.memory import MemoryLedger
from guardian.ledger.store import Ledger
from guardian.ledger.verify import VerifyReport, verify_entries
from guardian.policy.load import load_policy
from guardian.policy.model import Policy
from guardian.policy.ratelimit import MemoryRateCounter
from guardian.storage.engine import MEMORY_URL, ensure_tables, open_engine
from guardian.storage.tables import metadata

if TYPE_CHECKING:
    from guardian.events.hub import EventHub
    from guardian.governance.interventions.service import GuardianService

DEFAULT_KEY_PATH = Path(".guardian") / "signing.key"
_LAZY = threading.RLock()  # issue 7: guards the lazy `events` and `interventions`
PolicySource = str | Path | dict[str, Any] | list[Any] | Policy
F = TypeVar("F", bound=Callable[..., Any])


def default_policy_path() -> Path:
    """The packaged example policy (seed 001's rule list format) used when none is given."""
    return Path(str(resources.files("guardian.policy") / "data" / "default_policy.json"))


class Guardian:
    """Decide intents under a policy and record every decision in a hash-chained ledger.

    `policy` is a path (YAML/JSON/TOML), a dict, a list of rules or a loaded Policy; `None` takes
    `GUARDIAN_POLICY` or the packaged default. `ledger` is a Ledger, or a URL (`memory://`,
    `sqlite:///path.db`, `postgresql://...`; "" means `GUARDIAN_DATABASE_URL` or
    `.guardian/guardian.db`); `None` keeps an in-memory chain. `state` is the database URL for
    proposals and other shared state: by default the ledger's URL, or in memory.
    `agent_id` is the actor of intents raised through `tool` and `authorize` when none is named.
    """

    def __init__(
        self,
        policy: PolicySource | None = None,
        *,
        ledger: Ledger | str | None = None,
        state: str | None = None,
        clock: Clock = SYSTEM_CLOCK,
        agent_id: str = "agent",
        signing_key: Path | Ed25519PrivateKey | None = None,
    ) -> None:
        self.clock = clock
        self.agent_id = agent_id
        if isinstance(ledger, str):
            from guardian.ledger.open import open_ledger, resolve_url, sqlite_path

            ledger_url = resolve_url(ledger)
            db_file = sqlite_path(ledger_url)
            if (
                signing_key is None and db_file is not None
            ):  # one key per database: checkpoints and bundles
                signing_key = db_file.parent / "signing.key"
            self.ledger: Ledger = open_ledger(ledger_url, clock=clock, signing_key=signing_key)
            state = state or ledger_url
        else:
            self.ledger = ledger if ledger is not None else MemoryLedger(clock)
        state = state or MEMORY_URL
        engine = open_engine(state)
        if state == MEMORY_URL:
            ensure_tables(engine, metadata)
        self.approvals = Approvals(ProposalStore(engine), self.ledger, clock)
        self.pauses = PauseBoard(engine, self.ledger, clock)
        self.approvals.paused = self.pauses.reason
        self.budgets = Budgets(engine, self.ledger, clock, self.pauses)
        self._engine = engine
        self.scopes = ScopeRegistry()
        self._signing_key_path = signing_key
        self._signing_key: Ed25519PrivateKey | None = None
        self._guard = Guard(
            _as_policy(policy), self.ledger, MemoryRateCounter(),
            checks=[ANALYZER_CHECK, self.scopes.as_check()], clock=clock, approvals=self.approvals,
            gate=self.pauses.gate, reserve=self.budgets.reserve_intent,
        )  # fmt: skip

    @property
    def policy(self) -> Policy:
        return self._guard.policy

    # -- deciding ---------------------------------------------------------------------------------

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

    def authorize(self, action: str, target: str | None = "", params: dict[str, Any] | None = None,
                  *, actor: str | None = None, **fields: Any) -> DecisionRecord:  # fmt: skip
        """Decide and return the record if ALLOW; raise Denied or ApprovalRequired otherwise."""
        record = self.decide(actor or self.agent_id, action, target, params, **fields)
        raise_unless_allowed(record)
        return record

    def tool(self, action: str | None = None, *, target: Any = None,
             actor: str | None = None) -> Callable[[F], F]:  # fmt: skip
        """Decorator: each call of the function is decided first and runs only on ALLOW."""
        from guardian.runtime.tool import governed

        return governed(self, action=action, target=target, actor=actor)

    def reload(self, policy: PolicySource) -> Policy:
        """Load and swap in a new policy atomically; on error the old policy stays in force."""
        loaded = _as_policy(policy)
        self._guard.reload(loaded)
        return loaded

    @functools.cached_property
    def credentials(self) -> Credentials:
        """One-shot credentials; the encryption key is loaded (or created) on first use."""
        key = load_or_create_fernet_key(Path(".guardian") / "secret.key")
        return Credentials(self._engine, self.ledger, self.clock, key)

    # -- interventions and events (issue 7) -------------------------------------------------------

    @functools.cached_property
    def events(self) -> EventHub:
        """The event bus: in-process, or Redis when GUARDIAN_REDIS_URL is set (guardian.events)."""
        from guardian.events.hub import open_hub

        with _LAZY:  # one hub (one relay) even if two threads ask first at once
            if "events" not in self.__dict__:
                self.__dict__["events"] = open_hub(self._engine, self.ledger, self.clock)
            hub: EventHub = self.__dict__["events"]
            return hub

    @functools.cached_property
    def interventions(self) -> GuardianService:
        """Seed 003's GuardianService over this store; its registry is `.registry`."""
        from guardian.governance.interventions.service import GuardianService

        events = self.events
        with _LAZY:
            if "interventions" not in self.__dict__:
                self.__dict__["interventions"] = GuardianService(
                    self._engine, self.ledger, self.clock, events=events
                )
            service: GuardianService = self.__dict__["interventions"]
            return service

    # -- approvals --------------------------------------------------------------------------------

    def approve(self, proposal_id: str, approver: Principal, reason: str = "") -> Proposal:
        return self.approvals.approve(proposal_id, approver, reason)

    def reject(self, proposal_id: str, approver: Principal, reason: str = "") -> Proposal:
        return self.approvals.reject(proposal_id, approver, reason)

    def proposal(self, proposal_id: str) -> Proposal:
        return self.approvals.get(proposal_id)

    def wait_for_approval(self, proposal_id: str, timeout: float) -> Proposal:
        return self.approvals.wait(proposal_id, timeout)

    # -- sessions ---------------------------------------------------------------------------------

    def session(self, agent_id: str | None = None, *, session_id: str | None = None,
                goal: str | None = None, tools: list[str] | None = None) -> Session:  # fmt: skip
        """A session whose decisions are collected into a signed bundle when it closes."""
        return Session(
            self, agent_id or self.agent_id, session_id=session_id, goal=goal, tools=tools
        )

    def signing_key(self) -> Ed25519PrivateKey:
        """The Ed25519 key for bundles: given, or `.guardian/signing.key` (created 0600 on first use)."""
        if self._signing_key is None:
            given = self._signing_key_path
            if isinstance(given, Ed25519PrivateKey):
                self._signing_key = given
            else:
                path = given or Path(os.environ.get(KEY_ENV) or DEFAULT_KEY_PATH)
                self._signing_key = load_or_create_signing_key(Path(path))
        return self._signing_key

    # -- receipts ---------------------------------------------------------------------------------

    def record_receipt(self, decision_id: str, status: str = "success", output: Any = None,
                       started_at: str | None = None, finished_at: str | None = None,
                       **details: Any) -> Entry:  # fmt: skip
        """Record what happened when an allowed decision was executed (once per decision)."""
        return record_receipt(self.ledger, self.clock, decision_id, status=status, output=output,
                              started_at=started_at, finished_at=finished_at, **details)  # fmt: skip

    def verify_replay(self, policy: PolicySource | None = None) -> str:
        """ "PASS" when every recorded decision replays to the same outcome, else "FAIL"."""
        return self.replay(policy).verdict

    def replay(self, policy: PolicySource | None = None) -> ReplayReport:
        """Replay the ledger; with `policy`, report the decisions that policy would change."""
        return replay(self.ledger.entries(), _as_policy(policy) if policy is not None else None)

    def verify_ledger(self) -> VerifyReport:
        """Check the whole chain (hashes, links, order, signed checkpoints): a report with the first bad seq."""
        checkpoints = getattr(self.ledger, "checkpoints", None)
        public_key = self.signing_key().public_key() if checkpoints is not None else None
        return verify_entries(self.ledger.entries(), checkpoints=checkpoints() if checkpoints else (),
                              public_key=public_key)  # fmt: skip

    def validate_ledger(self) -> str:
        """Seed 001's check: "VALID" or "INVALID"."""
        return "VALID" if self.verify_ledger().ok else "INVALID"

    def verify_receipts(self) -> ReceiptReport:
        return verify_receipts(self.ledger.entries())

    def close(self) -> None:
        if "events" in self.__dict__:  # issue 7: stop the relay before the ledger closes
            self.events.close()
        self.ledger.close()

    def __enter__(self) -> Guardian:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def raise_unless_allowed(record: DecisionRecord) -> None:
    """The enforcement rule: DENY raises Denied, ASK raises ApprovalRequired, ALLOW returns."""
    if record.decision is Decision.ALLOW:
        return
    why = "; ".join(f"{r.code}: {r.message}" for r in record.reasons)
    what = (
        f"{record.intent.action} on {record.intent.target!r}"
        if record.intent.target
        else record.intent.action
    )
    if record.decision is Decision.ASK:
        raise ApprovalRequired(f"{what} needs approval (proposal {record.proposal_id}): {why}",
                               record, record.reasons, record.proposal_id)  # fmt: skip
    raise Denied(f"{what} denied: {why}", record, record.reasons)


def _as_policy(policy: PolicySource | None) -> Policy:
    if isinstance(policy, Policy):
        return policy
    if policy is None:
        policy = os.environ.get("GUARDIAN_POLICY") or default_policy_path()
    return load_policy(policy)
