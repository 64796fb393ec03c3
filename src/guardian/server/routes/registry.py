"""The registry over HTTP: agents and tasks (register, update, list) and the task queue.

    GET/POST  /api/v1/guardian/agents          PATCH/GET /api/v1/guardian/agents/{agent_id}
    GET/POST  /api/v1/guardian/tasks           PATCH/GET /api/v1/guardian/tasks/{task_id}
    POST      /api/v1/guardian/tasks/claim     {agent_id?}: the next task in priority order

Registering and updating is for guardian and admin tokens; an agent token claims tasks as itself.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from guardian.governance.registry import Registry
from guardian.server.access import READERS, Rule
from guardian.server.auth import CallerDep, authorize
from guardian.server.errors import ApiError, error_responses
from guardian.server.routes.interventions import PREFIX, call
from guardian.server.state import state_of

router = APIRouter(prefix=PREFIX, tags=["registry"], dependencies=[Depends(authorize)])

_READ = Rule(frozenset(READERS))
_WRITE = Rule(frozenset({"guardian", "admin"}))
ACCESS_RULES: dict[tuple[str, str], Rule] = {
    ("GET", f"{PREFIX}/agents"): _READ,
    ("POST", f"{PREFIX}/agents"): _WRITE,
    ("GET", f"{PREFIX}/agents/{{agent_id}}"): _READ,
    ("PATCH", f"{PREFIX}/agents/{{agent_id}}"): _WRITE,
    ("GET", f"{PREFIX}/tasks"): _READ,
    ("POST", f"{PREFIX}/tasks"): _WRITE,
    ("GET", f"{PREFIX}/tasks/{{task_id}}"): _READ,
    ("PATCH", f"{PREFIX}/tasks/{{task_id}}"): _WRITE,
    ("POST", f"{PREFIX}/tasks/claim"): Rule(frozenset({"agent", "guardian", "admin"}),
                                            note="an agent claims as itself"),
}  # fmt: skip

Priority = Literal["CRITICAL", "HIGH", "MEDIUM", "LOW"]
Health = Literal["healthy", "degraded", "failed", "unknown"]
AgentStatus = Literal["active", "paused", "offline"]
TaskStatus = Literal["queued", "running", "done", "failed", "cancelled"]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentIn(_Body):
    id: str = Field(min_length=1, max_length=200)
    authority: int = Field(1, ge=1, le=5)
    capacity: int = Field(1, ge=0, le=1_000_000)
    health_status: Health = "healthy"
    status: AgentStatus = "active"


class AgentPatch(_Body):
    authority: int | None = Field(None, ge=1, le=5)
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    health_status: Health | None = None
    status: AgentStatus | None = None


class TaskIn(_Body):
    id: str | None = Field(None, min_length=1, max_length=200)
    name: str = Field("", max_length=2000)
    priority: Priority = "MEDIUM"
    timeout_seconds: int | None = Field(None, ge=1)
    agent_id: str | None = Field(None, min_length=1, max_length=200)


class TaskPatch(_Body):
    name: str | None = Field(None, max_length=2000)
    priority: Priority | None = None
    timeout_seconds: int | None = Field(None, ge=1)
    agent_id: str | None = Field(None, min_length=1, max_length=200)


class ClaimIn(_Body):
    agent_id: str | None = Field(None, min_length=1, max_length=200)
    task_id: str | None = Field(None, min_length=1, max_length=200)


def registry(request: Request) -> Registry:
    return state_of(request).guardian.interventions.registry


@router.get("/agents", responses=error_responses(), summary="Registered agents, with free capacity")
def list_agents(caller: CallerDep, request: Request) -> list[dict[str, Any]]:
    return [a.to_dict() for a in call(registry(request).agents)]


@router.post(
    "/agents", status_code=201, responses=error_responses(409), summary="Register an agent"
)
def register_agent(body: AgentIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    values = body.model_dump()
    return call(registry(request).register_agent, values.pop("id"), **values).to_dict()


@router.get("/agents/{agent_id}", responses=error_responses(404), summary="One agent")
def get_agent(agent_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
    return call(registry(request).agent, agent_id).to_dict()


@router.patch("/agents/{agent_id}", responses=error_responses(404), summary="Change an agent")
def update_agent(
    agent_id: str, body: AgentPatch, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return call(
        registry(request).update_agent, agent_id, **body.model_dump(exclude_none=True)
    ).to_dict()


@router.get("/tasks", responses=error_responses(), summary="Tasks in queue order")
def list_tasks(
    caller: CallerDep,
    request: Request,
    status: Annotated[TaskStatus | None, Query()] = None,
    agent_id: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[dict[str, Any]]:
    return [
        t.to_dict() for t in call(registry(request).tasks, status, agent_id=agent_id, limit=limit)
    ]


@router.post("/tasks", status_code=201, responses=error_responses(409), summary="Queue a task")
def register_task(body: TaskIn, caller: CallerDep, request: Request) -> dict[str, Any]:
    values = body.model_dump()
    return call(registry(request).register_task, values.pop("id"), **values).to_dict()


@router.get("/tasks/{task_id}", responses=error_responses(404), summary="One task")
def get_task(task_id: str, caller: CallerDep, request: Request) -> dict[str, Any]:
    return call(registry(request).task, task_id).to_dict()


@router.patch("/tasks/{task_id}", responses=error_responses(404, 409),
              summary="Routine changes (an emergency priority change is an intervention)")  # fmt: skip
def update_task(
    task_id: str, body: TaskPatch, caller: CallerDep, request: Request
) -> dict[str, Any]:
    return call(
        registry(request).update_task, task_id, **body.model_dump(exclude_none=True)
    ).to_dict()


@router.post("/tasks/claim", responses=error_responses(404),
             summary="Claim the next queued task in priority order (null when there is none)")  # fmt: skip
def claim_task(body: ClaimIn, caller: CallerDep, request: Request) -> dict[str, Any] | None:
    agent_id = body.agent_id
    if caller.principal.role == "agent":
        if agent_id is not None and agent_id != caller.actor:
            raise ApiError(
                403, "forbidden", f"this token is agent {caller.actor!r}; it claims only for itself"
            )
        agent_id = caller.actor
    if agent_id is None:
        raise ApiError(422, "invalid_request", "agent_id: required (the agent the task is for)")
    task = call(registry(request).claim, agent_id, body.task_id)
    return task.to_dict() if task is not None else None
