"""A real agent launched by `guardian run`: the runner registers it and its task; an emergency
cancel stops the process group and marks the task cancelled; the revert queues the task again, and
the next `guardian run` of that task takes it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from guardian import Guardian, Principal
from guardian.governance.registry import Task
from guardian.runtime.processes import alive

POLICY = """
version: 1
agents:
  sleeper: {tools: [poll_status]}
rules:
  - {id: polls, action: poll_status, effect: ALLOW}
"""
AGENT = "import time\nprint('working', flush=True)\ntime.sleep(120)\n"
ADMIN = Principal("oncall", "admin", 5)


def launch(project: Path, database: str, task: str) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "GUARDIAN_REDIS_URL"}
    return subprocess.Popen([sys.executable, "-m", "guardian", "run", "sleeper", "--task", task, "--project",
                             str(project), "--database", database, "--url", "http://127.0.0.1:9"],
                            cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip


def running_task(g: Guardian, name: str, timeout: float = 30) -> Task:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            t
            for t in g.interventions.registry.tasks("running", agent_id="sleeper")
            if t.name == name
        ]
        if found and found[0].run_id:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no running task {name!r} after {timeout}s")


@pytest.mark.slow
def test_cancel_stops_the_runner_launched_process_and_revert_requeues(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    folder = tmp_path / "agents" / "sleeper"
    folder.mkdir(parents=True)
    (folder / "agent.py").write_text(AGENT)
    (folder / "agent.toml").write_text(f'command = ["{sys.executable}", "agent.py"]\ntools = ["poll_status"]\n'
                                       "timeout_seconds = 30\n")  # fmt: skip
    database = f"sqlite:///{tmp_path / '.guardian' / 'guardian.db'}"
    runner = launch(tmp_path, database, "nightly-report")
    g = Guardian(tmp_path / "policy.yaml", ledger=database)
    try:
        task = running_task(g, "nightly-report")
        assert g.interventions.registry.agent("sleeper").running == 1
        [run] = [r for r in _runs(g) if r["id"] == task.run_id]
        pid = run["pid"]
        assert alive(pid) and task.timeout_seconds == 30
        g.interventions.override_task_priority(task.id, "LOW", "not urgent", principal=ADMIN)
        action = g.interventions.emergency_cancel_task(
            task.id, "agent stuck on a dead API", principal=ADMIN
        )
        out, _ = runner.communicate(timeout=30)
        assert (
            runner.returncode != 0 and "stopped (guardian cancel: agent stuck on a dead API)" in out
        )
        assert not alive(pid)
        assert (
            g.interventions.registry.task(task.id).status == "cancelled"
        )  # not "failed": the runner lost
        assert (
            action.before["run"]["status"] == "running"
            and action.after["run"]["status"] == "stopped"
        )
        assert action.after["process"]["pid"] == pid
        [entry] = [e.payload for e in g.ledger.entries() if e.kind == "intervention" and e.payload["event"] == "executed"
                   and e.payload["action"]["id"] == action.id]  # fmt: skip
        assert entry["after_commit"] == {"pid": pid, "outcome": "stopped by SIGTERM"}

        reverted = g.interventions.revert_intervention(action.id, "API is back", principal=ADMIN)
        assert reverted.revert_log["restored"]["task"] == {
            "status": "queued",
            "priority": "LOW",
            "agent_id": "sleeper",
        }
        assert "not restarted" in reverted.revert_log["not_restored"]["process"]
        again = g.interventions.registry.task(task.id)
        assert (again.status, again.priority, again.run_id, again.started_at) == (
            "queued",
            "LOW",
            None,
            None,
        )

        runner = launch(tmp_path, database, "nightly-report")  # the re-queued task is run again
        assert running_task(g, "nightly-report").id == task.id
        g.interventions.emergency_cancel_task(task.id, "test over", principal=ADMIN)
        runner.communicate(timeout=30)
    finally:
        if runner.poll() is None:
            runner.kill()
        g.close()


def _runs(g: Guardian) -> list[dict]:
    from guardian.governance.runs import RunStore

    return [r.to_dict() for r in RunStore(g.approvals.store.engine, g.ledger, g.clock).running()]
