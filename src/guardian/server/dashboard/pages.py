"""The dashboard's pages: pending proposals, recent decisions, agents, ledger status.

Rendered by Jinja with autoescape on, so every agent-supplied string (targets, params, reasons) is
text, never markup; live updates come from /events and static/dashboard.js, which builds rows with
`textContent` only. Without a session every page redirects to /login.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from guardian.governance.proposals import PENDING
from guardian.server.dashboard.guard import SignedIn, require_session, signed_in
from guardian.server.ledger_reads import LedgerReads
from guardian.server.state import state_of
from guardian.server.views import proposal_view

HERE = Path(__file__).parent
_env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["pretty"] = lambda value: orjson.dumps(value, option=orjson.OPT_INDENT_2).decode()
templates = Jinja2Templates(env=_env)

router = APIRouter(include_in_schema=False)


def render(request: Request, name: str, who: SignedIn | None, status: int = 200,
           **context: Any) -> Response:  # fmt: skip
    context.update(who=who, csrf=who.session.csrf if who else None)
    return templates.TemplateResponse(request, name, context, status_code=status)


def to_login() -> Response:
    return RedirectResponse("/login", status_code=303)


@router.get("/")
async def pending(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return to_login()
    state = state_of(request)
    head = await run_in_threadpool(state.reads.head_seq)  # before the list: no proposal is missed
    items = await run_in_threadpool(state.approvals.recent, PENDING, 200)
    return render(request, "pending.html", who, page="pending", proposals=items, live_after=head)


@router.get("/proposals/{proposal_id}")
async def proposal_json(request: Request, proposal_id: str) -> Response:
    """One proposal as JSON, for a row that arrived live (its expiry and metadata are not in the
    decision event)."""
    await require_session(request)
    proposal = await run_in_threadpool(state_of(request).approvals.current, proposal_id)
    return JSONResponse(proposal_view(proposal))


@router.get("/decisions")
async def decisions(
    request: Request,
    actor: Annotated[str | None, Query(max_length=500)] = None,
    action: Annotated[str | None, Query(max_length=500)] = None,
    decision: Annotated[str | None, Query(pattern="^(|ALLOW|DENY|ASK)$")] = None,
) -> Response:
    who = await signed_in(request)
    if who is None:
        return to_login()
    reads: LedgerReads = state_of(request).reads
    head = await run_in_threadpool(reads.head_seq)
    entries = await run_in_threadpool(
        lambda: reads.recent_decisions(100, actor=actor, action=action, verdict=decision)
    )
    filters = {"actor": actor or "", "action": action or "", "decision": decision or ""}
    return render(request, "decisions.html", who, page="decisions", entries=entries,
                  filters=filters, live_after=head)  # fmt: skip


@router.get("/agents")
async def agents(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return to_login()
    reads = state_of(request).reads
    head = await run_in_threadpool(reads.head_seq)
    counts = await run_in_threadpool(reads.decision_counts)
    table: dict[str, dict[str, int]] = {}
    for actor, verdict, n in counts:
        row = table.setdefault(actor, {"ALLOW": 0, "DENY": 0, "ASK": 0})
        row[verdict] = row.get(verdict, 0) + n
    from guardian.server.dashboard.control import agent_control

    control = await run_in_threadpool(agent_control, request)
    for actor in control:
        table.setdefault(actor, {"ALLOW": 0, "DENY": 0, "ASK": 0})
    return render(
        request, "agents.html", who, page="agents", agents=sorted(table.items()), live_after=head,
        control=control, may_pause=who.token.principal.role == "admin",
    )  # fmt: skip


@router.get("/ledger")
async def ledger(request: Request) -> Response:
    who = await signed_in(request)
    if who is None:
        return to_login()
    head = await run_in_threadpool(state_of(request).reads.head_seq)
    return render(
        request, "ledger.html", who, page="ledger", head=head, report=None, live_after=head
    )
