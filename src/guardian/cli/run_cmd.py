"""`guardian run AGENT` and `guardian init DIR`: launch governed agents, scaffold a project."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import typer
from rich.markup import escape

from guardian.cli.output import DATABASE_OPTION, ExitCode, fail, stdout
from guardian.core.errors import GuardianError


def run(
    agent: str,
    task: str | None = typer.Option(None, "--task"),
    project: Path = typer.Option(
        Path("."), "--project", help="the folder with agents/ and policy.yaml"
    ),
    policy: Path | None = typer.Option(None, "--policy", help="default: PROJECT/policy.yaml"),
    database: str | None = DATABASE_OPTION,
    url: str = typer.Option(
        os.environ.get("GUARDIAN_URL", "http://127.0.0.1:8700"),
        "--url",
        help="the guardian serve the agent talks to",
    ),
) -> None:
    """Launch agents/AGENT/agent.toml as a subprocess with a fresh, scoped, short-lived token."""
    from guardian.facade import Guardian
    from guardian.governance.runs import RunStore
    from guardian.governance.tokens import TokenStore
    from guardian.runtime.agent_spec import load_agent_spec
    from guardian.runtime.runner import run_agent

    try:
        spec = load_agent_spec(project, agent)
        with Guardian(policy or project / "policy.yaml", ledger=database or "") as guardian:
            engine = guardian.approvals.store.engine
            result = run_agent(guardian, TokenStore(engine, guardian.clock),
                               RunStore(engine, guardian.ledger, guardian.clock), spec, url=url, task=task)  # fmt: skip
    except GuardianError as exc:
        fail(str(exc))
    status = (
        result.run.status
        if result.run.stop_reason is None
        else f"stopped ({result.run.stop_reason})"
    )
    stdout.print(
        f"run {result.run.id} of {escape(agent)}: exit {result.exit_code}, {escape(status)}",
        highlight=False,
    )
    raise typer.Exit(0 if result.exit_code == 0 else int(ExitCode.FAILED))


def init(folder: Path) -> None:
    """Scaffold a project in FOLDER (policy, agents/, tasks/, config); never overwrites anything."""
    template = resources.files("guardian.runtime") / "template"
    files: list[tuple[str, bytes]] = []

    def walk(node: resources.abc.Traversable, prefix: str) -> None:
        for child in node.iterdir():
            name = f"{prefix}{child.name}"
            if child.is_dir():
                walk(child, f"{name}/")
            elif not child.name.endswith(".pyc"):
                files.append((name, child.read_bytes()))

    walk(template, "")
    collisions = sorted(name for name, _ in files if (folder / name).exists())
    if collisions:
        fail(
            f"{folder}: would overwrite {len(collisions)} file(s), nothing written:\n  "
            + "\n  ".join(collisions)
        )
    for name, data in files:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    stdout.print(f"created {len(files)} files in {escape(str(folder))}: policy.yaml, agents/, tasks/, guardian.toml",
                 highlight=False)  # fmt: skip
