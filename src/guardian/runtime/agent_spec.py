"""`agents/<id>/agent.toml`: what the runner launches, what it may use, and what it may spend.

command = ["python", "agent.py"]     # run in the agent's folder
tools = ["send_email", "read_file"]   # must equal the policy's allowlist for this agent
timeout_seconds = 300
[caps]                                # optional budgets, registered before the first run
calls = 100
tokens = 200000
money = "5.00"
currency = "USD"
window = "1d"                          # optional; absent = in total
[env]
LOG_LEVEL = "info"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from guardian.core.duration import parse_duration
from guardian.core.errors import GuardianError

FIELDS = frozenset({"command", "tools", "timeout_seconds", "caps", "env", "description"})
CAP_FIELDS = frozenset({"calls", "tokens", "money", "currency", "window"})


class AgentSpecError(GuardianError):
    code = "agent_spec_invalid"


@dataclass(frozen=True)
class AgentSpec:
    id: str
    folder: Path
    command: list[str]
    tools: list[str]
    timeout_seconds: int | None = None
    caps: dict[str, Any] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    description: str = ""

    @property
    def window_seconds(self) -> int | None:
        window = self.caps.get("window")
        return int(parse_duration(window)) if window is not None else None


def load_agent_spec(project: Path, agent_id: str) -> AgentSpec:
    folder = project / "agents" / agent_id
    path = folder / "agent.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AgentSpecError(
            f"{path}: no such agent (expected agents/{agent_id}/agent.toml)"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AgentSpecError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise AgentSpecError(f"{path}: TOML syntax error: {exc}") from None
    problems = [f"unknown field {k!r}" for k in sorted(set(data) - FIELDS)]
    command = data.get("command")
    if (
        not isinstance(command, list)
        or not command
        or not all(isinstance(c, str) and c for c in command)
    ):
        problems.append("command must be a non-empty list of strings")
    tools = data.get("tools")
    if not isinstance(tools, list) or not all(isinstance(t, str) and t for t in tools):
        problems.append("tools must be a list of action names")
    timeout = data.get("timeout_seconds")
    if timeout is not None and (type(timeout) is not int or timeout < 1):
        problems.append("timeout_seconds must be a positive integer")
    caps = data.get("caps", {})
    if not isinstance(caps, dict):
        problems.append("caps must be a table")
        caps = {}
    problems += [f"caps: unknown field {k!r}" for k in sorted(set(caps) - CAP_FIELDS)]
    if "window" in caps:
        try:
            parse_duration(caps["window"])
        except ValueError as exc:
            problems.append(f"caps.window: {exc}")
    env = data.get("env", {})
    if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
        problems.append("env must be a table of strings")
        env = {}
    if problems:
        raise AgentSpecError(f"{path}: " + "; ".join(problems))
    assert isinstance(command, list) and isinstance(tools, list)  # checked above
    return AgentSpec(agent_id, folder, list(command), list(tools), timeout, dict(caps), dict(env),
                     str(data.get("description", "")))  # fmt: skip
