"""What a ledger store raises; every message names the store, the file or the seq involved."""

from __future__ import annotations

from typing import TYPE_CHECKING

from guardian.core.errors import GuardianError

if TYPE_CHECKING:
    from guardian.ledger.entry import Entry


class LedgerError(GuardianError):
    """A ledger that cannot be opened, written or read as asked."""

    code = "ledger_error"


class LedgerClosed(LedgerError):
    """An append after `close()` (or while closing)."""

    code = "ledger_closed"


class LedgerWriteError(LedgerError):
    """The transaction that carried this append failed: nothing of it was committed."""

    code = "ledger_write_failed"


class MirrorError(LedgerError):
    """The JSONL mirror could not be written or does not agree with the store.

    When raised from `append`, `entry` is the entry that *was* committed to the store: the mirror
    lags behind and is repaired on the next write or open.
    """

    code = "ledger_mirror"

    def __init__(self, message: str, entry: Entry | None = None) -> None:
        super().__init__(message)
        self.entry = entry


class SchemaError(LedgerError):
    """The database schema is missing or older than this package and could not be upgraded."""

    code = "ledger_schema"


class DuplicateEntry(LedgerError):
    """An append with `once_per_decision` for a decision that already has an entry of that kind."""

    code = "ledger_duplicate"
