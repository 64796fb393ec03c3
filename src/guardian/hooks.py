"""Decision hooks: code the server runs itself when a proposal for an action is approved.

    import guardian.hooks

    def publish(call: guardian.hooks.HookCall) -> dict:
        return {"published": call.intent.target}

    guardian.hooks.register("publish_post", publish)

Load the module with `guardian serve --hooks mymodule`. On approval the server decides the proposal's
intent again (consuming the approval, so the decision is an ordinary ALLOW linked to it), runs the
handler, and records its result as that decision's receipt: success with the output's digest, or
error with the exception's type. Hooks are code, not state: every server instance imports the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guardian.core.clock import iso_utc
from guardian.core.decision import Decision
from guardian.core.intent import Intent
from guardian.core.principal import Principal
from guardian.governance.proposals import Proposal

if TYPE_CHECKING:
    from guardian.facade import Guardian


@dataclass(frozen=True, slots=True)
class HookCall:
    """What a handler gets: the approved proposal, its intent, and the ALLOW decision's id."""

    proposal: Proposal
    intent: Intent
    decision_id: str


Handler = Callable[[HookCall], Any]


@dataclass(frozen=True, slots=True)
class HookRun:
    """What running a hook did: the new decision, and the receipt if the handler ran."""

    decision_id: str
    decision: str
    status: str | None = None
    receipt_seq: int | None = None
    output_digest: str | None = None
    error_type: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id, "decision": self.decision, "status": self.status,
            "receipt_seq": self.receipt_seq, "output_digest": self.output_digest,
            "error_type": self.error_type,
        }  # fmt: skip


_registry: dict[str, Handler] = {}
_lock = threading.Lock()


def register(action: str, handler: Handler, *, replace: bool = False) -> None:
    """Run `handler` when a proposal for `action` is approved. One handler per action: registering
    a second raises unless `replace=True`, so import order cannot silently pick the winner."""
    if not isinstance(action, str) or not action:
        raise ValueError(f"action must be a non-empty string, got {action!r}")
    if not callable(handler):
        raise TypeError(f"handler for {action!r} is not callable: {handler!r}")
    with _lock:
        if action in _registry and not replace and _registry[action] is not handler:
            raise ValueError(f"a hook is already registered for {action!r}: {_registry[action]!r}")
        _registry[action] = handler


def unregister(action: str) -> None:
    with _lock:
        _registry.pop(action, None)


def handler_for(action: str) -> Handler | None:
    return _registry.get(action)


def registered() -> list[str]:
    return sorted(_registry)


def run_approved(guardian: Guardian, proposal: Proposal, principal: Principal) -> HookRun | None:
    """If a hook is registered for the proposal's action, decide its intent again as `principal`
    (the one that raised it), run the hook on ALLOW, and record the receipt. None when no hook."""
    handler = handler_for(proposal.action)
    if handler is None:
        return None
    raw = proposal.intent
    intent = Intent.create(raw["actor"], raw["action"], raw.get("target"), raw.get("params"),
                           raw.get("metadata"), raw.get("session_id"), raw.get("task_id"))  # fmt: skip
    record = guardian.decide_intent(intent, principal)
    if record.decision is not Decision.ALLOW:
        return HookRun(record.decision_id, record.decision.value)
    started = guardian.clock.now()
    status, output, error_type = "success", None, None
    try:
        output = handler(HookCall(proposal, intent, record.decision_id))
    except Exception as exc:  # the hook's failure is its receipt, not the server's
        status, error_type = "error", type(exc).__name__
    entry = guardian.record_receipt(
        record.decision_id, status, output, iso_utc(started), guardian.clock.now_iso(),
        error_type=error_type,
    )  # fmt: skip
    return HookRun(record.decision_id, record.decision.value, status, entry.seq,
                   entry.payload.get("output_digest"), error_type)  # fmt: skip
