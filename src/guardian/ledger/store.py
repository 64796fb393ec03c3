"""The narrow protocol every ledger store implements; one conformance suite runs against each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from guardian.ledger.entry import Entry


@runtime_checkable
class Ledger(Protocol):
    def append(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        has_float: bool | None = None,
        once_per_decision: bool = False,
        payload_json: bytes | None = None,
    ) -> Entry:
        """Add one entry after the head; return only once it is durable.

        `payload_json`: the payload's RFC 8785 bytes when the caller already has them (the decision
        path builds them around the intent's canonical bytes, which it hashed anyway).

        With `once_per_decision`, the append is refused with DuplicateEntry when an entry of the
        same kind already names the same `payload["decision_id"]`; the check is atomic with the
        append (inside the store's write transaction), across threads and processes. Receipts use it.
        """
        ...

    def find(self, kind: str, decision_id: str) -> Entry | None:
        """The first entry of `kind` whose payload's `decision_id` is `decision_id` (stores index it)."""
        ...

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """Entries with seq > after, in order."""
        ...

    def head(self) -> Entry | None: ...

    def get(self, seq: int) -> Entry | None:
        """The entry with this seq, if any."""
        ...

    def count(self) -> int:
        """How many entries (seqs run 1..count without gaps)."""
        ...

    def close(self) -> None: ...
