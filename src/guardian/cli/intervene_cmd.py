"""`guardian agents|tasks|interventions|events`: the registry, the guardian actions and the event
bus, on the local database (as its local admin, like `guardian pause`)."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import typer
from rich.markup import escape
from rich.table import Table

from guardian.cli.local import local_admin
from guardian.cli.output import (
    DATABASE_OPTION,
    FORMAT_OPTION,
    ExitCode,
    OutputFormat,
    fail,
    print_json,
    stdout,
)
from guardian.core.errors import GuardianError, PolicyError

if TYPE_CHECKING:  # imported when a command runs: `guardian --help` stays fast
    from guardian.events.hub import EventHub
    from guardian.governance.interventions.service import GuardianService

agents_app = typer.Typer(
    help="Agents in the registry: authority, capacity, health.", no_args_is_help=True
)
tasks_app = typer.Typer(help="Tasks and the priority queue.", no_args_is_help=True)
interventions_app = typer.Typer(
    help="Guardian actions: list, show, revert; check policies.", no_args_is_help=True
)
events_app = typer.Typer(help="The event bus.", no_args_is_help=True)
T = TypeVar("T")


@dataclass
class _Local:
    hub: EventHub
    service: GuardianService


@contextlib.contextmanager
def _local(database: str | None) -> Iterator[_Local]:
    from guardian.cli.local import LocalState
    from guardian.events.hub import open_hub
    from guardian.governance.interventions.service import GuardianService

    with LocalState(database) as state:
        hub = open_hub(state.engine, state.ledger, state.clock)
        try:
            yield _Local(hub, GuardianService(state.engine, state.ledger, state.clock, events=hub))
        finally:
            hub.close()


def _run(database: str | None, fmt: OutputFormat, work: Callable[[_Local], T]) -> T:
    try:
        with _local(database) as local:
            return work(local)
    except GuardianError as exc:
        fail(str(exc), ExitCode.FAILED if exc.code == "conflict" else ExitCode.USAGE, fmt=fmt)


def _show(data: Any, fmt: OutputFormat, columns: tuple[str, ...]) -> None:
    if fmt is OutputFormat.json:
        print_json(data)
        return
    table = Table(*columns)
    for row in data if isinstance(data, list) else [data]:
        table.add_row(*(escape("" if row.get(c) is None else str(row.get(c))) for c in columns))
    stdout.print(table)


AGENT_COLUMNS = ("id", "authority", "capacity", "available", "health_status", "status")
TASK_COLUMNS = ("id", "name", "priority", "status", "agent_id", "timeout_seconds", "started_at")


@agents_app.command("register")
def register_agent(agent_id: str, capacity: int = typer.Option(1, "--capacity"), authority: int = typer.Option(1, "--authority"),
                   health: str = typer.Option("healthy", "--health"), status: str = typer.Option("active", "--status"),
                   database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Register an agent (fails if it exists: use `agents update`)."""
    agent = _run(database, fmt, lambda x: x.service.registry.register_agent(
        agent_id, authority=authority, capacity=capacity, health_status=health, status=status))  # fmt: skip
    _show(agent.to_dict(), fmt, AGENT_COLUMNS)


@agents_app.command("update")
def update_agent(agent_id: str, capacity: int | None = typer.Option(None, "--capacity"),
                 authority: int | None = typer.Option(None, "--authority"), health: str | None = typer.Option(None, "--health"),
                 status: str | None = typer.Option(None, "--status"), database: str | None = DATABASE_OPTION,
                 fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Change an agent's capacity, authority, health or status."""
    agent = _run(database, fmt, lambda x: x.service.registry.update_agent(
        agent_id, capacity=capacity, authority=authority, health_status=health, status=status))  # fmt: skip
    _show(agent.to_dict(), fmt, AGENT_COLUMNS)


@agents_app.command("list")
def list_agents(database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Every agent, with its free capacity."""
    _show(
        [a.to_dict() for a in _run(database, fmt, lambda x: x.service.registry.agents())],
        fmt,
        AGENT_COLUMNS,
    )


@tasks_app.command("register")
def register_task(task_id: str | None = typer.Option(None, "--id"), name: str = typer.Option("", "--name"),
                  priority: str = typer.Option("MEDIUM", "--priority", help="CRITICAL, HIGH, MEDIUM or LOW"),
                  timeout: int | None = typer.Option(None, "--timeout", help="seconds"),
                  agent: str | None = typer.Option(None, "--agent", help="only this agent may claim it"),
                  database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Queue a task."""
    task = _run(database, fmt, lambda x: x.service.registry.register_task(
        task_id, name=name, priority=priority, timeout_seconds=timeout, agent_id=agent))  # fmt: skip
    _show(task.to_dict(), fmt, TASK_COLUMNS)


@tasks_app.command("update")
def update_task(task_id: str, priority: str | None = typer.Option(None, "--priority"), name: str | None = typer.Option(None, "--name"),
                timeout: int | None = typer.Option(None, "--timeout"), agent: str | None = typer.Option(None, "--agent"),
                database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Routine changes to a task (an emergency priority change is an intervention)."""
    task = _run(database, fmt, lambda x: x.service.registry.update_task(
        task_id, priority=priority, name=name, timeout_seconds=timeout, agent_id=agent))  # fmt: skip
    _show(task.to_dict(), fmt, TASK_COLUMNS)


@tasks_app.command("list")
def list_tasks(status: str | None = typer.Option(None, "--status"), agent: str | None = typer.Option(None, "--agent"),
               limit: int = typer.Option(100, "--limit"), database: str | None = DATABASE_OPTION,
               fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Tasks in queue order (priority, then age)."""
    tasks = _run(
        database, fmt, lambda x: x.service.registry.tasks(status, agent_id=agent, limit=limit)
    )
    _show([t.to_dict() for t in tasks], fmt, TASK_COLUMNS)


@tasks_app.command("claim")
def claim_task(
    agent: str, database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION
) -> None:
    """Claim the next queued task for AGENT (exit 1 when there is none)."""
    task = _run(database, fmt, lambda x: x.service.registry.claim(agent))
    if task is None:
        fail(f"no task for {agent}", ExitCode.FAILED, fmt=fmt)
    _show(task.to_dict(), fmt, TASK_COLUMNS)


ACTION_COLUMNS = (
    "id",
    "action_type",
    "target_entity",
    "authority_level",
    "initiated_by",
    "executed_at",
    "reverted_at",
)


@interventions_app.command("list")
def list_actions(limit: int = typer.Option(50, "--limit"), action_type: str | None = typer.Option(None, "--type"),
                 target: str | None = typer.Option(None, "--target"), database: str | None = DATABASE_OPTION,
                 fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Guardian actions, newest first."""
    actions = _run(database, fmt, lambda x: x.service.get_actions(limit, action_type, target))
    _show([a.to_dict() for a in actions], fmt, ACTION_COLUMNS)


@interventions_app.command("show")
def show_action(
    action_id: str, database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION
) -> None:
    """One action with its full before/after state and revert record."""
    action = _run(database, fmt, lambda x: x.service.get_action(action_id)).to_dict()
    if fmt is OutputFormat.json:
        print_json(action)
        return
    _show(action, fmt, ACTION_COLUMNS)
    stdout.print(f"reason: {escape(action['reason'])}", highlight=False)
    for key in ("before", "after"):
        stdout.print(
            f"{key}: {escape(orjson.dumps(action['audit_log'].get(key)).decode())}", highlight=False
        )
    if action["revert_log"]:
        stdout.print(
            f"revert: {escape(orjson.dumps(action['revert_log']).decode())}", highlight=False
        )


@interventions_app.command("revert")
def revert_action(action_id: str, reason: str = typer.Option(..., "--reason", help="why (required)"),
                  database: str | None = DATABASE_OPTION, fmt: OutputFormat = FORMAT_OPTION) -> None:  # fmt: skip
    """Revert an action: restores what still applies and records what could not be; once."""
    action = _run(
        database,
        fmt,
        lambda x: x.service.revert_intervention(action_id, reason, principal=local_admin()),
    )
    if fmt is OutputFormat.json:
        print_json(action.to_dict())
        return
    log = action.revert_log or {}
    stdout.print(f"reverted {action.id}: restored {orjson.dumps(log.get('restored')).decode()}; "
                 f"not restored {orjson.dumps(log.get('not_restored')).decode()}", highlight=False, markup=False)  # fmt: skip


@interventions_app.command("check")
def check_policies(path: Path, fmt: OutputFormat = FORMAT_OPTION) -> None:
    """Validate intervention policies (a file or a directory): every problem with file and line."""
    from guardian.governance.interventions.policies import load_policies

    try:
        policies = load_policies(path)
    except PolicyError as exc:
        fail(
            str(exc), ExitCode.POLICY_INVALID, details=[p.to_dict() for p in exc.problems], fmt=fmt
        )
    summary: list[dict[str, Any]] = [{"name": p.name, "file": p.file, "triggers": [t.type for t in p.triggers],
                "actions": [a.type for a in p.actions]} for p in policies]  # fmt: skip
    if fmt is OutputFormat.json:
        print_json(summary)
        return
    for p in summary:
        stdout.print(f"ok: {p['name']} ({p['file']}): {', '.join(p['triggers'])} -> {', '.join(p['actions'])}",
                     highlight=False, markup=False)  # fmt: skip


@events_app.command("tail")
def tail(pattern: str = typer.Option("guardian.*", "--pattern"), count: int | None = typer.Option(None, "--count", help="stop after N"),
         seconds: float | None = typer.Option(None, "--seconds", help="stop after S seconds"),
         database: str | None = DATABASE_OPTION) -> None:  # fmt: skip
    """Print events as JSON lines as they happen: from Redis when GUARDIAN_REDIS_URL is set, else by
    reading the database's outbox and ledger."""
    from guardian.events.model import Event, EventError, check_pattern, matches

    try:
        check_pattern(pattern)
    except EventError as exc:
        fail(str(exc))
    seen = 0
    deadline = time.monotonic() + seconds if seconds is not None else None

    def show(event: Event) -> None:
        nonlocal seen
        if matches(pattern, event.type) and (count is None or seen < count):
            seen += 1
            stdout.print(event.to_json().decode(), highlight=False, markup=False, soft_wrap=True)

    def done() -> bool:
        return (count is not None and seen >= count) or (
            deadline is not None and time.monotonic() >= deadline
        )

    with _local(database) as local:
        if not local.hub.local:
            local.hub.subscribe(pattern, show)
            while not done():
                time.sleep(0.05)
            return
        _poll(local, show, done)


def _poll(local: _Local, show: Callable[[Any], None], done: Callable[[], bool]) -> None:
    from guardian.events.feed import LedgerFeed

    feed, last = LedgerFeed(local.service.ledger), local.hub.outbox.last_id()
    while not done():
        rows = local.hub.outbox.after(last, 500)
        events, feed.cursor = feed.read(500)
        for row_id, event in rows:
            last = row_id
            show(event)
        for event in events:
            show(event)
        if not rows and not events:
            time.sleep(0.1)
