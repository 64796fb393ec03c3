"""Tool-call governance: each `tools/call` becomes an intent, and only an ALLOW reaches the server.

DENY answers at once; ASK holds the call while a human decides (the client hears progress
meanwhile, so its request timeout does not fire), then decides the same intent again to use the
approval. An allowed call's result is redacted before the client sees it, and its receipt records
how it went (written behind the answer, see receipts.py): nothing reaches the server that is not
in the ledger first.

A call that is alone in flight is decided on the event loop (with a local decider): handing the
decision to a worker thread and back costs two thread wake-ups, about as much as the decision
itself, and the loop has nothing else to do while the ledger syncs. With other calls in flight,
decisions go to worker threads, so that they overlap and share the ledger's group commit.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import anyio
import anyio.to_thread
from mcp.shared.exceptions import MCPError
from mcp_types import CONNECTION_CLOSED

from guardian.core.clock import SYSTEM_CLOCK
from guardian.core.decision import Decision
from guardian.integrations.mcp.decider import ApprovalState, Decider, Receipt, Ruling
from guardian.integrations.mcp.receipts import ReceiptWriter
from guardian.integrations.mcp.results import redact_result, refusal, tool_error

logger = logging.getLogger("guardian.mcp")

Forward = Callable[[], Awaitable[dict[str, Any]]]
Progress = Callable[[float, float | None, str | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Settings:
    agent_id: str = "agent"
    server_name: str | None = None  # prefixes actions: `NAME.tool`
    server_label: str | None = None  # names the server in intents and messages (default: its own)
    ask_timeout: float = 300.0
    progress_interval: float = 5.0


class ToolGovernor:
    """Decides each tool call and lists only the tools the policy does not deny outright."""

    def __init__(self, decider: Decider, settings: Settings) -> None:
        self.decider = decider
        self.settings = settings
        self.in_flight = 0  # tool calls being governed now
        self.receipts = ReceiptWriter(decider, lambda: self.in_flight == 0)
        # Held calls wait in threads of their own, so a queue of them never delays a decision.
        self._waiters = anyio.CapacityLimiter(64)

    def action(self, tool: str) -> str:
        prefix = self.settings.server_name
        return f"{prefix}.{tool}" if prefix else tool

    def visible(self, listing: dict[str, Any]) -> dict[str, Any]:
        """A `tools/list` result without the tools this agent could never call."""
        tools = listing.get("tools")
        if not isinstance(tools, list):
            return listing
        actor = self.settings.agent_id
        kept = [t for t in tools if not (isinstance(t, dict) and isinstance(t.get("name"), str)
                                         and self.decider.hides(actor, self.action(t["name"])))]  # fmt: skip
        return {**listing, "tools": kept}

    async def call(self, tool: str, arguments: dict[str, Any], forward: Forward,
                   progress: Progress, session_id: str | None = None) -> dict[str, Any]:  # fmt: skip
        """Govern one call; `forward` sends it to the server, `progress` reaches the client."""
        self.in_flight += 1
        try:
            return await self._govern(tool, arguments, forward, progress, session_id)
        finally:
            self.in_flight -= 1

    async def _govern(self, tool: str, arguments: dict[str, Any], forward: Forward,
                      progress: Progress, session_id: str | None) -> dict[str, Any]:  # fmt: skip
        action = self.action(tool)
        decide = partial(
            self.decider.decide, self.settings.agent_id, action, self._target(tool, arguments),
            arguments, {"via": "mcp-proxy", "mcp_server": self.settings.server_label}, session_id,
        )  # fmt: skip
        try:
            ruling = await self._decide(decide)
            if ruling.decision is Decision.ASK:
                answer = await self._hold(ruling, action, decide, progress)
                if isinstance(answer, dict):
                    return answer
                ruling = answer
        except Exception as exc:  # fail closed: no decision, no call
            logger.warning("guardian mcp-proxy: deciding %s failed: %s", action, exc)
            return tool_error(f"Guardian could not decide {action}, so it was not run: "
                              f"{type(exc).__name__}: {exc}")  # fmt: skip
        if ruling.decision is Decision.DENY:
            return refusal(ruling, action, f"Guardian denied {action}")
        if ruling.decision is not Decision.ALLOW:  # an approval used up by a concurrent call
            return refusal(ruling, action, f"Guardian did not run {action}: it needs an approval "
                           f"(proposal {ruling.proposal_id})")  # fmt: skip
        return await self._execute(ruling, action, forward)

    async def _decide(self, decide: Callable[[], Ruling]) -> Ruling:
        """On the loop when this call is the only one in flight (see the module docstring)."""
        if self.decider.inline and self.in_flight <= 1:
            return decide()
        return await anyio.to_thread.run_sync(decide)

    def _target(self, tool: str, arguments: Mapping[str, Any]) -> str:
        """The argument the policy's `tools:` names for this tool (as `NAME.tool`, else bare)."""
        action = self.action(tool)
        param = self.decider.target_param(action)
        if param is None and action != tool:
            param = self.decider.target_param(tool)
        value = arguments.get(param) if param else None
        if value is None or isinstance(value, str):
            return value or ""
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)

    async def _hold(self, ruling: Ruling, action: str, decide: Callable[[], Ruling],
                    progress: Progress) -> Ruling | dict[str, Any]:  # fmt: skip
        """Wait for a human on an ASK; the new ruling once approved, else the refusal to return."""
        assert ruling.proposal_id is not None
        proposal, timeout = ruling.proposal_id, self.settings.ask_timeout
        message = f"waiting for approval of {action}: guardian approvals approve {proposal}"
        started = time.monotonic()
        state = ApprovalState("pending")
        while True:
            elapsed = time.monotonic() - started
            await progress(round(elapsed, 3), timeout, message)
            remaining = timeout - elapsed
            if remaining <= 0:
                break
            wait = partial(self.decider.wait_for_approval, proposal,
                           min(self.settings.progress_interval, remaining))  # fmt: skip
            state = await anyio.to_thread.run_sync(wait, abandon_on_cancel=True,
                                                   limiter=self._waiters)  # fmt: skip
            if state.status != "pending":
                break
        if state.status == "approved":
            return await self._decide(decide)
        if state.status == "pending":
            return refusal(ruling, action,
                           f"Guardian held {action} for approval and no one decided within "
                           f"{timeout:g} s; proposal {proposal} is still pending: approve it "
                           f"(guardian approvals approve {proposal}) and call again",
                           approval="timeout")  # fmt: skip
        by = f" by {state.decided_by}" if state.decided_by else ""
        why = f": {state.reason}" if state.reason else ""
        return refusal(ruling, action, f"Guardian did not run {action}: proposal {proposal} was "
                       f"{state.status}{by}{why}", approval=state.status)  # fmt: skip

    async def _execute(self, ruling: Ruling, action: str, forward: Forward) -> dict[str, Any]:
        started = SYSTEM_CLOCK.now_iso()
        try:
            result = await forward()
        except MCPError as exc:
            await self._receipt(ruling, "error", None, started, f"MCPError {exc.code}")
            if exc.code != CONNECTION_CLOSED:
                raise  # the server's own JSON-RPC error, passed on as it is
            return tool_error(f"The MCP server `{self.settings.server_label}` stopped during "
                              f"{action} (decision {ruling.decision_id}): {exc.message}")  # fmt: skip
        except anyio.get_cancelled_exc_class():
            with anyio.CancelScope(shield=True):  # queued (or, outside `running`, written)
                await self._receipt(ruling, "error", None, started, "cancelled")
            raise
        try:
            clean, redactions = redact_result(result)
        except Exception as exc:  # fail closed: an unredacted result never reaches the client
            logger.error("guardian mcp-proxy: redacting the result of %s failed: %s", action, exc)
            await self._receipt(ruling, "error", None, started, f"redaction failed: {exc}")
            return tool_error(f"Guardian withheld the result of {action}: redacting it failed "
                              f"({type(exc).__name__}; decision {ruling.decision_id})")  # fmt: skip
        status = "error" if result.get("isError") is True else "success"
        await self._receipt(ruling, status, clean, started, None, redactions)
        return clean

    async def _receipt(self, ruling: Ruling, status: str, output: Any, started: str,
                       error_type: str | None,
                       redactions: list[dict[str, str]] | None = None) -> None:  # fmt: skip
        await self.receipts.record(Receipt(
            ruling.decision_id, status, output, started, SYSTEM_CLOCK.now_iso(), error_type,
            tuple(redactions or ()),
        ))  # fmt: skip
