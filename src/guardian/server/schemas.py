"""Request and response bodies of the HTTP API, so the OpenAPI document says exactly what is sent.

Requests forbid unknown fields: a typo (or a smuggled `principal`) is a 422, never silently ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from guardian.governance.grants import MAX_GRANT_HOURS

Verdict = Literal["ALLOW", "DENY", "ASK"]
ProposalStatus = Literal["pending", "approved", "rejected", "expired", "used"]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReasonOut(BaseModel):
    code: str
    message: str


class IntentOut(BaseModel):
    actor: str
    action: str
    target: str
    params: dict[str, Any]
    metadata: dict[str, Any]
    session_id: str | None
    task_id: str | None


class PrincipalOut(BaseModel):
    id: str
    role: str
    authority: int


class DecideRequest(_Request):
    """An intent. The actor and authority come from the token: `actor`, if sent, must be the
    token's agent, and `authority`, if sent, may only lower the token's (else 403, recorded)."""

    action: str = Field(min_length=1, max_length=500)
    target: str = Field("", max_length=100_000)
    params: dict[str, Any] = Field(default_factory=dict)
    metadata: dict[str, Any] = Field(default_factory=dict)
    session_id: str | None = Field(None, max_length=500)
    task_id: str | None = Field(None, max_length=500)
    actor: str | None = Field(None, max_length=500)
    authority: int | None = Field(None, ge=1, le=5)


class DecisionOut(BaseModel):
    decision_id: str
    decision: Verdict
    rule_id: str | None
    reasons: list[ReasonOut]
    intent: IntentOut
    intent_hash: str
    policy_hash: str
    principal: PrincipalOut
    proposal_id: str | None = Field(None, description="for an ASK: the proposal a human decides")
    approval_id: str | None = Field(None, description="for an ALLOW that used an approval")
    grant_id: str | None = Field(None, description="for an ALLOW that used a standing grant")
    seq: int
    ts: str
    hash: str
    prev_hash: str


class ReceiptRequest(_Request):
    decision_id: str = Field(min_length=1, max_length=200)
    status: Literal["success", "error"] = "success"
    output: Any = Field(None, description="hashed, never stored: the ledger keeps its digest")
    started_at: str | None = Field(None, pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
    finished_at: str | None = Field(None, pattern=r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$")
    error_type: str | None = Field(None, max_length=200)
    redactions: list[dict[str, str]] = Field(default_factory=list, max_length=1000)


class ReceiptOut(BaseModel):
    seq: int
    ts: str
    hash: str
    decision_id: str
    decision_hash: str
    intent_hash: str | None
    status: str
    output_digest: str
    error_type: str | None
    started_at: str
    finished_at: str
    duration_ms: float
    redactions: list[dict[str, str]]


class DecisionDetail(DecisionOut):
    receipt: ReceiptOut | None = None


class ProposalOut(BaseModel):
    id: str
    decision_id: str
    intent_hash: str
    actor: str
    action: str
    target: str
    intent: IntentOut
    rule_id: str | None
    reasons: list[ReasonOut]
    never_auto_approve: bool
    status: ProposalStatus
    created_at: str
    expires_at: str
    decided_by: str | None
    decided_at: str | None
    decision_reason: str | None
    used_by: str | None


class ProposalList(BaseModel):
    proposals: list[ProposalOut]


class GrantRequest(_Request):
    hours: float = Field(gt=0, le=MAX_GRANT_HOURS)
    target: str | None = Field(
        None,
        min_length=1,
        max_length=1000,
        description="glob over targets; default: the proposal's own target",
    )


class ApproveRequest(_Request):
    reason: str = Field("", max_length=2000)
    grant: GrantRequest | None = None


class RejectRequest(_Request):
    reason: str = Field(min_length=1, max_length=2000)


class GrantOut(BaseModel):
    id: str
    proposal_id: str | None
    actor: str
    action: str
    target: str
    created_by: str
    created_at: str
    expires_at: str
    revoked_at: str | None
    revoked_by: str | None
    uses: int
    last_used_at: str | None
    status: Literal["active", "expired", "revoked"]


class GrantList(BaseModel):
    grants: list[GrantOut]


class HookRunOut(BaseModel):
    decision_id: str
    decision: Verdict
    status: Literal["success", "error"] | None
    receipt_seq: int | None
    output_digest: str | None
    error_type: str | None


class DecidedOut(BaseModel):
    proposal: ProposalOut
    grant: GrantOut | None = None
    execution: HookRunOut | None = Field(None, description="the hook run for this action, if any")


class EntryOut(BaseModel):
    seq: int
    kind: str
    ts: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


class EntryPage(BaseModel):
    entries: list[EntryOut]
    next_after: int = Field(description="pass as `after` for the next page")
    head_seq: int


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int | None
    head_hash: str | None
    first_bad_seq: int | None
    reason: str | None
    detail: str | None
    checkpoints: int
    latest_checkpoint: int | None
    signatures: str
    key_id: str | None
    seconds: float


class BundleOut(BaseModel):
    version: int
    agent_id: str
    session_id: str
    goal: str | None
    started_at: str
    closed_at: str | None
    actions: list[dict[str, Any]]
    decisions: list[EntryOut]
    outcomes: list[EntryOut]
    public_key: str | None
    signature: str | None


class HealthOut(BaseModel):
    status: Literal["ok"]
    version: str
