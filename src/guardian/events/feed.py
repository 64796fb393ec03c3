"""Events derived from the ledger: every committed entry becomes one (or two) events.

The ledger is already an outbox: an entry exists only once committed, in order, with a unique hash.
So decisions, proposals, approvals, pauses, budgets, runs and the rest need no second write: the
relay tails the ledger from a cursor and publishes each entry, its event id derived from the entry's
hash (stable across re-sends and relays). Executed and reverted interventions are skipped: their
events come from the outbox, written with the intervention's state change.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from guardian.events.model import Event
from guardian.ledger.entry import Entry
from guardian.ledger.store import Ledger

PRODUCER = "ledger"
#: Kinds that are bookkeeping nobody subscribes to.
SKIPPED = frozenset({"checkpoint"})
#: Intervention entries whose events the outbox carries (written with the state change).
FROM_OUTBOX = frozenset({"executed", "reverted"})


def _verb(kind: str, payload: dict[str, Any]) -> str:
    if kind == "decision":
        return f"guardian.decision.{str(payload.get('decision', 'made')).lower()}"
    if kind == "approval":
        return f"guardian.approval.{payload.get('outcome', 'decided')}"
    if kind in ("pause", "resume"):
        return "guardian.pause.paused" if kind == "pause" else "guardian.pause.resumed"
    if kind in ("budget", "charge"):
        return "guardian.budget.set" if kind == "budget" else "guardian.budget.charged"
    if kind == "run":
        return f"guardian.run.{payload.get('event', 'changed')}"
    if kind == "receipt":
        return "guardian.receipt.recorded"
    if kind == "watchdog":
        return "guardian.watchdog.acted"
    if kind == "intervention":
        return f"guardian.intervention.{payload.get('event', 'recorded')}"
    if kind == "security":
        return "guardian.security.flagged"
    return f"guardian.ledger.{kind}"


def entry_events(entry: Entry) -> list[Event]:
    """The events one ledger entry stands for (none for skipped kinds)."""
    if entry.kind in SKIPPED or (
        entry.kind == "intervention" and entry.payload.get("event") in FROM_OUTBOX
    ):
        return []
    payload = dict(entry.payload)
    if entry.kind == "policy":
        payload.pop("document", None)  # the full policy text is large; its hash identifies it
    payload["ledger_seq"] = entry.seq
    kind = _verb(entry.kind, entry.payload).replace("-", "_")
    events = [Event(f"ledger:{entry.hash[:32]}", kind, payload, entry.ts, PRODUCER, entry.seq * 2)]
    proposal_id = entry.payload.get("proposal_id")
    if entry.kind == "decision" and entry.payload.get("decision") == "ASK" and proposal_id:
        events.append(Event(f"ledger:{entry.hash[:32]}:p", "guardian.proposal.created",
                            {"proposal_id": proposal_id, "decision_id": entry.payload.get("decision_id"),
                             "intent": entry.payload.get("intent"), "ledger_seq": entry.seq},
                            entry.ts, PRODUCER, entry.seq * 2 + 1))  # fmt: skip
    return events


class LedgerFeed:
    """A cursor over the ledger; `rewind` re-reads what was published recently."""

    def __init__(self, ledger: Ledger, cursor: int | None = None) -> None:
        self.ledger = ledger
        if cursor is None:
            head = ledger.head()
            cursor = head.seq if head is not None else 0
        self.cursor = cursor

    def read(self, limit: int) -> tuple[list[Event], int]:
        """Events of up to `limit` entries after the cursor, and the seq they reach (not applied)."""
        events: list[Event] = []
        last = self.cursor
        entries: Iterator[Entry] = self.ledger.entries(after=self.cursor)
        try:
            for count, entry in enumerate(entries, 1):
                events.extend(entry_events(entry))
                last = entry.seq
                if count >= limit:
                    break
        finally:
            close = getattr(entries, "close", None)
            if close is not None:  # a database cursor left half-read holds a connection
                close()
        return events, last
