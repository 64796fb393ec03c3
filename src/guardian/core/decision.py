"""The three verdicts, their aliases, and the order in which one is stricter than another."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Decision(StrEnum):
    """The outcome of a decision; a `str` so that `record["decision"] == "ALLOW"` reads naturally."""

    ALLOW = "ALLOW"
    ASK = "ASK"
    DENY = "DENY"

    def __str__(self) -> str:
        return self.value

    @property
    def strictness(self) -> int:
        """ALLOW < ASK < DENY: later checks may only move a verdict up this scale."""
        return _STRICTNESS[self]

    @classmethod
    def parse(cls, text: str) -> Decision:
        """Read a verdict in any seed's spelling, case-insensitively; anything else is a ValueError."""
        if not isinstance(text, str):
            raise ValueError(f"expected one of {', '.join(ALIASES)}, got {type(text).__name__}")
        found = ALIASES.get(text.strip().upper())
        if found is None:
            raise ValueError(f"unknown effect {text!r}; expected one of {', '.join(ALIASES)}")
        return found


_STRICTNESS = {Decision.ALLOW: 0, Decision.ASK: 1, Decision.DENY: 2}

#: Every accepted spelling (upper-cased) and what it means: the seeds say BLOCK, REQUIRE_APPROVAL, ESCALATE.
ALIASES: dict[str, Decision] = {
    "ALLOW": Decision.ALLOW,
    "DENY": Decision.DENY,
    "ASK": Decision.ASK,
    "BLOCK": Decision.DENY,
    "REQUIRE_APPROVAL": Decision.ASK,
    "ESCALATE": Decision.ASK,
}


def strictest(*decisions: Decision) -> Decision:
    """The most restrictive of the given verdicts (DENY beats ASK beats ALLOW)."""
    return max(decisions, key=_STRICTNESS.__getitem__)


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a verdict came out as it did: a stable snake_case code and a human message."""

    code: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}
