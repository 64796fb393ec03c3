"""The narrow protocol every ledger store implements; one conformance suite runs against each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, runtime_checkable

from guardian.ledger.entry import Entry


@runtime_checkable
class Ledger(Protocol):
    def append(self, kind: str, payload: dict[str, Any], *, has_float: bool | None = None) -> Entry:
        """Add one entry after the head; return only once it is durable."""
        ...

    def entries(self, after: int = 0) -> Iterator[Entry]:
        """Entries with seq > after, in order."""
        ...

    def head(self) -> Entry | None: ...

    def close(self) -> None: ...
