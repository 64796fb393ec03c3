"""Where the proxy's decisions are made: in this process, or by a running `guardian serve`.

The proxy speaks only this small protocol, so the tool-call path is one piece of code whatever
decides. Both adapters are synchronous (a ledger append is a durable write). A remote decision is
a network round trip, so the proxy always makes it from a worker thread; a local one is a ledger
append (a fraction of a millisecond, one fsync), which the proxy makes on the event loop when no
other call is in flight: a thread hop would cost about as much as the decision, and there is
nothing else for the loop to do meanwhile (see governance.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from guardian.core.decision import Decision

if TYPE_CHECKING:
    from guardian.client import GuardianClient
    from guardian.facade import Guardian
    from guardian.policy.evaluate import CompiledPolicy
    from guardian.policy.model import Policy


@dataclass(frozen=True, slots=True)
class Ruling:
    """What the proxy needs from a DecisionRecord, whoever produced it."""

    decision: Decision
    decision_id: str
    reasons: tuple[tuple[str, str], ...]
    proposal_id: str | None = None


@dataclass(frozen=True, slots=True)
class ApprovalState:
    """A proposal's state while the proxy holds its call: pending, approved, rejected, expired."""

    status: str
    decided_by: str | None = None
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Receipt:
    """How an allowed call went; the output is already redacted."""

    decision_id: str
    status: str
    output: Any
    started_at: str
    finished_at: str
    error_type: str | None = None
    redactions: tuple[dict[str, str], ...] = ()


class Decider(Protocol):
    inline: bool  # cheap enough to call on the event loop when no other call waits

    def decide(self, actor: str, action: str, target: str, params: dict[str, Any],
               metadata: dict[str, Any], session_id: str | None) -> Ruling: ...  # fmt: skip

    def wait_for_approval(self, proposal_id: str, timeout: float) -> ApprovalState: ...

    def record_receipt(self, receipt: Receipt) -> None: ...

    def hides(self, actor: str, action: str) -> bool:
        """True when the policy denies `action` whatever its arguments: the tool is not listed."""
        ...

    def target_param(self, action: str) -> str | None: ...

    def close(self) -> None: ...


class LocalDecider:
    """Decides in process with a `Guardian` (its ledger and approvals table in one database)."""

    inline = True

    def __init__(self, guardian: Guardian) -> None:
        self.guardian = guardian
        self._compiled: CompiledPolicy | None = None

    def decide(self, actor: str, action: str, target: str, params: dict[str, Any],
               metadata: dict[str, Any], session_id: str | None) -> Ruling:  # fmt: skip
        record = self.guardian.decide(actor, action, target, params, metadata, session_id)
        return Ruling(
            record.decision, record.decision_id,
            tuple((r.code, r.message) for r in record.reasons), record.proposal_id,
        )  # fmt: skip

    def wait_for_approval(self, proposal_id: str, timeout: float) -> ApprovalState:
        proposal = self.guardian.wait_for_approval(proposal_id, timeout)
        return ApprovalState(proposal.status, proposal.decided_by, proposal.decision_reason)

    def record_receipt(self, receipt: Receipt) -> None:
        self.guardian.record_receipt(
            receipt.decision_id, receipt.status, output=receipt.output,
            started_at=receipt.started_at, finished_at=receipt.finished_at,
            error_type=receipt.error_type, redactions=list(receipt.redactions),
        )  # fmt: skip

    def hides(self, actor: str, action: str) -> bool:
        return self._compiled_policy().denies_outright(actor, action)

    def target_param(self, action: str) -> str | None:
        return self.guardian.policy.target_param(action)

    def close(self) -> None:
        self.guardian.close()

    def _compiled_policy(self) -> CompiledPolicy:
        from guardian.policy.evaluate import CompiledPolicy

        policy = self.guardian.policy  # a reload swaps the object: recompile then
        if self._compiled is None or self._compiled.policy is not policy:
            self._compiled = CompiledPolicy(policy)
        return self._compiled


class RemoteDecider:
    """Decides through a running `guardian serve` with its API client.

    The server holds the policy that decides, and takes the actor from the token (not from
    `--agent-id`). A local copy of the policy (`--policy`) is optional and used only to hide
    outright-denied tools and to find each tool's target argument.
    """

    inline = False

    def __init__(self, url: str, token: str, policy: Policy | None = None) -> None:
        from guardian.client import GuardianClient  # httpx and the client: for `--server` only

        self.client: GuardianClient = GuardianClient(url, token)
        self.policy = policy
        self._compiled: CompiledPolicy | None = None
        if policy is not None:
            from guardian.policy.evaluate import CompiledPolicy

            self._compiled = CompiledPolicy(policy)

    def decide(self, actor: str, action: str, target: str, params: dict[str, Any],
               metadata: dict[str, Any], session_id: str | None) -> Ruling:  # fmt: skip
        record = self.client.decide(action, target, params, metadata, session_id=session_id)
        return Ruling(
            Decision(record["decision"]), str(record["decision_id"]),
            tuple((str(r["code"]), str(r["message"])) for r in record.get("reasons") or ()),
            _optional_str(record.get("proposal_id")),
        )  # fmt: skip

    def wait_for_approval(self, proposal_id: str, timeout: float) -> ApprovalState:
        proposal = self.client.wait_for_approval(proposal_id, timeout)
        return ApprovalState(
            str(proposal["status"]), _optional_str(proposal.get("decided_by")),
            _optional_str(proposal.get("decision_reason")),
        )  # fmt: skip

    def record_receipt(self, receipt: Receipt) -> None:
        self.client.record_receipt(
            receipt.decision_id, receipt.status, output=receipt.output,
            started_at=receipt.started_at, finished_at=receipt.finished_at,
            error_type=receipt.error_type, redactions=list(receipt.redactions),
        )  # fmt: skip

    def hides(self, actor: str, action: str) -> bool:
        return self._compiled is not None and self._compiled.denies_outright(actor, action)

    def target_param(self, action: str) -> str | None:
        return self.policy.target_param(action) if self.policy is not None else None

    def close(self) -> None:
        self.client.close()


def _optional_str(value: Any) -> str | None:
    return None if value is None else str(value)


def open_decider(*, policy: str | Path | None, database: str | None, agent_id: str,
                 server: str | None, token: str | None) -> Decider:  # fmt: skip
    """The decider the CLI options ask for: remote with `server`, else in process."""
    if server:
        from guardian.policy.load import load_policy

        if not token:
            raise ValueError("--server needs --token (or GUARDIAN_TOKEN)")
        return RemoteDecider(server, token, load_policy(policy) if policy else None)
    from guardian.facade import Guardian

    return LocalDecider(Guardian(policy, ledger=database or "", agent_id=agent_id))
