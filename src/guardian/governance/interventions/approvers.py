"""Who approved a policy's proposal, with what authority: read from the `approval` ledger entry.

`Approvals` keeps only the approver's id with the proposal; the entry keeps the whole principal
(role and authority), which the engine needs to tell a guardian-level approval from a lower one.
The engine tails the ledger while proposals are open, and for a proposal decided before it started
reads from the ledger seq stored with the firing.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from guardian.governance.proposals import APPROVED
from guardian.ledger.store import Ledger

_REMEMBERED = 10_000


class Approvers:
    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        head = ledger.head()
        self._cursor = head.seq if head is not None else 0
        self._by: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def tail(self, wanted: bool) -> None:
        """Read new approval entries (or, with no proposal open, just skip to the head)."""
        if not wanted:
            head = self.ledger.head()
            self._cursor = head.seq if head is not None else self._cursor
            return
        for entry in self.ledger.entries(after=self._cursor):
            self._cursor = entry.seq
            self._note(entry.kind, entry.payload)

    def of(self, proposal_id: str, detail: str) -> dict[str, Any] | None:
        """The approving principal ({id, role, authority}), or None if no approval is recorded."""
        if proposal_id not in self._by:
            try:
                since = int(json.loads(detail or "{}").get("since", 0))
            except (ValueError, AttributeError):
                since = 0
            for entry in self.ledger.entries(after=since):
                if entry.kind == "approval" and entry.payload.get("proposal_id") == proposal_id:
                    self._note(entry.kind, entry.payload)
        return self._by.get(proposal_id)

    def _note(self, kind: str, payload: dict[str, Any]) -> None:
        if kind == "approval" and payload.get("outcome") == APPROVED and payload.get("proposal_id"):
            self._by[payload["proposal_id"]] = dict(payload.get("by") or {})
            while len(self._by) > _REMEMBERED:
                self._by.popitem(last=False)
