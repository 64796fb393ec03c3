"""The evidence ledger: append-only, hash-chained entries of every kind.

Stores: `open_ledger(url)` in `guardian.ledger.open` (memory, SQLite, PostgreSQL); the offline
verifier is `guardian.ledger.verify`. Imports here stay light (no database drivers).
"""

from guardian.ledger.entry import GENESIS_HASH, Entry, EntryError, parse_line
from guardian.ledger.errors import (
    DuplicateEntry,
    LedgerClosed,
    LedgerError,
    LedgerWriteError,
    MirrorError,
    SchemaError,
)
from guardian.ledger.memory import MemoryLedger
from guardian.ledger.store import Ledger

__all__ = [
    "GENESIS_HASH",
    "DuplicateEntry",
    "Entry",
    "EntryError",
    "Ledger",
    "LedgerClosed",
    "LedgerError",
    "LedgerWriteError",
    "MemoryLedger",
    "MirrorError",
    "SchemaError",
    "parse_line",
]
