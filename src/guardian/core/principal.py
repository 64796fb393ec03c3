"""Who is asking, and with how much authority. Always derived from a credential, never from a body."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class Authority(IntEnum):
    """Seed 003's hierarchy: a higher number may do everything a lower one may."""

    WORKER = 1
    WATCHDOG = 2
    MONITOR = 3
    GUARDIAN = 4
    SYSTEM = 5


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    role: str = "agent"
    authority: int = Authority.WORKER

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "role": self.role, "authority": int(self.authority)}

    @classmethod
    def for_agent(cls, actor: str) -> Principal:
        """The principal an in-process caller gets when it names only an actor."""
        found = _AGENTS.get(actor)
        if found is None:
            found = cls(id=actor, role="agent", authority=Authority.WORKER)
            if len(_AGENTS) < 10_000:
                _AGENTS[actor] = found
        return found


_AGENTS: dict[str, Principal] = {}
