"""`guardian run AGENT`: launch an agent as a subprocess under governance.

The runner (not the agent) holds the service credentials: it registers the agent's caps, mints a
fresh agent token scoped to this agent and short-lived, starts the command in its own process group
with `GUARDIAN_URL` / `GUARDIAN_TOKEN` in its environment, heartbeats while it lives (so a watchdog
can tell a dead runner from a quiet agent), and records the run's start and end (exit code, spend)
in the ledger. The token is revoked when the run ends.
"""

from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from guardian.core.principal import Principal
from guardian.governance.runs import Run, RunStore
from guardian.runtime.agent_spec import AgentSpec, AgentSpecError

if TYPE_CHECKING:
    from guardian.facade import Guardian
    from guardian.governance.tokens import TokenStore

RUNNER = Principal("runner", "admin", 5)


@dataclass
class RunResult:
    run: Run
    exit_code: int


def check_allowlist(guardian: Guardian, spec: AgentSpec) -> None:
    """The agent's tools must be exactly the policy's allowlist for it: default deny, no surprises."""
    allowlist = guardian.policy.agents.get(spec.id)
    if allowlist is None:
        raise AgentSpecError(f"the policy has no allowlist for agent {spec.id!r}; add "
                             f"agents: {{{spec.id}: {{tools: {spec.tools}}}}}")  # fmt: skip
    listed = sorted(p.source for p in allowlist.tools)
    if listed != sorted(spec.tools):
        raise AgentSpecError(f"agent {spec.id!r}: agent.toml tools {sorted(spec.tools)} differ from the "
                             f"policy's allowlist {listed}")  # fmt: skip


def register_caps(guardian: Guardian, spec: AgentSpec) -> None:
    caps, window = spec.caps, spec.window_seconds
    for unit in ("calls", "tokens"):
        if unit in caps and guardian.budgets.find("agent", spec.id, unit) is None:
            guardian.budgets.set_cap(
                "agent", spec.id, unit, caps[unit], RUNNER, window_seconds=window
            )
    if "money" in caps:
        currency = str(caps.get("currency", "")).upper()
        if guardian.budgets.find("agent", spec.id, "money", currency) is None:
            guardian.budgets.set_cap("agent", spec.id, "money", caps["money"], RUNNER,
                                     currency=currency, window_seconds=window)  # fmt: skip


def run_agent(guardian: Guardian, tokens: TokenStore, runs: RunStore, spec: AgentSpec, *,
              url: str, task: str | None = None, heartbeat: float = 1.0) -> RunResult:  # fmt: skip
    check_allowlist(guardian, spec)
    register_caps(guardian, spec)
    registry = guardian.interventions.registry  # issue 7: the agent and its task, in the registry
    registry.ensure_agent(spec.id)
    queued = registry.start_task(spec.id, name=task or "", timeout_seconds=spec.timeout_seconds)
    ttl = 2 * spec.timeout_seconds if spec.timeout_seconds else 3600
    secret, info = tokens.create(f"run-{spec.id}-{int(time.time() * 1000)}", "agent",
                                 agent_id=spec.id, expires_in=ttl)  # fmt: skip
    env = {**os.environ, **spec.env, "GUARDIAN_URL": url, "GUARDIAN_TOKEN": secret,
           "GUARDIAN_AGENT_ID": spec.id, "GUARDIAN_TASK": task or "", "GUARDIAN_TASK_ID": queued.id}  # fmt: skip
    try:
        process = subprocess.Popen(spec.command, cwd=spec.folder, env=env, start_new_session=True)  # noqa: S603
    except OSError as exc:
        tokens.revoke(info.id)
        registry.finish_task(queued.id, ok=False)
        raise AgentSpecError(
            f"cannot start {spec.command[0]!r} for agent {spec.id}: {exc.strerror}"
        ) from None
    run = runs.start(spec.id, task, process.pid, spec.timeout_seconds)
    registry.attach_run(queued.id, run.id)  # a guardian cancel finds the process through it
    try:
        while True:
            try:
                code = process.wait(timeout=heartbeat)
                break
            except subprocess.TimeoutExpired:
                runs.heartbeat(run.id)
    finally:
        if process.poll() is None:  # the runner itself is being stopped: take the agent with it
            process.terminate()
            code = process.wait()
        tokens.revoke(info.id)
        registry.finish_task(queued.id, ok=code == 0)  # no-op if a guardian cancelled it
    spend: dict[str, Any] = {b.unit: b.to_dict()["spent"] for b in guardian.budgets.of(spec.id)}
    return RunResult(runs.end(run.id, code, spend), code)
