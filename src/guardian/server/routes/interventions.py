"""Seed 003's guardian endpoints, paths and request bodies unchanged:

    POST /api/v1/guardian/intervention/cancel-task        {task_id, reason, initiated_by?, authority?}
    POST /api/v1/guardian/intervention/reallocate         {from_agent_id, to_agent_id, capacity, reason, ...}
    POST /api/v1/guardian/intervention/override-priority  {task_id, new_priority, reason, ...}
    GET  /api/v1/guardian/actions?limit=&action_type=&target_entity=
    GET  /api/v1/guardian/actions/{action_id}
    POST /api/v1/guardian/actions/{action_id}/revert      {reason, initiated_by?}

The caller is the bearer token's principal: `initiated_by` and `authority` in a body may only repeat
it (or lower the authority); anything else is a 403, recorded. Every role may call the POSTs so that
a refusal for too little authority (below GUARDIAN) is recorded by the service, not only by the
access table. All rules live in `GuardianService`; this module maps them to HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from guardian.core.errors import GuardianError
from guardian.governance.interventions.actions import ACTION_TYPES, GuardianAction
from guardian.governance.interventions.errors import InterventionForbidden, status_of
from guardian.governance.interventions.service import MAX_REASON, GuardianService
from guardian.governance.tokens import ROLES
from guardian.server.access import READERS, Rule
from guardian.server.auth import CallerDep, authorize
from guardian.server.errors import ApiError, error_responses
from guardian.server.state import state_of

PREFIX = "/api/v1/guardian"
router = APIRouter(prefix=PREFIX, tags=["interventions"], dependencies=[Depends(authorize)])
T = TypeVar("T")

_ANY = Rule(frozenset(ROLES), note="GUARDIAN authority (4+) succeeds; others get 403, recorded")
#: The access table's entries for these routes (`ACCESS.update(ACCESS_RULES)` in access.py).
ACCESS_RULES: dict[tuple[str, str], Rule] = {
    ("POST", f"{PREFIX}/intervention/cancel-task"): _ANY,
    ("POST", f"{PREFIX}/intervention/reallocate"): _ANY,
    ("POST", f"{PREFIX}/intervention/override-priority"): _ANY,
    ("GET", f"{PREFIX}/actions"): Rule(frozenset(READERS)),
    ("GET", f"{PREFIX}/actions/{{action_id}}"): Rule(frozenset(READERS)),
    ("POST", f"{PREFIX}/actions/{{action_id}}/revert"): _ANY,
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=MAX_REASON, description="why; required (may not be blank)")
    initiated_by: str | None = Field(
        None, max_length=200, description="if sent: the token's principal"
    )
    authority: int | None = Field(None, ge=1, le=5, description="if sent: at most the token's")


class CancelTaskRequest(_Body):
    task_id: str = Field(min_length=1, max_length=200)


class ReallocateRequest(_Body):
    from_agent_id: str = Field(min_length=1, max_length=200)
    to_agent_id: str = Field(min_length=1, max_length=200)
    capacity: int = Field(description="a positive integer, free at the source agent")


class OverridePriorityRequest(_Body):
    task_id: str = Field(min_length=1, max_length=200)
    new_priority: str = Field(max_length=20, description="CRITICAL, HIGH, MEDIUM or LOW")


class RevertRequest(_Body):
    pass


class ActionOut(BaseModel):
    id: str
    action_type: str
    target_entity: str
    authority_level: int
    reason: str
    initiated_by: str
    approved_by: str | None
    executed_at: str
    reverted_at: str | None
    audit_log: dict[str, Any]
    revert_log: dict[str, Any] | None
    created_at: str


def call(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a service call; its refusals become the server's one error shape."""
    try:
        return fn(*args, **kwargs)
    except GuardianError as exc:
        details = {"flag": exc.flag} if isinstance(exc, InterventionForbidden) else None
        raise ApiError(status_of(exc), exc.code, str(exc), details) from None


def service(request: Request) -> GuardianService:
    return state_of(request).guardian.interventions


def _out(action: GuardianAction) -> dict[str, Any]:
    return action.to_dict()


_RESPONSES = error_responses(404, 409)


@router.post("/intervention/cancel-task", response_model=ActionOut, responses=_RESPONSES,
             summary="Cancel a task now (stops its runner-launched process); GUARDIAN authority")  # fmt: skip
def cancel_task(body: CancelTaskRequest, caller: CallerDep, request: Request) -> dict[str, Any]:
    return _out(call(service(request).emergency_cancel_task, body.task_id, body.reason, body.initiated_by,
                     body.authority, principal=caller.principal))  # fmt: skip


@router.post("/intervention/reallocate", response_model=ActionOut, responses=_RESPONSES,
             summary="Move free capacity from one agent to another; GUARDIAN authority")  # fmt: skip
def reallocate(body: ReallocateRequest, caller: CallerDep, request: Request) -> dict[str, Any]:
    return _out(call(service(request).reallocate_agent_capacity, body.from_agent_id, body.to_agent_id,
                     body.capacity, body.reason, body.initiated_by, body.authority,
                     principal=caller.principal))  # fmt: skip


@router.post("/intervention/override-priority", response_model=ActionOut, responses=_RESPONSES,
             summary="Move a task to another priority in the queue; GUARDIAN authority")  # fmt: skip
def override_priority(
    body: OverridePriorityRequest, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return _out(call(service(request).override_task_priority, body.task_id, body.new_priority, body.reason,
                     body.initiated_by, body.authority, principal=caller.principal))  # fmt: skip


@router.get("/actions", response_model=list[ActionOut], responses=error_responses(),
            summary="Guardian actions, newest first")  # fmt: skip
def list_actions(
    caller: CallerDep,
    request: Request,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    action_type: Annotated[str | None, Query(description=", ".join(ACTION_TYPES))] = None,
    target_entity: Annotated[str | None, Query(max_length=200)] = None,
) -> list[dict[str, Any]]:
    return [_out(a) for a in call(service(request).get_actions, limit, action_type, target_entity)]


@router.get("/actions/{action_id}", response_model=ActionOut, responses=error_responses(404),
            summary="One guardian action with its before/after state and revert record")  # fmt: skip
def get_action(action_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
    return _out(call(service(request).get_action, action_id))


@router.post("/actions/{action_id}/revert", response_model=ActionOut, responses=_RESPONSES,
             summary="Revert: restore what still applies, record what could not be; once")  # fmt: skip
def revert(
    action_id: str, body: RevertRequest, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return _out(call(service(request).revert_intervention, action_id, body.reason, body.initiated_by,
                     body.authority, principal=caller.principal))  # fmt: skip
